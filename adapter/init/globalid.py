"""Tell global ids apart in sampled users: `VXNlcjo1` is Relay's `User:5`, and so on.

Pure. A guess is made only when every sampled id decodes the same way (one encoding, one type)
and the adapter's own encoder writes each one back exactly as the site sent it, so the chat's ids
(the part inside) can be turned into what the site's fetch field takes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapter.config import GlobalIdSettings
from adapter.globalids import GlobalIds

__all__ = ["GlobalIdGuess", "detect_global_ids"]

_RELAY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,99}):(.{1,100})", re.DOTALL)
_GID = re.compile(r"(gid://[A-Za-z0-9_.-]+/[A-Za-z0-9_]+/)([^/]+)")


@dataclass(frozen=True)
class GlobalIdGuess:
    settings: dict[str, Any]
    # The sampled ids as the chat knows them, in the order given.
    local_ids: tuple[str, ...]
    reason: str

    @property
    def codec(self) -> GlobalIds:
        return GlobalIds(GlobalIdSettings.model_validate(self.settings))


def _decoded(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _kind(text: str) -> tuple[dict[str, Any], str] | None:
    """The settings that would decode `text`, and the id inside it."""
    gid = _GID.fullmatch(text)
    if gid is not None:
        return {"encoding": "template", "template": gid.group(1) + "{id}"}, gid.group(2)
    decoded = _decoded(text)
    if decoded is None:
        return None
    if decoded.startswith("["):
        try:
            parts = json.loads(decoded)
        except ValueError:
            return None
        if not (isinstance(parts, list) and len(parts) == 2 and isinstance(parts[0], str)):
            return None
        if isinstance(parts[1], bool) or not isinstance(parts[1], int | str):
            return None
        return {"encoding": "postgraphile", "type": parts[0]}, str(parts[1])
    relay = _RELAY.fullmatch(decoded)
    if relay is not None:
        return {"encoding": "relay", "type": relay.group(1)}, relay.group(2)
    return None


def detect_global_ids(ids: Sequence[str]) -> GlobalIdGuess | None:
    """The global-id encoding every one of `ids` uses, checked by encoding them back."""
    if not ids:
        return None
    kinds = [_kind(text) for text in ids]
    if any(kind is None for kind in kinds):
        return None
    settings = {str(sorted(k[0].items())) for k in kinds if k is not None}
    if len(settings) != 1:
        return None
    first = kinds[0]
    assert first is not None
    guess = GlobalIdGuess(first[0], tuple(k[1] for k in kinds if k is not None), "")
    codec = guess.codec
    if any(codec.encode(local) != text for local, text in zip(guess.local_ids, ids, strict=True)):
        return None  # the site writes them some other way: sending ours would find nobody
    shown = codec.encode("<id>") if first[0]["encoding"] != "postgraphile" else None
    example = f"{ids[0]} is {first[1]!r} inside"
    how = {
        "relay": f'base64("{first[0].get("type")}:<id>")',
        "postgraphile": f"base64('[\"{first[0].get('type')}\",<id>]')",
        "template": shown or "",
    }[first[0]["encoding"]]
    reason = (
        f"the sampled ids are global ids, {how} ({example}): the chat uses the id inside, "
        "and the adapter encodes it for the site and decodes the site's answers"
    )
    return GlobalIdGuess(first[0], guess.local_ids, reason)
