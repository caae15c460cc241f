"""The chat's id lists: `6,7,12` -> [6, 7, 12], refusing anything that is not an id.

The vendor's sample strips every non-digit (`"1a2"` becomes user 12); we never invent an id:
an invalid item is a 400 naming it.
"""

from __future__ import annotations

import re
from typing import cast

import orjson

from adapter.config import IdSettings, chat_int_id
from adapter.config.chat import MAX_CHAT_ID
from adapter.errors import InvalidUserIds

__all__ = ["parse_ids"]

_SHOWN = 40


def _shown(item: str) -> str:
    return item if len(item) <= _SHOWN else item[:_SHOWN] + "..."


def _plain_int_list(raw: str, separator: str) -> list[int | str] | None:
    """The numbers of "6,7,12" as the chat sends it (ASCII digits, one separator between, no
    leading zeros, each a chat id), else None for `parse_ids`'s item by item road.

    String methods and orjson (the list as one JSON array, in C) instead of a regex and `int()`
    per item: the warm users-info call parses 20 ids per request. A number past 64 bits comes
    back from orjson as a float, which `MAX_CHAT_ID` refuses as well.
    """
    digits = raw.replace(separator, "")
    if not (digits.isascii() and digits.isdigit()):
        return None
    array = raw if separator == "," else raw.replace(separator, ",")
    try:
        numbers: list[int] = orjson.loads("[" + array + "]")
    except orjson.JSONDecodeError:  # an empty item, or "007" (JSON has no leading zeros)
        return None
    return cast("list[int | str]", numbers) if max(numbers) <= MAX_CHAT_ID else None


def parse_ids(raw: str, settings: IdSettings) -> list[int | str]:
    """Split, trim, validate and de-duplicate, keeping the first occurrence's position."""
    if settings.type == "int" and (ids := _plain_int_list(raw, settings.separator)) is not None:
        if len(set(ids)) < len(ids):  # a set costs half of dict.fromkeys; repeats are rare
            ids = list(dict.fromkeys(ids))
        if len(ids) > settings.max_per_call:
            raise InvalidUserIds(f"too many user ids: at most {settings.max_per_call} per call")
        return ids
    pattern = re.compile(settings.str_pattern) if settings.type == "str" else None
    seen: dict[int | str, None] = {}
    for position, item in enumerate(raw.split(settings.separator), start=1):
        item = item.strip()
        if not item:
            continue
        user_id: int | str
        if pattern is None:
            number = chat_int_id(item)
            if number is None:
                raise InvalidUserIds(
                    f"invalid user id {_shown(item)!r} at position {position}: "
                    "expected a non-negative integer"
                )
            user_id = number
        else:
            if not pattern.fullmatch(item):
                raise InvalidUserIds(
                    f"invalid user id {_shown(item)!r} at position {position}: "
                    f"expected an id matching {settings.str_pattern}"
                )
            user_id = item
        seen.setdefault(user_id, None)
        if len(seen) > settings.max_per_call:
            raise InvalidUserIds(f"too many user ids: at most {settings.max_per_call} per call")
    return list(seen)
