"""The mapping is pure: tables of upstream objects in, chat users out."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from adapter.config import FieldSpec, MappingSettings
from adapter.mapping import MISSING, UserMapper, compile_field, referenced_paths

SPEC: TypeAdapter[Any] = TypeAdapter(FieldSpec)

USER = {
    "id": "6",
    "username": "john",
    "displayName": "John Smith",
    "empty": "",
    "profile": {"displayName": "Johnny", "age": 41},
    "avatar": {"file": "a/6.png", "url": "https://cdn.example.com/a/6.png"},
    "lastLoginAt": "2024-03-13T08:50:56Z",
    "lastSeenMs": 1710319856000,
    "lastSeen": 1710319856,
    "naive": "2024-03-13T08:50:56",
    "offset": "2024-03-13T10:50:56+02:00",
    "role": "ADMIN",
    "flag": "yes",
    "score": 3.0,
    "huge": 1e300,
    "tags": ["a", "b"],
    "nothing": None,
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("displayName", "John Smith"),
        ("profile.displayName", "Johnny"),
        ("profile.missing", MISSING),
        ("nothing", MISSING),
        ("displayName.deeper", MISSING),
        ("https://example.com/members/{id}/", "https://example.com/members/6/"),
        ("https://cdn.example.com/{avatar.file}", "https://cdn.example.com/a/6.png"),
        ("https://example.com/{missing}/", MISSING),
        ("https://example.com/{empty}/", MISSING),
        ("https://example.com/{profile}/", MISSING),
        ("{score}-{profile.age}", "3-41"),
        (["missing", "displayName"], "John Smith"),
        (["empty", "nothing", "username"], "john"),
        (["missing", "nothing"], MISSING),
        ({"const": "user"}, "user"),
        ({"const": {"write": True}}, {"write": True}),
        ({"path": "missing", "default": "anon"}, "anon"),
        ({"path": "avatar.url", "convert": "or_false"}, "https://cdn.example.com/a/6.png"),
        ({"path": "avatar.nope", "convert": "or_false"}, False),
        ({"path": "empty", "convert": "or_false"}, False),
        ({"path": "lastLoginAt", "convert": "iso8601_to_unix"}, 1710319856),
        ({"path": "naive", "convert": "iso8601_to_unix"}, 1710319856),
        ({"path": "offset", "convert": "iso8601_to_unix"}, 1710319856),
        ({"path": "lastSeenMs", "convert": "epoch_ms_to_unix"}, 1710319856),
        ({"path": "lastSeenMs", "convert": "unix_seconds"}, 1710319856),
        ({"path": "lastSeen", "convert": "unix_seconds"}, 1710319856),
        ({"path": "lastLoginAt", "convert": "unix_seconds"}, 1710319856),
        ({"path": "username", "convert": "iso8601_to_unix"}, MISSING),
        ({"path": "username", "convert": "iso8601_to_unix", "default": 0}, 0),
        ({"path": "role", "lookup": {"ADMIN": "admin"}}, "admin"),
        ({"path": "role", "convert": "lower"}, "admin"),
        ({"path": "username", "convert": "upper"}, "JOHN"),
        ({"path": "role", "lookup": {"MEMBER": "user"}, "default": "user"}, "user"),
        ({"path": "flag", "convert": "bool"}, True),
        ({"path": "username", "convert": "bool"}, MISSING),
        ({"path": "score", "convert": "int"}, 3),
        # Past 64 bits orjson cannot encode the chat's answer: no value, never a failed call.
        ({"path": "huge", "convert": "int"}, MISSING),
        ({"path": "huge", "convert": "unix_seconds"}, MISSING),
        ({"path": "huge", "convert": "epoch_ms_to_unix"}, MISSING),
        ({"path": "huge", "convert": "float"}, 1e300),
        ({"path": "id", "convert": ["int", "string"]}, "6"),
        ({"path": "id", "convert": "float"}, 6.0),
        ({"path": "tags"}, ["a", "b"]),
        ({"first_of": ["missing", {"template": "@{username}"}]}, "@john"),
    ],
)
def test_field_specs(spec: Any, expected: Any) -> None:
    """Each kind of field spec produces the documented value from the table's user."""
    assert compile_field(SPEC.validate_python(spec))(USER) == expected


def mapper(**overrides: Any) -> UserMapper:
    data: dict[str, Any] = {
        "fields": {
            "name": ["displayName", "username"],
            "avatar_url": {"path": "avatar.url", "convert": "or_false"},
        }
    }
    data.update(overrides)
    return UserMapper(MappingSettings.model_validate(data))


def test_user_id_is_the_requested_id_and_fields_follow() -> None:
    """The chat's user_id is the requested id (an int), followed by the mapped fields."""
    user = mapper().to_chat_user(USER, 6)
    assert user == {
        "user_id": 6,
        "name": "John Smith",
        "avatar_url": "https://cdn.example.com/a/6.png",
    }


def test_missing_optional_fields_are_left_out() -> None:
    """A field without a value is omitted, not sent as null."""
    user = mapper(fields={"name": "username", "badge": "badge"}).to_chat_user(USER, 6)
    assert user == {"user_id": 6, "name": "john"}


@pytest.mark.parametrize("obj", [{"id": "6"}, {"id": "6", "displayName": ""}, "text", None, []])
def test_user_without_a_name_is_dropped(obj: Any) -> None:
    """No name (or not an object at all) means no chat user."""
    assert mapper().to_chat_user(obj, 6) is None


def test_numeric_name_becomes_text() -> None:
    """A name that arrives as a number is sent as text."""
    assert mapper(fields={"name": "n"}).to_chat_user({"n": 42}, 1) == {"user_id": 1, "name": "42"}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"id": 7}, "7"),
        ({"id": "P1"}, "P1"),
        ({"id": None}, None),
        ({}, None),
        ({"id": True}, None),
    ],
)
def test_upstream_id(obj: Any, expected: str | None) -> None:
    """The upstream id is read as text for matching; absent or odd ids give None."""
    assert mapper().upstream_id(obj) == expected


PROFILES = {
    "path": "profiles",
    "key": "key",
    "fields": {
        "user_id": "id",
        "name": "name",
        "avatar_url": {"path": "avatarUrl", "convert": "or_false"},
    },
}


def test_sub_profiles_are_keyed_and_mapped() -> None:
    """Sub-profiles come out as an object keyed by their key, each with its own user_id."""
    obj = {
        "displayName": "John",
        "profiles": [
            {"id": "P11-A", "key": "11", "name": "P11-John", "avatarUrl": None},
            {"id": "P11-B", "key": "12", "name": "", "avatarUrl": None},  # no name: skipped
            {"id": None, "key": "13", "name": "nobody"},  # no id: skipped
        ],
    }
    user = mapper(profiles=PROFILES).to_chat_user(obj, 6)
    assert user is not None
    assert user["profiles"] == {"11": {"user_id": "P11-A", "name": "P11-John", "avatar_url": False}}


def test_sub_profiles_from_an_object_and_by_position() -> None:
    """An object of sub-profiles keeps its keys; a list without `key` is keyed by position."""
    as_object = {"displayName": "J", "profiles": {"a": {"id": 1, "name": "x"}}}
    by_position = {"displayName": "J", "profiles": [{"id": 1, "name": "x"}]}
    rule = {"path": "profiles", "fields": {"user_id": "id", "name": "name"}}
    assert mapper(profiles=rule).to_chat_user(as_object, 6)["profiles"] == {  # type: ignore[index]
        "a": {"user_id": 1, "name": "x"}
    }
    assert mapper(profiles=rule).to_chat_user(by_position, 6)["profiles"] == {  # type: ignore[index]
        "0": {"user_id": 1, "name": "x"}
    }


def test_no_sub_profiles_means_no_profiles_key() -> None:
    """A user without sub-profiles gets no `profiles` key at all."""
    values: list[Any] = [[], None, "text"]
    for value in values:
        user = mapper(profiles=PROFILES).to_chat_user({"displayName": "J", "profiles": value}, 6)
        assert user == {"user_id": 6, "name": "J", "avatar_url": False}


def test_referenced_paths_name_their_setting() -> None:
    """Every upstream path the mapping reads is listed with the setting that reads it."""
    settings = MappingSettings.model_validate(
        {
            "fields": {
                "name": ["displayName", {"template": "{first} {last}"}],
                "profile_url": "https://x/{username}",
                "role": {"const": "user"},
            },
            "profiles": PROFILES,
        }
    )
    assert referenced_paths(settings) == [
        ("mapping.id", "id"),
        ("mapping.fields.name", "displayName"),
        ("mapping.fields.name", "first"),
        ("mapping.fields.name", "last"),
        ("mapping.fields.profile_url", "username"),
        ("mapping.profiles.path", "profiles"),
        ("mapping.profiles.key", "profiles.key"),
        ("mapping.profiles.fields.user_id", "profiles.id"),
        ("mapping.profiles.fields.name", "profiles.name"),
        ("mapping.profiles.fields.avatar_url", "profiles.avatarUrl"),
    ]
