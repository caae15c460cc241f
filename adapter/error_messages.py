"""Pure: the messages of a GraphQL answer's `errors`, short enough for a log line or a hint.

The site's errors are shown to whoever runs the adapter (the upstream client's log line,
`init`'s advice), never to the chat or a browser.
"""

from __future__ import annotations

from typing import Any

__all__ = ["error_messages"]


def error_messages(errors: Any, *, count: int, limit: int) -> list[str]:
    """The `message` of each of the first `count` errors, each cut to `limit` characters.

    An error that is not an object is shown as its text, and so is an `errors` that is not a
    list; no errors give no messages.
    """
    if not errors:
        return []
    if not isinstance(errors, list):
        return [str(errors)[:limit]]
    return [_message(error)[:limit] for error in errors[:count]]


def _message(error: Any) -> str:
    return str(error.get("message") if isinstance(error, dict) else error)
