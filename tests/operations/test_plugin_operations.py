"""The friends query and the notify mutation: checked at start-up, and filled from requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from adapter.config import Settings
from adapter.errors import ConfigError, UpstreamProtocolError
from adapter.operations import build_operations
from tests.operations.support import DEMO_SCHEMA, document
from tests.support import SettingsFactory, reference_data, settings_from

NOTIFY = "resolvers/notify.graphql"


def notify_settings(**notify: Any) -> Settings:
    """Reference settings with this notify operation (the reference document by default)."""
    data = reference_data()
    data["upstream"]["operations"]["notify"] = {"document": NOTIFY, **notify}
    return settings_from(data)


def test_reference_friends_and_notify_documents(make_settings: SettingsFactory) -> None:
    """The shipped friends and notify documents load and are valid against the demo's schema."""
    operations = build_operations(make_settings())
    assert operations.friends is not None
    assert operations.notify is not None
    text, variables = operations.friends.request(6)
    assert variables == {"id": "6"}
    assert not validate(DEMO_SCHEMA, parse(text))
    text, variables = operations.notify.request({"body": "b", "user_id": 6})
    assert variables == {"body": "b", "userId": "6"}
    assert not validate(DEMO_SCHEMA, parse(text))
    assert operations.notify.required == frozenset({"body"})


def test_friends_result_path_null_means_no_such_user(make_settings: SettingsFactory) -> None:
    """A list at the result path is the friends; null on the way is no such user; else malformed."""
    friends = build_operations(make_settings()).friends
    assert friends is not None
    assert friends.friends({"user": {"friends": [{"id": "5"}]}}) == [{"id": "5"}]
    assert friends.friends({"user": {"friends": []}}) == []
    assert friends.friends({"user": None}) is None
    assert friends.friends({"user": {"friends": None}}) is None
    malformed: list[dict[str, Any]] = [
        {"user": {"friends": "5"}},
        {"user": {}},
        {},
        {"user": {"friends": ["5"]}},
    ]
    for answer in malformed:
        with pytest.raises(UpstreamProtocolError):
            friends.friends(answer)


def test_friends_user_variable_must_be_one_id(
    tmp_path: Path, make_settings: SettingsFactory
) -> None:
    """A friends document whose only variable is a list is refused at start-up."""
    path = document(tmp_path, "query F($ids: [ID!]!) { users(ids: $ids) { id } }")
    settings = make_settings({"upstream": {"operations": {"friends": {"document": path}}}})
    with pytest.raises(ConfigError, match=r"\$ids must be a single user id"):
        build_operations(settings)


def test_friends_int_variable_sends_numbers(tmp_path: Path, make_settings: SettingsFactory) -> None:
    """A friends variable declared Int gets the id as a number, constants beside it."""
    path = document(
        tmp_path,
        "query F($uid: Int!, $site: String) { friendsOf(uid: $uid, site: $site) { id name } }",
    )
    settings = make_settings(
        {
            "mapping": {"fields": {"name": "name"}},
            "upstream": {
                "operations": {
                    "friends": {
                        "document": path,
                        "user_variable": "uid",
                        "result_path": None,
                        "variables": {"site": "main"},
                    }
                }
            },
        }
    )
    friends = build_operations(settings).friends
    assert friends is not None
    assert friends.request(6)[1] == {"site": "main", "uid": 6}
    assert friends.result == ("friendsOf",)


@pytest.mark.parametrize(
    ("text", "notify", "problem"),
    [
        (
            "query N($body: String!) { viewer { id } }",
            {"variables": {"body": "body", "to": "email_to"}},
            "must be a mutation",
        ),
        (
            "mutation N($body: String!) { sendNotification(body: $body) }",
            {"variables": {"body": "body", "to": "email_to"}},
            "no variable $to",
        ),
        (
            "mutation N($body: String!, $to: String, $tag: String!) "
            "{ sendNotification(body: $body, emailTo: $to, title: $tag) }",
            {"variables": {"body": "body", "to": "email_to"}},
            "$tag is required by the mutation but neither mapped nor constant",
        ),
        (
            "mutation N($body: String!, $to: String) "
            "{ sendNotification(body: $body, emailTo: $to) }",
            {"variables": {"body": "body", "to": "email_to"}, "constants": {"site": "x"}},
            "no variable $site",
        ),
    ],
)
def test_notify_document_problems_are_start_up_errors(
    tmp_path: Path, text: str, notify: dict[str, Any], problem: str
) -> None:
    """A notify document that cannot be filled from the configuration fails at start-up."""
    path = document(tmp_path, text)
    settings = notify_settings(**{**notify, "document": path})
    with pytest.raises(ConfigError) as caught:
        build_operations(settings)
    assert any(problem in p and path in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("notify", "problem"),
    [
        ({"variables": {"body": "body", "title": "title"}}, "email_to or user_id"),
        ({"variables": {"body": "body", "to": "email_to"}, "constants": {"to": "x"}}, "both set"),
        ({"variables": {"body": "password"}}, "Input should be"),
        ({"max_body_length": 0}, "greater than or equal to 1"),
    ],
)
def test_notify_settings_are_checked(notify: dict[str, Any], problem: str) -> None:
    """Notify settings without a recipient, with clashing names or bad values are refused."""
    with pytest.raises(ConfigError) as caught:
        notify_settings(**notify)
    assert any("upstream.operations.notify" in p and problem in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_notify_fills_only_given_fields(tmp_path: Path) -> None:
    """Fields the request did not give are left out; constants always go; ids follow Int."""
    path = document(
        tmp_path,
        "mutation N($text: String!, $uid: Int, $channel: String!) "
        "{ push(text: $text, uid: $uid, channel: $channel) { ok } }",
    )
    settings = notify_settings(
        document=path,
        variables={"text": "body", "uid": "user_id"},
        constants={"channel": "chat"},
        result_path="push.ok",
    )
    notify = build_operations(settings).notify
    assert notify is not None
    assert notify.request({"body": "hi"})[1] == {"channel": "chat", "text": "hi"}
    assert notify.request({"body": "hi", "user_id": "12", "title": "t"})[1] == {
        "channel": "chat",
        "text": "hi",
        "uid": 12,
    }
    assert notify.accepted({"push": {"ok": True}})
    assert not notify.accepted({"push": {"ok": "yes"}})
    assert not notify.accepted({"push": None})
