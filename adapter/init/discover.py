"""Find the user type and rank the root fields that fetch, search and identify users.

Pure: a schema in, a `Discovery` out, every choice with its reason. The fetch field decides the
batching strategy: a field taking a list of ids (`users(ids:)`, or inside a filter argument such
as `allMembers(filter: {id: {in: $ids}})`, see `filters.py`) becomes the `list` strategy and is
preferred, since a chunk of ids is one field; a field taking one id (`user(id:)`, Relay's
`node(id:)`) becomes the `alias` strategy, where the adapter repeats the field once per id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from adapter.errors import InitError
from adapter.init.filters import id_lists, scalar_list
from adapter.init.vocabulary import (
    AVATAR_WORDS,
    DISPLAY_NAMES,
    EMAILS,
    LAST_LOGIN_WORDS,
    USER_TYPE_NAMES,
    USERNAMES,
    find_leaves,
    is_list,
    leaves,
    normalise,
    required_arguments,
    word_rank,
)
from adapter.page_sizes import page_size_paths, page_size_text

__all__ = [
    "Discovery",
    "Fetcher",
    "Listing",
    "RootField",
    "Search",
    "Viewer",
    "discover",
    "returned_users",
]

Strategy = Literal["list", "alias"]
Shape = Literal["one", "list", "nodes", "edges"]

_VIEWER_NAMES = (
    "viewer",
    "me",
    "authenticateditem",  # KeystoneJS
    "usersme",  # Directus (users_me)
    "currentuser",
    "currentmember",
    "currentaccount",
    "myself",
    "self",
    "whoami",
    "loggedinuser",
    "authenticateduser",
    "current",
)
_SEARCH_WORDS = ("search", "find", "lookup", "autocomplete", "suggest", "filter", "query")
_SEARCH_ARGUMENTS = (
    "query",
    "q",
    "search",
    "term",
    "text",
    "keyword",
    "keywords",
    "filter",
    "name",
    "prefix",
    "contains",
)
_SKIPPED_TYPE_SUFFIXES = ("connection", "edge", "payload", "input", "result", "response", "page")


@dataclass(frozen=True)
class RootField:
    """A root Query field and how the user objects sit in its answer."""

    name: str
    # `... on User` is needed when the field returns an interface or a union.
    fragment: str | None
    # The path from the field's value to the user objects (connections: `nodes`).
    below: tuple[str, ...]
    score: int
    reason: str

    @property
    def result_path(self) -> str:
        return ".".join((self.name, *self.below))

    @property
    def signature(self) -> str:
        return self.name


@dataclass(frozen=True)
class Fetcher(RootField):
    strategy: Strategy = "list"
    argument: str = "ids"
    # The id argument's scalar: Int ids go over the wire as numbers, others as text.
    scalar: str = "ID"
    # Where the ids go inside an input-object argument: ("id", "in") for `filter: {id: {in:}}`.
    path: tuple[str, ...] = ()
    # The user field the ids are matched on, when a filter names one (`chat_id` in
    # `filter: {chat_id: {_in: $ids}}`); None: the id field itself.
    key: str | None = None
    # Where a list field takes its page size (`("first",)`, `("pagination", "limit")` into an
    # input object), given the batch size so no page is cut short.
    limit_argument: tuple[str, ...] = ()

    def call(self, value: str) -> str:
        """The argument text with `value` (a variable, or a type for showing) in its place:
        `filter: {id: {in: VALUE}}` for argument `filter` and path (id, in)."""
        return page_size_text((self.argument, *self.path), value)

    @property
    def signature(self) -> str:
        shown = f"[{self.scalar}!]" if self.strategy == "list" else self.scalar
        return f"{self.name}({self.call(shown)})"


@dataclass(frozen=True)
class Search(RootField):
    argument: str = "query"
    limit_argument: tuple[str, ...] = ()

    @property
    def signature(self) -> str:
        return f"{self.name}({self.argument}: String)"


@dataclass(frozen=True)
class Viewer(RootField):
    """A root field returning the signed-in user."""


@dataclass(frozen=True)
class Listing(RootField):
    """A field that lists users without being given ids: where sample ids come from."""

    limit_argument: tuple[str, ...]


@dataclass(frozen=True)
class Discovery:
    user_type: GraphQLObjectType
    id_field: str
    fetchers: tuple[Fetcher, ...]
    searches: tuple[Search, ...]
    viewers: tuple[Viewer, ...]
    listings: tuple[Listing, ...]
    reason: str
    runners_up: tuple[str, ...] = ()

    @property
    def fetcher(self) -> Fetcher:
        return self.fetchers[0]


@dataclass(frozen=True)
class _Returns:
    shape: Shape
    types: tuple[GraphQLObjectType, ...]
    abstract: bool
    below: tuple[str, ...]


def _possible(schema: GraphQLSchema, named: object) -> tuple[tuple[GraphQLObjectType, ...], bool]:
    if isinstance(named, GraphQLObjectType):
        return (named,), False
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return tuple(schema.get_possible_types(named)), True
    return (), False


def _returns(schema: GraphQLSchema, type_: GraphQLOutputType) -> _Returns | None:
    named = get_named_type(type_)
    if is_list(type_):
        types, abstract = _possible(schema, named)
        return _Returns("list", types, abstract, ()) if types else None
    if isinstance(named, GraphQLObjectType) and "id" not in named.fields:
        data = named.fields.get("data")
        if data is not None:
            # Strapi 4: `{ data: [Entity] }` for a collection, `{ data: Entity }` for one.
            types, abstract = _possible(schema, get_named_type(data.type))
            if types and "attributes" in types[0].fields:
                shape: Shape = "nodes" if is_list(data.type) else "one"
                return _Returns(shape, types, abstract, ("data",))
        nodes = named.fields.get("nodes")
        if nodes is not None and is_list(nodes.type):
            types, abstract = _possible(schema, get_named_type(nodes.type))
            if types:
                return _Returns("nodes", types, abstract, ("nodes",))
        edges = named.fields.get("edges")
        edge = get_named_type(edges.type) if edges is not None and is_list(edges.type) else None
        if isinstance(edge, GraphQLObjectType) and "node" in edge.fields:
            types, abstract = _possible(schema, get_named_type(edge.fields["node"].type))
            if types:
                return _Returns("edges", types, abstract, ("edges", "node"))
    types, abstract = _possible(schema, named)
    return _Returns("one", types, abstract, ()) if types else None


def returned_users(
    schema: GraphQLSchema, type_: GraphQLOutputType, user: GraphQLObjectType
) -> tuple[str | None, tuple[str, ...]] | None:
    """How a field of `type_` yields `user` objects: the fragment it needs (an abstract type)
    and the path below it (a connection's `nodes`); None when it does not."""
    found = _returns(schema, type_)
    if found is None or user not in found.types:
        return None
    return (user.name if found.abstract else None), found.below


def _id_field(obj: GraphQLObjectType) -> str | None:
    names = {normalise(leaf.name): leaf.name for leaf in leaves(obj)}
    # `documentId`: Strapi 5 shows its users only by it (the integer id stays inside).
    for wanted in (
        "id",
        f"{normalise(obj.name)}id",
        "userid",
        "uid",
        "databaseid",
        "pk",
        "documentid",
    ):
        if wanted in names:
            return names[wanted]
    return None


def _type_score(obj: GraphQLObjectType) -> tuple[int, list[str]]:
    """How much `obj` looks like a site's user; 0 when it does not at all."""
    name = normalise(obj.name)
    if name.endswith(_SKIPPED_TYPE_SUFFIXES):
        return 0, []
    id_field = _id_field(obj)
    if id_field is None:
        return 0, []
    score, reasons = 0, []
    if name in USER_TYPE_NAMES:
        score += 40 if name in ("user", "member") else 30
        reasons.append(f"its name, {obj.name}, is what sites call their users")
    elif any(word in name for word in USER_TYPE_NAMES):
        score += 15
        reasons.append(f"its name, {obj.name}, mentions a user")
    fields = leaves(obj)
    # Only people have usernames, emails and last logins; products have names and images too.
    user_specific = False
    for words, points, what in (
        (USERNAMES, 15, "a username"),
        (EMAILS, 10, "an email"),
        (LAST_LOGIN_WORDS, 10, "a last-login time"),
    ):
        found = find_leaves(fields, words)
        if found:
            score += points
            reasons.append(f"it has {what} ({found[0].name})")
            user_specific = True
    avatars = [n for n in obj.fields if word_rank(n, AVATAR_WORDS) is not None]
    if avatars:
        score += 10
        reasons.append(f"it has an avatar ({avatars[0]})")
    display = find_leaves(fields, DISPLAY_NAMES)
    named_parts = [
        leaf.name for leaf in fields if normalise(leaf.name) in ("firstname", "lastname")
    ]
    if display:
        score += 5
        reasons.append(f"it has a name ({display[0].name})")
    elif len(named_parts) == 2:
        score += 5
        reasons.append(f"it has a name ({' and '.join(named_parts)})")
        display = fields  # people have first and last names
    if score < 30 and not (user_specific and display):
        # A product with a name and an image is not a user; a user-named type or a type
        # with user-only fields (username, email, last login) is.
        return 0, []
    return score, reasons


def _id_argument(
    field_: GraphQLField, *, want_list: bool, type_name: str
) -> tuple[str, str] | None:
    """The argument carrying the id (or ids), with its scalar, when it is the only one needed."""
    required = required_arguments(field_)
    best: tuple[int, str, str] | None = None
    for name, arg in field_.args.items():
        named = get_named_type(arg.type)
        flat = scalar_list(arg.type) is not None if want_list else not is_list(arg.type)
        if not isinstance(named, GraphQLScalarType) or not flat:
            continue
        key = normalise(name)
        if not _id_like(name) and not (named.name in ("ID", "Int") and set(required) == {name}):
            continue
        if set(required) - {name}:
            continue  # another argument is required too: we cannot fill it in
        rank = 0 if key in ("id", "ids") else 1 if normalise(type_name) in key else 2
        if best is None or rank < best[0]:
            best = (rank, name, named.name)
    return (best[1], best[2]) if best else None


def _fetcher(
    name: str, field_: GraphQLField, returns: _Returns, user: GraphQLObjectType
) -> Fetcher | None:
    want_list = returns.shape in ("list", "nodes", "edges")
    path: tuple[str, ...] = ()
    found = _id_argument(field_, want_list=want_list, type_name=user.name)
    match_key: str | None = None
    integer_key = False
    if found is None and want_list:
        nested = id_lists(field_, user.name)
        if nested:
            # The chat's ids are integers: a filter on an integer field of the user (Directus'
            # UUID users with a `chat_id` added) beats one on a text id.
            best = next((n for n in nested if _int_leaf(user, n.path)), nested[0])
            integer_key = best is not nested[0]
            found, path = (best.argument, best.scalar), best.path
            if path and path[0] in user.fields and path[0] != _id_field(user):
                match_key = path[0]
    if found is None:
        return None
    argument, scalar = found
    fragment = user.name if returns.abstract else None
    key = normalise(name)
    type_key = normalise(user.name)
    shown = page_size_text((argument, *path), "…")
    if want_list:
        score = 100
        where = f" inside its `{argument}` argument" if path else ""
        reason = (
            f"`{name}({shown})` takes a list of ids{where}: each chunk of ids is one field "
            "in one request (the `list` strategy)"
        )
        if key in (f"{type_key}s", "users", "members") or key.endswith("byids"):
            score += 10
        if key.startswith("all") and key.removeprefix("all") in (f"{type_key}s", "users"):
            score += 10
        if path:
            score -= 3  # a plain `ids` argument is the simpler document
        if integer_key:
            reason += (
                f"; by {path[0]}, an integer, since the chat's ids are integers (the "
                f"{_id_field(user)} field is not)"
            )
    else:
        score = 50
        reason = (
            f"`{name}({argument}:)` takes one id: the adapter repeats it, aliased, once per id "
            "in one request (the `alias` strategy)"
        )
        if key in (type_key, "user", "member") or key.endswith("byid"):
            score += 10
    if returns.abstract:
        reason += f"; it returns an abstract type, so the document asks for `... on {user.name}`"
    else:
        score += 20
    if returns.shape in ("nodes", "edges"):
        score -= 5
        reason += f"; a connection, so the users are under `{'.'.join(returns.below)}`"
    if scalar in ("ID", "Int"):
        score += 3
    return Fetcher(
        name,
        fragment,
        returns.below,
        score,
        reason,
        strategy="list" if want_list else "alias",
        argument=argument,
        scalar=scalar,
        path=path,
        limit_argument=_limit_argument(field_) if want_list else (),
        key=match_key,
    )


def _int_leaf(user: GraphQLObjectType, path: Sequence[str]) -> bool:
    """Whether the filter path starts at an Int field of the user (`chat_id: {_in: …}`)."""
    field_ = user.fields.get(path[0]) if path else None
    if field_ is None or is_list(field_.type):
        return False
    named: str = get_named_type(field_.type).name
    return named == "Int"


def _search(
    name: str, field_: GraphQLField, returns: _Returns, user: GraphQLObjectType
) -> Search | None:
    if returns.shape == "one":
        return None
    key = normalise(name)
    search_named = any(word in key for word in _SEARCH_WORDS)
    required = required_arguments(field_)
    best: tuple[int, str] | None = None
    for arg_name, arg in field_.args.items():
        named = get_named_type(arg.type)
        if not (isinstance(named, GraphQLScalarType) and named.name == "String"):
            continue
        if is_list(arg.type) or set(required) - {arg_name}:
            continue
        arg_key = normalise(arg_name)
        if arg_key in _SEARCH_ARGUMENTS:
            rank = _SEARCH_ARGUMENTS.index(arg_key)
        elif search_named:
            rank = len(_SEARCH_ARGUMENTS)
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, arg_name)
    if best is None:
        return None
    argument = best[1]
    score = (20 if search_named else 0) + (len(_SEARCH_ARGUMENTS) - best[0])
    if not returns.abstract:
        score += 5
    return Search(
        name,
        user.name if returns.abstract else None,
        returns.below,
        score,
        f"`{name}({argument}:)` takes a text and returns a list of {user.name}",
        argument=argument,
        limit_argument=_limit_argument(field_),
    )


def _limit_argument(field_: GraphQLField) -> tuple[str, ...]:
    """The field's best page-size argument, `()` when it has none."""
    paths = page_size_paths(field_)
    return paths[0] if paths else ()


def _viewers(
    query: GraphQLObjectType, returns: dict[str, _Returns], user: GraphQLObjectType, id_field: str
) -> list[Viewer]:
    """Root fields without arguments returning the signed-in user: `viewer`, `me` and kin. A
    type of its own carrying the users' id field (Strapi's `me: UsersPermissionsMe { id
    documentId … }`) is ranked below the user type itself: the id is all the token needs."""
    found = []
    for name, shape in returns.items():
        key = normalise(name)
        if (
            shape.shape != "one"
            or key not in _VIEWER_NAMES
            or required_arguments(query.fields[name])
        ):
            continue
        score = len(_VIEWER_NAMES) - _VIEWER_NAMES.index(key)
        if user in shape.types:
            fragment = user.name if shape.abstract else None
            why = f"returns the signed-in {user.name}"
        elif not shape.abstract and id_field in shape.types[0].fields:
            fragment, score = None, score - len(_VIEWER_NAMES)
            other = shape.types[0].name
            why = f"returns the signed-in {other}, whose {id_field} is the {user.name}'s"
        else:
            continue
        found.append(Viewer(name, fragment, (), score, f"`{name}` takes no arguments and {why}"))
    return found


def _listing(
    name: str, field_: GraphQLField, returns: _Returns, user: GraphQLObjectType
) -> Listing | None:
    if returns.shape == "one" or required_arguments(field_):
        return None
    limit = _limit_argument(field_)
    if not limit:
        return None  # an unbounded list could be every user of the site
    return Listing(
        name,
        user.name if returns.abstract else None,
        returns.below,
        0,
        f"`{name}({'.'.join(limit)}: 3)` lists a few users",
        limit_argument=limit,
    )


_Root = TypeVar("_Root", bound=RootField)


def _ranked(found: Sequence[_Root]) -> tuple[_Root, ...]:
    return tuple(sorted(found, key=lambda item: -item.score))


def discover(schema: GraphQLSchema) -> Discovery:
    """The user type and its root fields, best first; InitError when there is none."""
    query = schema.query_type
    if query is None:
        raise InitError("the schema has no Query type")
    roots = {t for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t}
    objects = [
        named
        for named in schema.type_map.values()
        if isinstance(named, GraphQLObjectType)
        and not named.name.startswith("__")
        and named not in roots
    ]
    scored: list[tuple[int, GraphQLObjectType, list[str]]] = []
    for named in objects:
        score, reasons = _type_score(named)
        if score:
            scored.append((score, named, reasons))
    if not scored:
        names = sorted(named.name for named in objects)
        raise InitError(
            "found no user-like type in the schema: init looks for an object type with an id "
            "field that is named like a user (User, Member, Account, …) or has user fields "
            "(a username, an email, a last login). "
            f"The schema's object types: {', '.join(names) or 'none'}."
        )
    scored.sort(key=lambda item: (-item[0], item[1].name))
    returns = {
        name: found
        for name, field_ in query.fields.items()
        if (found := _returns(schema, field_.type)) is not None
    }
    unfetchable: list[str] = []
    refused: list[str] = []
    for _, user, reasons in scored:
        fetchers, searches, listings = [], [], []
        for name, found in returns.items():
            if user not in found.types:
                continue
            field_ = query.fields[name]
            if (fetcher := _fetcher(name, field_, found, user)) is not None:
                fetchers.append(fetcher)
            else:
                refused.append(f"`{name}` ({user.name}): {_refusal(field_, found)}")
            if (search := _search(name, field_, found, user)) is not None:
                searches.append(search)
            if (listing := _listing(name, field_, found, user)) is not None:
                listings.append(listing)
        if not fetchers:
            unfetchable.append(user.name)
            continue
        id_field = _id_field(user)
        assert id_field is not None  # _type_score returned 0 otherwise
        return Discovery(
            user_type=user,
            id_field=id_field,
            fetchers=_ranked(fetchers),
            searches=_ranked(searches),
            viewers=_ranked(_viewers(query, returns, user, id_field)),
            listings=tuple(listings),
            reason=f"{user.name} looks like the user type: " + ", ".join(reasons),
            runners_up=tuple(other.name for _, other, _ in scored if other is not user),
        )
    fields = ", ".join(sorted(query.fields)) or "none"
    why = (
        f" The fields returning them, and why each was refused: {'; '.join(refused)}."
        if refused
        else ""
    )
    raise InitError(
        f"found user-like types ({', '.join(unfetchable)}), but no Query field fetches them by "
        "id: the adapter needs a field like `users(ids: [ID!]!): [User]` or "
        f"`user(id: ID!): User`.{why} The Query fields: {fields}."
    )


def _refusal(field_: GraphQLField, returns: _Returns) -> str:
    """Why `field_` cannot fetch users by id, in a few words."""
    required = [name for name in required_arguments(field_) if not _id_like(name)]
    if required:
        return f"it needs {', '.join(required)}, which init cannot fill in"
    if returns.shape == "one":
        return "it returns one user but takes no id argument"
    return (
        "it returns a list but takes no list of ids (no `ids` argument, no `in`/`_in` filter "
        "on an id field)"
    )


def _id_like(name: str) -> bool:
    key = normalise(name)
    return key in ("uid", "uids", "pk", "pks", "key", "keys") or key.endswith(("id", "ids"))
