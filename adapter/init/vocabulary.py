"""What user fields are usually called, and how to find them in a GraphQL object type.

Names are compared normalised (lower case, no `_` or `-`), so `display_name`, `displayName` and
`DisplayName` are one name. Each vocabulary is ordered: earlier names are better guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    get_named_type,
    is_list_type,
    is_non_null_type,
    is_required_argument,
)

__all__ = [
    "AVATAR_OBJECT_URL",
    "AVATAR_WORDS",
    "DISPLAY_NAMES",
    "EMAILS",
    "LAST_LOGIN_WORDS",
    "PROFILE_URLS",
    "USERNAMES",
    "USER_TYPE_NAMES",
    "Leaf",
    "find_leaves",
    "is_list",
    "leaves",
    "normalise",
    "object_fields",
    "plain_name",
    "required_arguments",
    "resolve_path",
    "word_rank",
]

USER_TYPE_NAMES = (
    "user",
    "member",
    "account",
    "person",
    "profile",
    "customer",
    "player",
    "author",
    "people",
    "contact",
)
DISPLAY_NAMES = (
    "displayname",
    "fullname",
    "name",
    "publicname",
    "realname",
    "screenname",
    "nickname",
    "nick",
    "profilename",
)
USERNAMES = ("username", "login", "handle", "slug", "accountname", "userlogin", "nicename")
AVATAR_WORDS = (
    "avatar",
    "profilepicture",
    "profilepic",
    "profileimage",
    "profilephoto",
    "picture",
    "photo",
    "image",
    "thumbnail",
    "gravatar",
    "userpic",
    "icon",
)
# Inside an avatar object: where its address is.
AVATAR_OBJECT_URL = ("url", "src", "href", "uri", "link", "medium", "large", "original", "small")
PROFILE_URLS = (
    "profileurl",
    "profilelink",
    "profilepath",
    "permalink",
    "htmlurl",
    "weburl",
    "pageurl",
    "url",
    "link",
    "href",
)
LAST_LOGIN_WORDS = (
    "lastlogin",
    "lastloggedin",
    "lastsignin",
    "lastsignedin",
    "loggedinat",
    "lastseen",
    "lastonline",
    "onlineat",
    "lastactive",
    "lastactivity",
    "lastvisit",
    "lastaccess",
    "seenat",
    "activeat",
)
EMAILS = ("email", "emailaddress", "mail", "primaryemail")


def normalise(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def word_rank(name: str, words: Sequence[str]) -> int | None:
    """The place in `words` of the first word `name` is or starts with; None: none."""
    key = normalise(name)
    return next((rank for rank, word in enumerate(words) if key.startswith(word)), None)


def required_arguments(field: GraphQLField) -> dict[str, GraphQLArgument]:
    """Arguments a query must give: non-null and without a default."""
    return {name: arg for name, arg in field.args.items() if is_required_argument(arg)}


def is_list(type_: GraphQLType) -> bool:
    return is_list_type(type_.of_type if is_non_null_type(type_) else type_)


@dataclass(frozen=True)
class Leaf:
    """A selectable scalar or enum field, found at `path` (dotted) in the user type."""

    path: str
    field: GraphQLField

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def type(self) -> GraphQLNamedType:
        return get_named_type(self.field.type)

    @property
    def scalar(self) -> str:
        return self.type.name


def _entity_attributes(
    obj: GraphQLObjectType | GraphQLInterfaceType,
) -> GraphQLObjectType | None:
    """Strapi 4's entity wrapper (`id` beside `attributes { … }`): the attributes' type."""
    field = obj.fields.get("attributes")
    if field is None or "id" not in obj.fields or is_list(field.type):
        return None
    named = get_named_type(field.type)
    return named if isinstance(named, GraphQLObjectType) else None


def _entity_response(obj: GraphQLObjectType) -> GraphQLObjectType | None:
    """Strapi 4's single relation (`avatar { data { id attributes { url } } }`): the entity."""
    field = obj.fields.get("data")
    if field is None or is_list(field.type):
        return None
    named = get_named_type(field.type)
    if isinstance(named, GraphQLObjectType) and _entity_attributes(named) is not None:
        return named
    return None


def leaves(obj: GraphQLObjectType | GraphQLInterfaceType, prefix: str = "") -> list[Leaf]:
    """The scalar and enum fields that can be selected without arguments, not lists; through
    an entity wrapper's `attributes` too (Strapi 4), whose fields are the entity's own."""
    found = [
        Leaf(f"{prefix}{name}", field)
        for name, field in obj.fields.items()
        if isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
        and not required_arguments(field)
        and not is_list(field.type)
    ]
    attributes = _entity_attributes(obj)
    if attributes is not None:
        found += leaves(attributes, f"{prefix}attributes.")
    return found


def object_fields(
    obj: GraphQLObjectType | GraphQLInterfaceType, prefix: str = ""
) -> list[tuple[str, GraphQLObjectType]]:
    """Nested single objects (not lists) selectable without arguments, by their path; through
    Strapi 4's wrappers (`attributes`, and a relation's `data`) to the objects inside."""
    found = []
    attributes = _entity_attributes(obj)
    if attributes is not None:
        found += object_fields(attributes, f"{prefix}attributes.")
    for name, field in obj.fields.items():
        named = get_named_type(field.type)
        if (
            isinstance(named, GraphQLObjectType)
            and not is_list(field.type)
            and not required_arguments(field)
            and named is not attributes
        ):
            entity = _entity_response(named)
            if entity is not None:
                found.append((f"{prefix}{name}.data", entity))
            else:
                found.append((f"{prefix}{name}", named))
    return found


def plain_name(path: str) -> str:
    """The field a path names, past Strapi 4's wrappers: `attributes.avatar.data` -> avatar."""
    parts = [p for p in path.split(".") if p not in ("attributes", "data")]
    return parts[-1] if parts else path


def find_leaves(
    candidates: Iterable[Leaf], words: Sequence[str], *, contains: bool = False
) -> list[Leaf]:
    """Leaves named like `words`, best first: exact names, then a word with a usual suffix
    (`avatarUrl`, `lastLoginAt`), then (optionally) names containing one."""
    ranked: list[tuple[int, int, Leaf]] = []
    for leaf in candidates:
        name = normalise(leaf.name)
        for rank, word in enumerate(words):
            if name == word:
                ranked.append((0, rank, leaf))
                break
            if name.startswith(word) and name[len(word) :] in _SUFFIXES:
                ranked.append((1, rank, leaf))
                break
            if contains and word in name:
                ranked.append((2, rank, leaf))
                break
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [leaf for _, _, leaf in ranked]


_SUFFIXES = frozenset(
    {
        "url",
        "uri",
        "link",
        "at",
        "on",
        "date",
        "time",
        "datetime",
        "timestamp",
        "ts",
        "ms",
        "millis",
        "milliseconds",
        "inms",
        "seconds",
        "secs",
        "epoch",
        "unix",
        "utc",
        "address",
        "src",
        "text",
    }
)


def resolve_path(obj: GraphQLObjectType | GraphQLInterfaceType, path: str) -> Leaf | str:
    """The leaf at a dotted path, or a sentence saying why there is none."""
    parts = path.split(".")
    current: GraphQLObjectType | GraphQLInterfaceType = obj
    for position, part in enumerate(parts):
        field = current.fields.get(part)
        where = ".".join(parts[:position]) or current.name
        if field is None:
            known = ", ".join(sorted(current.fields))
            return f"{where} has no field {part!r} (it has: {known})"
        if required_arguments(field):
            return f"{part!r} needs arguments, which the documents cannot give"
        if is_list(field.type):
            return f"{part!r} is a list; the mapping reads single values"
        named = get_named_type(field.type)
        last = position == len(parts) - 1
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            if last:
                leaf_names = ", ".join(leaf.name for leaf in leaves(named))
                return f"{path!r} is an object; pick one of its fields ({leaf_names})"
            current = named
            continue
        if not last:
            return f"{'.'.join(parts[: position + 1])!r} is a {named.name}, not an object"
        return Leaf(path, field)
    raise AssertionError("a split path is never empty")  # pragma: no cover
