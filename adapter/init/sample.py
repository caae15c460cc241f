"""A few real users from the site: their ids (for the final check) and their values (for guesses).

Ids come from, in order: the ids the person gave; ids 1, 2, 3 when the fetch field knows them
(most sites number their users); a field that lists users with a limit; the search field. Given
ids and 1, 2, 3 are also tried as Relay's and PostGraphile's global ids of the user type, when
the fetch field finds nothing by them as they are. A
failure here is not fatal: guesses then rest on the schema alone, and the note says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapter.config import GlobalIdSettings
from adapter.errors import InitError
from adapter.globalids import GlobalIds
from adapter.init.discover import Discovery, Fetcher
from adapter.init.documents import listing_query, sample_query, search_document
from adapter.init.introspect import Endpoint
from adapter.init.vocabulary import leaves, object_fields
from adapter.paths import dig_each

__all__ = ["Samples", "collect_samples", "wide_paths"]

DEFAULT_IDS = ("1", "2", "3")
_SEARCH_TEXT = "a"


@dataclass(frozen=True)
class Samples:
    ids: tuple[str, ...]
    users: tuple[dict[str, Any], ...]
    note: str
    # True when the site itself named these ids (so an empty final check is a real problem).
    confirmed: bool = False
    # The global-id settings the users were found by, when the ids as they are found nobody.
    encoded_by: dict[str, Any] | None = None


def wide_paths(discovery: Discovery) -> list[str]:
    """Every plain value of the user type, and of its nested objects one level down."""
    user = discovery.user_type
    paths = [leaf.path for leaf in leaves(user)]
    for name, obj in object_fields(user):
        paths.extend(leaf.path for leaf in leaves(obj, f"{name}."))
    return paths


def _wire(value: str, fetcher: Fetcher) -> int | str | None:
    if fetcher.scalar != "Int":
        return value
    return int(value) if value.isascii() and value.lstrip("-").isdigit() else None


def _collect(value: Any, path: Sequence[str]) -> list[Any]:
    """Objects at `path` under `value`, stepping into every list on the way."""
    return [found for found in dig_each(value, path) if isinstance(found, dict)]


def _fetch(
    endpoint: Endpoint, discovery: Discovery, ids: Sequence[str], paths: Sequence[str]
) -> list[dict[str, Any]]:
    fetcher = discovery.fetcher
    wire = [w for i in ids if (w := _wire(i, fetcher)) is not None]
    if not wire:
        return []
    query, names = sample_query(fetcher, len(wire), paths)
    if fetcher.strategy == "list":
        data = endpoint.execute(query, {names[0]: wire}, purpose="sample query")
        return _collect(data.get(fetcher.name), fetcher.below)
    variables = dict(zip(names, wire, strict=True))
    data = endpoint.execute(query, variables, purpose="sample query")
    return [u for i in range(len(wire)) for u in _collect(data.get(f"u{i}"), fetcher.below)]


def _fetch_users(
    endpoint: Endpoint, discovery: Discovery, ids: Sequence[str]
) -> list[dict[str, Any]]:
    try:
        return _fetch(endpoint, discovery, ids, wide_paths(discovery))
    except InitError:
        # Some field refused us (a permission check, say); the id alone still tells a lot.
        return _fetch(endpoint, discovery, ids, [_key(discovery)])


def _global_forms(discovery: Discovery, ids: Sequence[str]) -> list[GlobalIdSettings]:
    """The global ids a site of the user type may take instead: Relay's, PostGraphile's."""
    if discovery.fetcher.scalar == "Int" or not all(i.isascii() and i.isdigit() for i in ids):
        return []
    name = discovery.user_type.name
    table = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + "s"
    return [
        GlobalIdSettings(encoding="relay", type=name),
        GlobalIdSettings(encoding="postgraphile", type=table),
    ]


def _fetch_by_ids(
    endpoint: Endpoint, discovery: Discovery, ids: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The users with `ids`, asked as given, else as global ids of the user type (and which)."""
    refused: InitError | None = None
    try:
        users = _fetch_users(endpoint, discovery, ids)
    except InitError as exc:
        users, refused = [], exc
    for settings in [] if users else _global_forms(discovery, ids):
        codec = GlobalIds(settings)
        try:
            users = _fetch_users(endpoint, discovery, [codec.encode(i) for i in ids])
        except InitError:
            continue
        if users:
            return users, settings.model_dump(exclude_none=True)
    if refused is not None and not users:
        raise refused
    return users, None


def _key(discovery: Discovery) -> str:
    """The field the fetch field matches ids on: a filter's integer key, else the id field."""
    return discovery.fetcher.key or discovery.id_field


def _ids(users: Sequence[dict[str, Any]], id_field: str) -> tuple[str, ...]:
    return tuple(str(u[id_field]) for u in users if u.get(id_field) is not None)


def _listed_ids(endpoint: Endpoint, discovery: Discovery) -> tuple[tuple[str, ...], str]:
    count = len(DEFAULT_IDS)
    for listing in discovery.listings:
        try:
            query = listing_query(listing, _key(discovery), count)
            data = endpoint.execute(query, purpose="listing query")
        except InitError:
            continue
        ids = _ids(_collect(data.get(listing.name), listing.below), _key(discovery))
        if ids:
            return ids[:count], f"the first users listed by `{listing.name}`"
    for search in discovery.searches[:1]:
        try:
            query = search_document(search, [_key(discovery)], limit=count)
            data = endpoint.execute(query, {"query": _SEARCH_TEXT}, purpose="search query")
        except InitError:
            continue
        ids = _ids(_collect(data.get(search.name), search.below), _key(discovery))
        if ids:
            return ids[:count], f"users found by `{search.name}` for {_SEARCH_TEXT!r}"
    return (), ""


def collect_samples(
    endpoint: Endpoint,
    discovery: Discovery,
    *,
    given: Sequence[str] | None = None,
) -> Samples:
    """A few users of the site; never raises for a site that will not say."""
    try:
        if given:
            users, encoded_by = _fetch_by_ids(endpoint, discovery, given)
            note = f"the ids you gave ({', '.join(given)})"
            return Samples(tuple(given), tuple(users), note, bool(users), encoded_by)
        refused: InitError | None = None
        try:
            users, encoded_by = _fetch_by_ids(endpoint, discovery, DEFAULT_IDS)
        except InitError as exc:
            # Ids 1, 2, 3 may not even be valid here (a site of global ids): try a listing.
            users, encoded_by, refused = [], None, exc
        if users:
            ids = _ids(users, _key(discovery))
            return Samples(ids, tuple(users), f"ids {', '.join(ids)} exist", True, encoded_by)
        ids, source = _listed_ids(endpoint, discovery)
        if ids:
            users, encoded_by = _fetch_by_ids(endpoint, discovery, ids)
            return Samples(ids, tuple(users), source, bool(users), encoded_by)
        if refused is not None:
            raise refused
    except InitError as exc:
        return Samples(DEFAULT_IDS, (), f"the site would not give sample users: {exc}")
    return Samples(
        DEFAULT_IDS,
        (),
        "found no sample users (ids 1, 2, 3 are unknown and no field lists users); "
        "pass --sample-ids",
    )
