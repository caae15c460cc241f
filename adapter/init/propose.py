"""Guess the mapping from the user type's field names and types, and from sampled values.

Pure. Each guess carries the reason shown to the person running `init` and written beside it in
`config.yaml`. `user_mail` is found but switched off: an email address is personal data, and the
chat works without it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLScalarType

from adapter.init.discover import Discovery
from adapter.init.globalid import GlobalIdGuess, detect_global_ids
from adapter.init.vocabulary import (
    AVATAR_OBJECT_URL,
    AVATAR_WORDS,
    DISPLAY_NAMES,
    EMAILS,
    LAST_LOGIN_WORDS,
    PROFILE_URLS,
    USERNAMES,
    Leaf,
    find_leaves,
    leaves,
    normalise,
    object_fields,
    resolve_path,
)
from adapter.operations import dig

__all__ = [
    "CHAT_FIELDS",
    "Guess",
    "IdType",
    "Proposal",
    "converter_for",
    "guess_from_source",
    "propose",
    "source_paths",
]

IdType = Literal["int", "str"]
CHAT_FIELDS = ("name", "avatar_url", "profile_url", "lastlogin", "badge", "chat_role", "user_mail")
_MS_SUFFIXES = ("ms", "millis", "milliseconds", "msec", "inms")
_MILLISECONDS_ABOVE = 100_000_000_000
_NUMBER_SCALARS = ("Int", "Float")
_SECONDS_SCALARS = ("timestamp", "long", "epoch", "bigint", "unix")
_DATE_SCALARS = ("datetime", "date", "time", "instant", "iso")
_ROLE_NAMES = ("role", "userrole", "usertype", "accounttype", "type", "group", "rank")
_ADMIN_VALUES = ("admin", "administrator", "owner", "superuser", "superadmin", "root")
_ADMIN_FLAGS = ("isadmin", "admin", "issuperuser", "superuser", "isowner")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Guess:
    """One chat field: its spec as YAML data (None: no guess), and why."""

    field: str
    spec: Any
    reason: str
    # False: written commented out, switched off.
    enabled: bool = True


@dataclass(frozen=True)
class Proposal:
    id_field: str
    id_type: IdType
    id_reason: str
    guesses: tuple[Guess, ...]
    # Set when the site's ids are global ids (`base64("User:5")`): the chat uses the id inside.
    global_id: GlobalIdGuess | None = None

    def guess(self, name: str) -> Guess:
        return next(g for g in self.guesses if g.field == name)

    def with_guess(self, new: Guess) -> Proposal:
        return replace(
            self, guesses=tuple(new if g.field == new.field else g for g in self.guesses)
        )

    def fields(self) -> dict[str, Any]:
        """The switched-on fields, as `mapping.fields` data."""
        return {g.field: g.spec for g in self.guesses if g.enabled and g.spec is not None}


def _texts(candidates: Sequence[Leaf]) -> list[Leaf]:
    """Leaves holding text: String, ID, or a custom scalar such as URL or DateTime."""
    return [
        leaf
        for leaf in candidates
        if isinstance(leaf.type, GraphQLScalarType)
        and leaf.scalar not in ("Int", "Float", "Boolean")
    ]


def _values(samples: Sequence[Mapping[str, Any]], path: str) -> list[Any]:
    keys = path.split(".")
    return [value for sample in samples if (value := dig(sample, keys)) is not None]


def _name(user: GraphQLObjectType) -> Guess:
    fields = _texts(leaves(user))
    display = find_leaves(fields, DISPLAY_NAMES)
    usernames = [leaf for leaf in find_leaves(fields, USERNAMES) if leaf not in display[:1]]
    by_name = {normalise(leaf.name): leaf.name for leaf in fields}
    if not display and "firstname" in by_name and "lastname" in by_name:
        template = f"{{{by_name['firstname']}}} {{{by_name['lastname']}}}"
        spec: list[str] = [template, *(leaf.name for leaf in usernames[:1])]
        reason = f"no display-name field, so first and last name joined ({template})"
        if usernames:
            reason += f"; {usernames[0].name} when either is empty"
        return Guess("name", spec if len(spec) > 1 else template, reason)
    if display and usernames:
        return Guess(
            "name",
            [display[0].name, usernames[0].name],
            f"{display[0].name} looks like a display name; {usernames[0].name} "
            "(a username) when it is empty",
        )
    if display or usernames:
        leaf = (display or usernames)[0]
        kind = "a display name" if display else "a username"
        return Guess("name", leaf.name, f"{leaf.name} looks like {kind}")
    id_name = next((leaf.name for leaf in leaves(user) if normalise(leaf.name) == "id"), "id")
    return Guess(
        "name",
        f"{user.name} {{{id_name}}}",
        "no name-like field: the chat needs a name, so the id stands in; change this",
    )


def _avatar(user: GraphQLObjectType) -> Guess:
    ranked: list[tuple[int, int, str, str]] = []
    for leaf in find_leaves(_texts(leaves(user)), AVATAR_WORDS):
        rank = _word_rank(leaf.name, AVATAR_WORDS)
        if rank is not None:
            ranked.append((rank, 0, leaf.path, f"{leaf.name} looks like an avatar URL"))
    for name, obj in object_fields(user):
        rank = _word_rank(name, AVATAR_WORDS)
        if rank is None:
            continue
        inner = find_leaves(_texts(leaves(obj, f"{name}.")), AVATAR_OBJECT_URL, contains=True)
        if inner:
            path = inner[0].path
            ranked.append((rank, 1, path, f"{name} is an object; {path} is its URL"))
    if not ranked:
        return Guess("avatar_url", None, "no avatar, picture, photo or image field")
    ranked.sort()
    _, _, path, reason = ranked[0]
    return Guess(
        "avatar_url",
        {"path": path, "convert": "or_false"},
        f"{reason}; no avatar -> false, which the chat shows as its default picture",
    )


def _word_rank(name: str, words: Sequence[str]) -> int | None:
    key = normalise(name)
    for rank, word in enumerate(words):
        if key == word or key.startswith(word):
            return rank
    return None


def _profile_url(user: GraphQLObjectType) -> Guess:
    found = find_leaves(_texts(leaves(user)), PROFILE_URLS)
    if found:
        return Guess("profile_url", found[0].path, f"{found[0].name} looks like a profile link")
    usernames = find_leaves(_texts(leaves(user)), USERNAMES)
    key = usernames[0].name if usernames else "id"
    return Guess(
        "profile_url",
        None,
        "no profile-link field; a template builds one, for example "
        f'"https://www.example.com/members/{{{key}}}/"',
    )


def converter_for(leaf: Leaf, samples: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The converter that turns this field's values into unix seconds, and why."""
    key = normalise(leaf.name)
    description = (leaf.field.description or "").lower()
    if key.endswith(_MS_SUFFIXES) or "millisecond" in description:
        return "epoch_ms_to_unix", f"{leaf.name} is named or described as milliseconds"
    values = _values(samples, leaf.path)
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and all(abs(n) >= _MILLISECONDS_ABOVE for n in numbers):
        return "epoch_ms_to_unix", f"the sampled {leaf.name} values are epoch milliseconds"
    if numbers:
        return "unix_seconds", f"the sampled {leaf.name} values are epoch seconds"
    texts = [v for v in values if isinstance(v, str)]
    if texts and all(_is_iso8601(t) for t in texts):
        return "iso8601_to_unix", f"the sampled {leaf.name} values are ISO-8601 date-times"
    scalar = leaf.scalar.lower()
    if texts or leaf.scalar in _NUMBER_SCALARS or any(w in scalar for w in _SECONDS_SCALARS):
        return (
            "unix_seconds",
            f"{leaf.name} is a {leaf.scalar}: epoch seconds, milliseconds or ISO-8601 text, "
            "told apart when read",
        )
    if leaf.scalar == "String" or any(w in scalar for w in _DATE_SCALARS):
        return "iso8601_to_unix", f"{leaf.name} is a {leaf.scalar}: date-time text"
    return "unix_seconds", f"{leaf.name} is a {leaf.scalar}; unsure of its shape"


def _is_iso8601(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _lastlogin(user: GraphQLObjectType, samples: Sequence[Mapping[str, Any]]) -> Guess:
    candidates = [
        leaf
        for leaf in find_leaves(leaves(user), LAST_LOGIN_WORDS, contains=True)
        if isinstance(leaf.type, GraphQLScalarType) and leaf.scalar not in ("Boolean", "ID")
    ]
    if not candidates:
        return Guess("lastlogin", None, "no last-login or last-seen field")
    leaf = candidates[0]
    converter, why = converter_for(leaf, samples)
    reason = f"{leaf.name} looks like the last login; {converter}: {why}"
    if len(candidates) > 1:
        reason += f" (also found: {', '.join(c.name for c in candidates[1:3])})"
    return Guess("lastlogin", {"path": leaf.path, "convert": converter}, reason)


def _badge(user: GraphQLObjectType) -> Guess:
    found = [
        leaf for leaf in _texts(leaves(user)) if normalise(leaf.name) in ("badge", "badgetext")
    ]
    if not found:
        return Guess("badge", None, "no badge field")
    return Guess("badge", found[0].path, f"{found[0].name} is shown as the user's badge")


def _chat_role(user: GraphQLObjectType) -> Guess:
    for leaf in leaves(user):
        key = normalise(leaf.name)
        if isinstance(leaf.type, GraphQLEnumType) and key in _ROLE_NAMES:
            admins = [v for v in leaf.type.values if normalise(v) in _ADMIN_VALUES]
            if admins:
                return Guess(
                    "chat_role",
                    {
                        "path": leaf.path,
                        "lookup": dict.fromkeys(admins, "admin"),
                        "default": "user",
                    },
                    f"{leaf.name} {', '.join(admins)} -> chat admin, every other value -> user; "
                    "chat admins moderate the chat, so check this",
                )
        if leaf.scalar == "Boolean" and key in _ADMIN_FLAGS:
            return Guess(
                "chat_role",
                {"path": leaf.path, "lookup": {"true": "admin"}, "default": "user"},
                f"{leaf.name} true -> chat admin, otherwise user; chat admins moderate the chat, "
                "so check this",
            )
    return Guess("chat_role", None, "no role field with an admin value; everyone is a chat user")


def _user_mail(user: GraphQLObjectType) -> Guess:
    found = find_leaves(_texts(leaves(user)), EMAILS)
    if not found:
        return Guess("user_mail", None, "no email field", enabled=False)
    return Guess(
        "user_mail",
        found[0].path,
        f"{found[0].name} is an email address: personal data, so it is off; the chat works "
        "without it, switch it on only if your chat needs it",
        enabled=False,
    )


def _id_type(discovery: Discovery, samples: Sequence[Mapping[str, Any]]) -> tuple[IdType, str]:
    fetcher = discovery.fetcher
    if fetcher.scalar == "Int":
        return "int", f"{fetcher.signature} takes Int ids"
    ids = [str(v) for v in _values(samples, discovery.id_field)]
    if ids and not all(i.isascii() and i.isdigit() for i in ids):
        return "str", f"the sampled ids are not numbers ({ids[0]!r}): they are sent as text"
    if ids:
        return "int", "the sampled ids are numbers, which the chat wants as numbers"
    return "int", "numbers, as the chat prefers; set `str` if the site's ids are not numbers"


_ROW_IDS = ("databaseid", "rowid", "pk", "userid", "memberid")


def _id_field(
    discovery: Discovery, samples: Sequence[Mapping[str, Any]]
) -> tuple[str, GlobalIdGuess | None, str | None]:
    """The mapping's id, any global-id encoding, and why (None: the plain id field)."""
    ids = [str(v) for v in _values(samples, discovery.id_field)]
    guess = detect_global_ids(ids)
    if guess is None:
        return discovery.id_field, None, None
    if discovery.fetcher.scalar == "Int":
        # The fetch field takes the row's number (WPGraphQL's `include`): match on that field.
        for leaf in leaves(discovery.user_type):
            if normalise(leaf.name) in _ROW_IDS and leaf.scalar == "Int":
                why = (
                    f"{discovery.id_field} holds global ids, and {discovery.fetcher.signature} "
                    f"takes numbers: {leaf.name} is the number"
                )
                return leaf.name, None, why
        return discovery.id_field, None, None
    return discovery.id_field, guess, guess.reason


def propose(discovery: Discovery, samples: Sequence[Mapping[str, Any]] = ()) -> Proposal:
    """Every chat field's guess for the discovered user type."""
    user = discovery.user_type
    id_field, global_id, why = _id_field(discovery, samples)
    id_type, id_reason = _id_type(discovery, samples)
    if global_id is not None:
        numbers = all(i.isascii() and i.isdigit() for i in global_id.local_ids)
        id_type = "int" if numbers else "str"
        id_reason = f"the ids inside the site's global ids ({', '.join(global_id.local_ids)})"
    elif why is not None:
        id_type, id_reason = "int", why
    return Proposal(
        id_field=id_field,
        id_type=id_type,
        id_reason=id_reason,
        global_id=global_id,
        guesses=(
            _name(user),
            _avatar(user),
            _profile_url(user),
            _lastlogin(user, samples),
            _badge(user),
            _chat_role(user),
            _user_mail(user),
        ),
    )


def source_paths(source: str | list[str]) -> list[str]:
    """The field paths a path, a template or a list of them reads."""
    items = source if isinstance(source, list) else [source]
    paths: list[str] = []
    for item in items:
        names = _PLACEHOLDER.findall(item)
        if names:
            paths.extend(name.strip() for name in names)
        else:
            paths.append(item)
    return paths


def guess_from_source(
    field: str,
    source: str | list[str],
    user: GraphQLObjectType,
    samples: Sequence[Mapping[str, Any]] = (),
) -> Guess | str:
    """The guess for a source the person typed (a path, a template or fallbacks), or a problem.

    The field's usual converter is kept: `or_false` for avatars, and for `lastlogin` the one that
    fits the newly chosen field.
    """
    for path in source_paths(source):
        found = resolve_path(user, path)
        if isinstance(found, str):
            return found
    key = "template" if isinstance(source, str) and _PLACEHOLDER.search(source) else "path"
    if field == "avatar_url":
        spec: Any = (
            {"first_of": source, "convert": "or_false"}
            if isinstance(source, list)
            else {key: source, "convert": "or_false"}
        )
        return Guess(field, spec, "your choice; no avatar -> false")
    if field == "lastlogin" and isinstance(source, str) and key == "path":
        leaf = resolve_path(user, source)
        assert isinstance(leaf, Leaf)  # resolved above
        converter, why = converter_for(leaf, samples)
        return Guess(field, {"path": source, "convert": converter}, f"your choice; {why}")
    return Guess(field, source, "your choice", enabled=True)
