"""Pure: a URL as it may be printed, and whether it may carry a credential.

A URL in a message or a report loses its user info, query and fragment, where sites put
passwords and tokens (`https://user:secret@site/graphql?key=...`). Free text is redacted by
`logs.py`'s patterns instead: it cannot be parsed as one URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["display_url", "may_carry_credentials"]


def display_url(url: str) -> str:
    """`scheme://host[:port]/path`: the URL without user info, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # out of range: shown without it rather than refused here
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def may_carry_credentials(url: str) -> bool:
    """Whether the URL has a password in its user info, or a query string (`?token=`)."""
    parts = urlsplit(url)
    return bool(parts.password or parts.query)
