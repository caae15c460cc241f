"""Tell global ids apart in sampled users: `VXNlcjo1` is Relay's `User:5`, and so on.

Pure. A guess is made only when every sampled id decodes the same way (one encoding, one type)
and the adapter's own encoder writes each one back exactly as the site sent it, so the chat's ids
(the part inside) can be turned into what the site's fetch field takes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from adapter.config import GlobalIdSettings
from adapter.globalids import GlobalIds, b64decode_text

__all__ = ["GlobalIdGuess", "describe_global_ids", "detect_global_ids"]

_RELAY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,99}):(.{1,100})", re.DOTALL)
_GID = re.compile(r"(gid://[A-Za-z0-9_.-]+/[A-Za-z0-9_]+/)([^/]+)")


@dataclass(frozen=True)
class GlobalIdGuess:
    settings: dict[str, Any]
    # The sampled ids as the chat knows them, in the order given.
    local_ids: tuple[str, ...]
    reason: str


def _kind(text: str) -> tuple[dict[str, Any], str] | None:
    """The settings that would decode `text`, and the id inside it."""
    gid = _GID.fullmatch(text)
    if gid is not None:
        return {"encoding": "template", "template": gid.group(1) + "{id}"}, gid.group(2)
    decoded = b64decode_text(text)
    if decoded is None:
        return None
    if decoded.startswith("["):
        # `["users", 5]`; any other value inside fails the check of encoding it back.
        try:
            table, local = json.loads(decoded)
        except ValueError:
            return None
        return {"encoding": "postgraphile", "type": str(table)}, str(local)
    relay = _RELAY.fullmatch(decoded)
    if relay is not None:
        return {"encoding": "relay", "type": relay.group(1)}, relay.group(2)
    return None


def describe_global_ids(settings: Mapping[str, Any]) -> str:
    """The encoding as a person reads it: base64("User:<id>")."""
    kind = settings["encoding"]
    if kind == "relay":
        return f'base64("{settings["type"]}:<id>")'
    if kind == "postgraphile":
        return f"base64('[\"{settings['type']}\",<id>]')"
    return str(settings["template"]).replace("{id}", "<id>")


def detect_global_ids(ids: Sequence[str]) -> GlobalIdGuess | None:
    """The global-id encoding every one of `ids` uses, checked by encoding them back."""
    kinds = [_kind(text) for text in ids]
    found = [kind for kind in kinds if kind is not None]
    if not found or len(found) != len(ids):
        return None
    settings = found[0][0]
    if any(kind[0] != settings for kind in found):
        return None  # two encodings or two types: not one site's user ids
    local_ids = tuple(local for _, local in found)
    try:
        codec = GlobalIds(GlobalIdSettings.model_validate(settings))
    except ValidationError:
        return None  # a type no site names (empty, or longer than the settings allow)
    if any(codec.encode(local) != text for local, text in zip(local_ids, ids, strict=True)):
        return None  # the site writes them some other way: sending ours would find nobody
    shown = describe_global_ids(settings)
    reason = (
        f"the sampled ids are global ids, {shown} ({ids[0]} holds {local_ids[0]!r}): the chat "
        "uses the id inside, and the adapter encodes it for the site and decodes its answers"
    )
    return GlobalIdGuess(settings, local_ids, reason)
