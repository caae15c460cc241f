"""Pure: the messages of a GraphQL answer's `errors`, short enough for a log line or a hint.

The site's errors are shown to whoever runs the adapter (the upstream client's log line,
`init`'s advice), never to the chat or a browser. A site may echo what it was sent ("wrong
password 'hunter2'"), so the caller names the values it sent (`hiding`), and each is replaced
before a message is cut.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["HIDDEN", "error_messages"]

HIDDEN = "[redacted]"


def error_messages(
    errors: Any, *, count: int, limit: int, hiding: Collection[str] = ()
) -> list[str]:
    """The `message` of each of the first `count` errors, each cut to `limit` characters.

    An error that is not an object is shown as its text, and so is an `errors` that is not a
    list; no errors give no messages. Every text in `hiding` is replaced by `HIDDEN` first.
    """
    if not errors:
        return []
    if not isinstance(errors, list):
        return [_hidden(str(errors), hiding)[:limit]]
    return [_hidden(_message(error), hiding)[:limit] for error in errors[:count]]


def _hidden(message: str, hiding: Collection[str]) -> str:
    # Longest first, so a value that contains another is replaced whole.
    for text in sorted(hiding, key=len, reverse=True):
        if text:
            message = message.replace(text, HIDDEN)
    return message


def _message(error: Any) -> str:
    return str(error.get("message") if isinstance(error, dict) else error)
