"""Guess the mapping from the user type's field names and types, and from sampled values.

Pure. Each guess carries the reason shown to the person running `init` and written beside it in
`config.yaml`. `user_mail` is found but switched off: an email address is personal data, and the
chat works without it. Global ids in the sampled users (`VXNlcjo1` is Relay's `User:5`) are told
apart only when every id decodes the same way and the adapter's own encoder writes each one back
exactly as the site sent it, so the chat's ids (the part inside) can be turned into what the
site's fetch field takes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, get_named_type
from pydantic import ValidationError

from adapter.config import FieldSpec, GlobalIdSettings
from adapter.globalids import GlobalIds, b64decode_text
from adapter.init.discover import Discovery
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
    is_list,
    leaves,
    normalise,
    object_fields,
    plain_name,
    required_arguments,
    resolve_path,
    word_rank,
)
from adapter.mapping import spec_paths
from adapter.paths import dig
from adapter.urls import display_url

__all__ = [
    "Guess",
    "IdType",
    "Proposal",
    "converter_for",
    "guess_from_source",
    "propose",
]

IdType = Literal["int", "str"]
_MS_SUFFIXES = ("ms", "millis", "milliseconds", "msec", "inms")
_MILLISECONDS_ABOVE = 100_000_000_000
_NUMBER_SCALARS = ("Int", "Float")
_SECONDS_SCALARS = ("timestamp", "long", "epoch", "bigint", "unix")
_DATE_SCALARS = ("datetime", "date", "time", "instant", "iso")
_ROLE_NAMES = ("role", "userrole", "usertype", "accounttype", "type", "group", "rank")
# Site moderators moderate the chat too; chat admins are the chat's moderators.
_ADMIN_VALUES = (
    "admin",
    "administrator",
    "owner",
    "superuser",
    "superadmin",
    "root",
    "moderator",
    "mod",
    "staff",
)
_USER_VALUES = (
    "user",
    "member",
    "subscriber",
    "customer",
    "guest",
    "author",
    "contributor",
    "editor",
    "viewer",
    "reader",
    "basic",
    "regular",
    "standard",
    "normal",
    "default",
    "client",
    "banned",
    "blocked",
    "suspended",
    "pending",
)
_FILE_SUFFIXES = ("file", "filename", "path", "key", "name")
_PROFILE_LISTS = ("profiles", "subprofiles", "characters", "personas", "identities", "aliases")
_KEYS = ("key", "slug", "handle", "code")
_ADMIN_FLAGS = ("isadmin", "admin", "issuperuser", "superuser", "isowner")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_FILES_BASE = "https://files.example.com/avatars"
_RELAY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,99}):(.{1,100})", re.DOTALL)
_GID = re.compile(r"(gid://[A-Za-z0-9_.-]+/[A-Za-z0-9_]+/)([^/]+)")


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
    profiles: dict[str, Any] | None = None
    profiles_reason: str = ""

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
    by_name = {normalise(leaf.name): leaf.path for leaf in fields}
    if not display and "firstname" in by_name and "lastname" in by_name:
        first, last = by_name["firstname"], by_name["lastname"]
        template = f"{{{first}}} {{{last}}}"
        spec: list[str] = [template, first, last, *(leaf.path for leaf in usernames[:1])]
        reason = (
            f"no display-name field, so first and last name joined ({template}); either alone "
            "when the other is empty"
        )
        if usernames:
            reason += f", {usernames[0].name} when both are"
        return Guess("name", spec, reason)
    if display and usernames:
        return Guess(
            "name",
            [display[0].path, usernames[0].path],
            f"{display[0].name} looks like a display name; {usernames[0].name} "
            "(a username) when it is empty",
        )
    if display or usernames:
        leaf = (display or usernames)[0]
        kind = "a display name" if display else "a username"
        return Guess("name", leaf.path, f"{leaf.name} looks like {kind}")
    id_name = next((leaf.path for leaf in leaves(user) if normalise(leaf.name) == "id"), "id")
    return Guess(
        "name",
        f"{user.name} {{{id_name}}}",
        "no name-like field: the chat needs a name, so the id stands in; change this",
    )


def _avatar(
    user: GraphQLObjectType, samples: Sequence[Mapping[str, Any]], site: str | None
) -> Guess:
    ranked: list[tuple[int, int, str, str]] = []
    for leaf in find_leaves(_texts(leaves(user)), AVATAR_WORDS):
        rank = word_rank(leaf.name, AVATAR_WORDS)
        if rank is not None:
            ranked.append((rank, 0, leaf.path, f"{leaf.name} looks like an avatar URL"))
    for name, obj in object_fields(user):
        rank = word_rank(plain_name(name), AVATAR_WORDS)
        if rank is None:
            continue
        if obj.name == "directus_files" and "id" in obj.fields:
            # Directus serves a file at /assets/<its id>.
            return Guess(
                "avatar_url",
                {"template": f"{_origin(site)}/assets/{{{name}.id}}", "convert": "or_false"},
                f"{name} is a Directus file, served at /assets/<id>; no avatar -> false",
            )
        inner = find_leaves(_texts(leaves(obj, f"{name}.")), AVATAR_OBJECT_URL, contains=True)
        if inner:
            path = inner[0].path
            ranked.append((rank, 1, path, f"{name} is an object; {path} is its URL"))
    if not ranked:
        return _avatar_file(user, samples)
    ranked.sort()
    _, _, path, reason = ranked[0]
    values = [v for v in _values(samples, path) if isinstance(v, str)]
    if values and all(v.startswith("/") and not v.startswith("//") for v in values):
        # Strapi's local uploads: `/uploads/a.png`, a path on the site itself.
        return Guess(
            "avatar_url",
            {"template": f"{_origin(site)}{{{path}}}", "convert": "or_false"},
            f"{reason}; the sampled values are paths on the site, so joined to its address; "
            "no avatar -> false",
        )
    return Guess(
        "avatar_url",
        {"path": path, "convert": "or_false"},
        f"{reason}; no avatar -> false, which the chat shows as its default picture",
    )


def _avatar_file(user: GraphQLObjectType, samples: Sequence[Mapping[str, Any]]) -> Guess:
    """A field holding an avatar's file name (`avatar_file`): a URL template around it."""
    for leaf in _texts(leaves(user)):
        key = normalise(leaf.name)
        word = next((w for w in AVATAR_WORDS if key.startswith(w)), None)
        if word is None or key[len(word) :] not in _FILE_SUFFIXES:
            continue
        values = [v for v in _values(samples, leaf.path) if isinstance(v, str)]
        if values and all(v.startswith(("http://", "https://")) for v in values):
            return Guess(
                "avatar_url",
                {"path": leaf.path, "convert": "or_false"},
                f"the sampled {leaf.name} values are URLs; no avatar -> false",
            )
        template = f"{_FILES_BASE}/{{{leaf.path}}}"
        return Guess(
            "avatar_url",
            {"template": template, "convert": "or_false"},
            f"{leaf.name} holds a file name, not a URL: {_FILES_BASE}/ is a placeholder, "
            "replace it with where the site serves these files; no avatar -> false",
        )
    return Guess("avatar_url", None, "no avatar, picture, photo or image field")


def _profile_url(user: GraphQLObjectType, site: str | None) -> Guess:
    texts = _texts(leaves(user))
    uri = next((leaf for leaf in texts if normalise(leaf.name) == "uri"), None)
    if uri is not None:
        # WPGraphQL: `uri` is the member's page on the site (/author/ada/), `url` their own
        # website; a path, so it goes after the site's address.
        template = f"{_origin(site)}{{{uri.path}}}"
        return Guess(
            "profile_url",
            template,
            f"{uri.name} is the member's page on the site, a path: joined to the site's address "
            "(a `url` beside it is the member's own website, not their profile)",
        )
    found = find_leaves(texts, PROFILE_URLS)
    if found:
        return Guess("profile_url", found[0].path, f"{found[0].name} looks like a profile link")
    ids = [leaf for leaf in leaves(user) if normalise(leaf.name) == "id"]
    keys = [*find_leaves(texts, USERNAMES), *ids]
    if not keys:
        return Guess("profile_url", None, "no profile-link field, and no username or id for one")
    key = keys[0].path
    return Guess(
        "profile_url",
        f"{_origin(site)}/members/{{{key}}}/",
        f"no profile-link field, so a template on the site's address: /members/ is a guess, "
        f"change it to where the site shows a member's page (a missing {key} leaves it out)",
    )


def _origin(site: str | None) -> str:
    parts = urlsplit(site or "")
    if parts.scheme in ("http", "https") and parts.hostname:
        return display_url(f"{parts.scheme}://{parts.netloc}")
    return "https://www.example.com"


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
            values = list(leaf.type.values)
            admins = [v for v in values if normalise(v) in _ADMIN_VALUES]
            if admins:
                users = [v for v in values if normalise(v) in _USER_VALUES]
                lookup = {
                    v: "admin" if v in admins else "user" for v in values if v in admins + users
                }
                unsure = [v for v in values if v not in lookup]
                reason = f"{leaf.name} {', '.join(admins)} -> chat admin"
                if users:
                    reason += f"; {', '.join(users)} -> user"
                if unsure:
                    reason += f"; not classified, so user: {', '.join(unsure)}"
                return Guess(
                    "chat_role",
                    {"path": leaf.path, "lookup": lookup, "default": "user"},
                    f"{reason}; chat admins moderate the chat, so check this",
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


def _profiles(user: GraphQLObjectType) -> tuple[dict[str, Any] | None, str]:
    """`mapping.profiles` for a list of profile-like objects on the user, and why."""
    for name, field_ in user.fields.items():
        named = get_named_type(field_.type)
        if not isinstance(named, GraphQLObjectType) or not is_list(field_.type):
            continue
        if normalise(name) not in _PROFILE_LISTS or required_arguments(field_):
            continue
        inner = leaves(named)
        ids = [leaf.name for leaf in inner if normalise(leaf.name) == "id"]
        names = find_leaves(_texts(inner), DISPLAY_NAMES)
        if not ids or not names:
            continue
        fields: dict[str, Any] = {"user_id": ids[0], "name": names[0].name}
        avatars = find_leaves(_texts(inner), AVATAR_WORDS)
        if avatars:
            fields["avatar_url"] = {"path": avatars[0].name, "convert": "or_false"}
        rule: dict[str, Any] = {"path": name, "fields": fields}
        keys = [leaf.name for leaf in inner if normalise(leaf.name) in _KEYS]
        if keys:
            rule["key"] = keys[0]
        return rule, (
            f"{name} lists {named.name} objects with an id and a name: the chat shows them as "
            "the user's sub-profiles"
        )
    return None, "no list of sub-profiles"


@dataclass(frozen=True)
class GlobalIdGuess:
    settings: dict[str, Any]
    # The sampled ids as the chat knows them, in the order given.
    local_ids: tuple[str, ...]
    reason: str


def _global_id_kind(text: str) -> tuple[dict[str, Any], str] | None:
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


def _describe_global_ids(settings: Mapping[str, Any]) -> str:
    """The encoding as a person reads it: base64("User:<id>")."""
    kind = settings["encoding"]
    if kind == "relay":
        return f'base64("{settings["type"]}:<id>")'
    if kind == "postgraphile":
        return f"base64('[\"{settings['type']}\",<id>]')"
    return str(settings["template"]).replace("{id}", "<id>")


def detect_global_ids(ids: Sequence[str]) -> GlobalIdGuess | None:
    """The global-id encoding every one of `ids` uses, checked by encoding them back."""
    kinds = [_global_id_kind(text) for text in ids]
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
    shown = _describe_global_ids(settings)
    reason = (
        f"the sampled ids are global ids, {shown} ({ids[0]} holds {local_ids[0]!r}): the chat "
        "uses the id inside, and the adapter encodes it for the site and decodes its answers"
    )
    return GlobalIdGuess(settings, local_ids, reason)


_ROW_IDS = ("databaseid", "rowid", "pk", "userid", "memberid")


def _numbers(ids: Sequence[str]) -> bool:
    return all(i.isascii() and i.isdigit() for i in ids)


def _ids(
    discovery: Discovery,
    samples: Sequence[Mapping[str, Any]],
    encoded_by: Mapping[str, Any] | None,
) -> tuple[str, IdType, str, GlobalIdGuess | None]:
    """The mapping's id field, the chat's id type and why, and any global-id encoding."""
    fetcher, id_field = discovery.fetcher, discovery.id_field
    if fetcher.key is not None:
        why = (
            f"{fetcher.signature} finds users by {fetcher.key}, an integer, as the chat's ids "
            "are; the widget's token carries it too"
        )
        return fetcher.key, "int", why, None
    ids = [str(v) for v in _values(samples, id_field)]
    guess = detect_global_ids(ids)
    if guess is None and encoded_by is not None and ids:
        reason = (
            f"{fetcher.signature} found the sampled users only by global ids, "
            f"{_describe_global_ids(encoded_by)}, and {id_field} holds the id inside: "
            "the adapter encodes the chat's ids for the site"
        )
        guess = GlobalIdGuess(dict(encoded_by), tuple(ids), reason)
    elif guess is not None and fetcher.scalar == "Int":
        # The fetch field takes the row's number (WPGraphQL's `include`): match on that field.
        for leaf in leaves(discovery.user_type):
            if normalise(leaf.name) in _ROW_IDS and leaf.scalar == "Int":
                why = f"{id_field} holds global ids, and {fetcher.signature} takes numbers: "
                return leaf.name, "int", f"{why}{leaf.name} is the number", None
        guess = None
    if guess is not None:
        local = guess.local_ids
        reason = f"the ids inside the site's global ids ({', '.join(local)})"
        return id_field, "int" if _numbers(local) else "str", reason, guess
    if fetcher.scalar == "Int":
        return id_field, "int", f"{fetcher.signature} takes Int ids", None
    if ids and not _numbers(ids):
        why = f"the sampled ids are not numbers ({ids[0]!r}): they are sent as text"
        return id_field, "str", why, None
    if ids:
        return id_field, "int", "the sampled ids are numbers, which the chat wants as numbers", None
    why = "numbers, as the chat prefers; set `str` if the site's ids are not numbers"
    return id_field, "int", why, None


def propose(
    discovery: Discovery,
    samples: Sequence[Mapping[str, Any]] = (),
    *,
    site: str | None = None,
    encoded_by: Mapping[str, Any] | None = None,
) -> Proposal:
    """Every chat field's guess for the discovered user type."""
    user = discovery.user_type
    id_field, id_type, id_reason, global_id = _ids(discovery, samples, encoded_by)
    profiles, profiles_reason = _profiles(user)
    return Proposal(
        id_field=id_field,
        id_type=id_type,
        id_reason=id_reason,
        global_id=global_id,
        profiles=profiles,
        profiles_reason=profiles_reason,
        guesses=(
            _name(user),
            _avatar(user, samples, site),
            _profile_url(user, site),
            _lastlogin(user, samples),
            _badge(user),
            _chat_role(user),
            _user_mail(user),
        ),
    )


def path_problem(user: GraphQLObjectType, spec: FieldSpec | list[str]) -> str | None:
    """Why a path `spec` reads does not fit the schema, or None when every one does."""
    for path in spec_paths(spec):
        found = resolve_path(user, path)
        if isinstance(found, str):
            return found
    return None


def guess_from_source(
    field: str,
    source: str | list[str],
    user: GraphQLObjectType,
    samples: Sequence[Mapping[str, Any]] = (),
) -> Guess | str:
    """The guess for a source the person typed (a path, a template or fallbacks), or a problem;
    with the field's usual converter (`or_false` for avatars, for `lastlogin` the one that fits)."""
    problem = path_problem(user, source)
    if problem is not None:
        return problem
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
