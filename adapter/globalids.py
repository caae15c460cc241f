"""Global ids: the chat's id as the site's global id (`base64("User:5")`), and back.

The chat and its widget token know users by the site's own (usually integer) id. Some sites fetch
users only by a global id: Relay's `node(id:)`, PostGraphile's `nodeId`, Shopify's `gid://…`.
`GlobalIds.encode` turns a chat id into what such a site expects; `GlobalIds.decode` turns an id
in the site's answer back, so answers are matched to the requested ids and the chat still gets
its own ids. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from adapter.config import GlobalIdSettings

__all__ = ["GlobalIds", "b64decode_text", "build_global_ids"]

_MAX_GLOBAL_ID = 1024


def _b64encode(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def b64decode_text(text: str) -> str | None:
    """The UTF-8 text base64 `text` holds (padded or not), or None."""
    if len(text) > _MAX_GLOBAL_ID:
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True)
class GlobalIds:
    """One site's global-id encoding."""

    settings: GlobalIdSettings

    def encode(self, local: int | str) -> str:
        """The site's global id for the chat's id `local`."""
        kind = self.settings.encoding
        if kind == "relay":
            return _b64encode(f"{self.settings.type}:{local}")
        if kind == "postgraphile":
            integer = isinstance(local, int) or (local.isascii() and local.isdigit())
            key = int(local) if integer else local
            return _b64encode(json.dumps([self.settings.type, key], separators=(",", ":")))
        assert self.settings.template is not None  # the settings check this
        return self.settings.template.replace("{id}", str(local))

    def decode(self, text: str) -> str | None:
        """The chat's id inside the global id `text`, or None when it is not one of this kind."""
        kind = self.settings.encoding
        if kind == "template":
            assert self.settings.template is not None
            before, _, after = self.settings.template.partition("{id}")
            match = re.fullmatch(re.escape(before) + "(.+?)" + re.escape(after), text)
            return match.group(1) if match else None
        decoded = b64decode_text(text)
        if decoded is None:
            return None
        if kind == "relay":
            type_name, sep, local = decoded.partition(":")
            return local if sep and local and type_name == self.settings.type else None
        try:
            parts = json.loads(decoded)
        except ValueError:
            return None
        if not (isinstance(parts, list) and len(parts) == 2 and parts[0] == self.settings.type):
            return None
        local_value = parts[1]
        if isinstance(local_value, bool) or not isinstance(local_value, int | str):
            return None
        return str(local_value)

    def local_id(self, text: str) -> str:
        """`decode(text)`, or `text` itself when it is not a global id (a plain id field)."""
        return self.decode(text) or text


def build_global_ids(settings: GlobalIdSettings | None) -> GlobalIds | None:
    return GlobalIds(settings) if settings is not None else None
