"""Guessing the mapping from field names, types and sampled values; resolving typed paths."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, build_schema

from adapter.init.discover import discover
from adapter.init.propose import converter_for, guess_from_source, propose
from adapter.init.vocabulary import Leaf, resolve_path
from adapter.mapping import spec_paths

QUERY = "type Query { user(id: ID!): User }"


def _user(fields: str, extra: str = "") -> GraphQLObjectType:
    schema = build_schema(
        f"scalar DateTime scalar Foo scalar Long {extra} type User {{ {fields} }} {QUERY}"
    )
    user = schema.type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    return user


def _proposal(fields: str, extra: str = "", samples: tuple[dict[str, Any], ...] = ()) -> Any:
    schema = build_schema(f"scalar DateTime {extra} type User {{ {fields} }} {QUERY}")
    return propose(discover(schema), samples)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ("id: ID! displayName: String username: String", ["displayName", "username"]),
        (
            "id: ID! first_name: String last_name: String login: String",
            ["{first_name} {last_name}", "first_name", "last_name", "login"],
        ),
        (
            "id: ID! firstName: String lastName: String email: String",
            ["{firstName} {lastName}", "firstName", "lastName"],
        ),
        ("id: ID! handle: String email: String", "handle"),
        ("id: ID! email: String", "User {id}"),
    ],
)
def test_name(fields: str, name: Any) -> None:
    """Display names first, usernames as fallback, first+last joined (either alone when the other
    is missing), the id as a last resort."""
    assert _proposal(fields).guess("name").spec == name


@pytest.mark.parametrize(
    ("fields", "extra", "avatar"),
    [
        ("avatarUrl: String image: Pic", "type Pic { src: String }", "avatarUrl"),
        ("picture: Pic", "type Pic { width: Int  src: String }", "picture.src"),
        ("photo: Pic", "type Pic { width: Int }", None),
        ("hasAvatar: Boolean", "", None),
    ],
)
def test_avatar(fields: str, extra: str, avatar: str | None) -> None:
    """A URL field, or the URL inside an avatar object; never a flag or an object without a URL."""
    spec = _proposal(f"id: ID! username: String {fields}", extra).guess("avatar_url").spec
    assert (spec["path"] if spec else None) == avatar
    if spec:
        assert spec["convert"] == "or_false"


def test_profile_url_and_badge_and_mail() -> None:
    """A profile link and a badge are mapped; an email is found but left off."""
    proposal = _proposal("id: ID! login: String htmlUrl: String badge: String mail: String")
    assert proposal.guess("profile_url").spec == "htmlUrl"
    assert proposal.guess("badge").spec == "badge"
    mail = proposal.guess("user_mail")
    assert (mail.spec, mail.enabled) == ("mail", False)
    assert "personal data" in mail.reason
    assert "user_mail" not in proposal.fields()


def test_nothing_optional_found() -> None:
    """Without the fields, each optional guess is empty and says what was missing."""
    proposal = _proposal("id: ID! username: String")
    for field in ("avatar_url", "lastlogin", "badge", "chat_role", "user_mail"):
        assert proposal.guess(field).spec is None
    template = "https://www.example.com/members/{username}/"
    assert proposal.fields() == {"name": "username", "profile_url": template}
    assert "is a guess" in proposal.guess("profile_url").reason


def test_profile_url_template_uses_the_site_address() -> None:
    """Without a link field, profile_url is a template on the upstream's own origin."""
    discovery = discover(build_schema(f"type User {{ id: ID! login: String }} {QUERY}"))
    proposal = propose(discovery, site="https://api.site.test:8443/graphql?x=1")
    assert proposal.guess("profile_url").spec == "https://api.site.test:8443/members/{login}/"


def test_profile_url_template_brackets_an_ipv6_site_address() -> None:
    """An IPv6 host keeps its brackets, so the port after it stays a port."""
    discovery = discover(build_schema(f"type User {{ id: ID! login: String }} {QUERY}"))
    proposal = propose(discovery, site="http://user:secret@[::1]:8080/graphql")
    assert proposal.guess("profile_url").spec == "http://[::1]:8080/members/{login}/"


def test_avatar_file_name_becomes_a_template() -> None:
    """A field holding an avatar's file name gets a URL template with a placeholder base."""
    guess = _proposal("id: ID! username: String avatar_file: String").guess("avatar_url")
    assert guess.spec == {
        "template": "https://files.example.com/avatars/{avatar_file}",
        "convert": "or_false",
    }
    assert "placeholder" in guess.reason
    samples = ({"avatar_file": "https://cdn.test/a.png"},)
    fields = "id: ID! username: String avatar_file: String"
    assert _proposal(fields, samples=samples).guess("avatar_url").spec == {
        "path": "avatar_file",
        "convert": "or_false",
    }


def test_sub_profiles_are_mapped() -> None:
    """A `profiles` list of objects with an id and a name becomes mapping.profiles."""
    extra = "type Persona { key: String! id: ID! name: String avatarUrl: String }"
    proposal = _proposal("id: ID! username: String profiles: [Persona!]!", extra)
    assert proposal.profiles == {
        "path": "profiles",
        "fields": {
            "user_id": "id",
            "name": "name",
            "avatar_url": {"path": "avatarUrl", "convert": "or_false"},
        },
        "key": "key",
    }


@pytest.mark.parametrize(
    ("fields", "extra", "role"),
    [
        (
            "role: Role",
            "enum Role { OWNER ADMIN MEMBER }",
            {"OWNER": "admin", "ADMIN": "admin", "MEMBER": "user"},
        ),
        (
            "role: Role",
            "enum Role { MODERATOR SUBSCRIBER BANNED WIZARD }",
            {"MODERATOR": "admin", "SUBSCRIBER": "user", "BANNED": "user"},
        ),
        ("role: Role", "enum Role { EDITOR MEMBER }", None),
        ("isAdmin: Boolean", "", {"true": "admin"}),
    ],
)
def test_chat_role(fields: str, extra: str, role: dict[str, str] | None) -> None:
    """Admin-like enum values and admin flags become chat admins; everyone else a user."""
    spec = _proposal(f"id: ID! username: String {fields}", extra).guess("chat_role").spec
    assert (spec["lookup"] if spec else None) == role
    if spec:
        assert spec["default"] == "user"


def _leaf(field: str, type_: str, description: str = "") -> Leaf:
    doc = f'"{description}" ' if description else ""
    user = _user(f"id: ID! {doc}{field}: {type_}")
    found = resolve_path(user, field)
    assert isinstance(found, Leaf)
    return found


@pytest.mark.parametrize(
    ("field", "type_", "description", "samples", "converter"),
    [
        ("lastSeenMs", "Float", "", [], "epoch_ms_to_unix"),
        ("lastSeen", "Float", "Epoch milliseconds", [], "epoch_ms_to_unix"),
        ("lastSeen", "Float", "", [1717243200000.0], "epoch_ms_to_unix"),
        ("lastSeen", "Int", "", [1717243200], "unix_seconds"),
        ("lastSeen", "String", "", ["2024-06-01T12:00:00Z"], "iso8601_to_unix"),
        ("lastSeen", "String", "", ["1717243200"], "unix_seconds"),
        ("lastSeen", "String", "", [], "iso8601_to_unix"),
        ("lastSeen", "DateTime", "", [], "iso8601_to_unix"),
        ("lastSeen", "Int", "", [], "unix_seconds"),
        ("lastSeen", "Long", "", [], "unix_seconds"),
        ("lastSeen", "Foo", "", [], "unix_seconds"),
    ],
)
def test_converter(
    field: str, type_: str, description: str, samples: list[Any], converter: str
) -> None:
    """The converter follows the field's name, description, sampled values and type."""
    found, why = converter_for(
        _leaf(field, type_, description), [{field: value} for value in samples]
    )
    assert found == converter
    assert why


def test_lastlogin_uses_samples_and_names_alternatives() -> None:
    """Sampled milliseconds choose the converter; other time fields are named in the reason."""
    proposal = _proposal(
        "id: ID! username: String lastActiveAt: Float lastLoginAt: String",
        samples=({"id": "1", "lastLoginAt": "2024-06-01T12:00:00+00:00"},),
    )
    guess = proposal.guess("lastlogin")
    assert guess.spec == {"path": "lastLoginAt", "convert": "iso8601_to_unix"}
    assert "also found: lastActiveAt" in guess.reason


@pytest.mark.parametrize(
    ("id_type", "samples", "expected"),
    [
        ("Int", (), "int"),
        ("ID", ({"id": "u-1"},), "str"),
        ("ID", ({"id": "12"},), "int"),
        ("ID", (), "int"),
    ],
)
def test_id_type(id_type: str, samples: tuple[dict[str, Any], ...], expected: str) -> None:
    """Int arguments and numeric samples give int ids; other samples give str ids."""
    schema = build_schema(
        f"type User {{ id: {id_type}! username: String }} "
        f"type Query {{ user(id: {id_type}!): User }}"
    )
    proposal = propose(discover(schema), samples)
    assert proposal.id_type == expected
    assert proposal.id_reason


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("nope", "has no field 'nope'"),
        ("friends", "is a list"),
        ("avatar", "is an object; pick one of its fields (url)"),
        ("avatar.url.x", "is a String, not an object"),
        ("sized", "needs arguments"),
    ],
)
def test_resolve_path_problems(path: str, problem: str) -> None:
    """A path that cannot be selected says why."""
    user = _user(
        "id: ID! friends: [User] avatar: Pic sized(px: Int!): String", "type Pic { url: String }"
    )
    found = resolve_path(user, path)
    assert isinstance(found, str)
    assert problem in found


def test_guess_from_typed_sources() -> None:
    """A typed path keeps the field's usual converter; templates and fallbacks are kept as typed."""
    user = _user(
        "id: ID! login: String nick: String photo: String seenMs: Float", "type Pic { url: String }"
    )
    assert guess_from_source("name", "nope", user) == (
        "User has no field 'nope' (it has: id, login, nick, photo, seenMs)"
    )
    avatar = guess_from_source("avatar_url", ["photo", "login"], user)
    assert not isinstance(avatar, str)
    assert avatar.spec == {"first_of": ["photo", "login"], "convert": "or_false"}
    template = guess_from_source("avatar_url", "https://x/{login}.png", user)
    assert not isinstance(template, str)
    assert template.spec == {"template": "https://x/{login}.png", "convert": "or_false"}
    seen = guess_from_source("lastlogin", "seenMs", user)
    assert not isinstance(seen, str)
    assert seen.spec == {"path": "seenMs", "convert": "epoch_ms_to_unix"}
    name = guess_from_source("name", ["nick", "login"], user)
    assert not isinstance(name, str)
    assert name.spec == ["nick", "login"]
    assert list(spec_paths(["{nick} ({login})", "id"])) == ["nick", "login", "id"]
