"""The demo site's friends and its notification outbox, as the plugins' calls use them."""

from __future__ import annotations

import httpx
import pytest

from adapter.demo.data import DemoDirectory
from adapter.demo.notifications import NotificationLog
from tests.support import gql

NOTIFY = """
mutation($body: String!, $title: String, $email: String, $id: ID) {
  sendNotification(body: $body, title: $title, emailTo: $email, userId: $id)
}
"""


def test_friends_are_symmetric_and_skip_user_4() -> None:
    """Friendship goes both ways, user 4 has none, and every friend exists."""
    directory = DemoDirectory.generate()
    assert [u.id for u in directory.friends(6, 100)] == [5, 7, 8, 16]
    assert directory.friends(4, 100) == []
    assert [u.id for u in directory.friends(1, 100)] == [2, 3, 11]
    for user_id in range(1, 40):
        for friend in directory.friends(user_id, 100):
            assert user_id in [u.id for u in directory.friends(friend.id, 100)]
    assert [u.id for u in directory.friends(6, 2)] == [5, 7]
    assert directory.friends(99999, 100) == []


@pytest.mark.parametrize(
    ("email", "user_id"),
    [
        ("user6@example.com", 6),
        ("  USER6@example.com ", 6),
        ("user6@example.org", None),
        ("user99999@example.com", None),
        ("user٦@example.com", None),
        ("user@example.com", None),
        ("nobody", None),
    ],
)
def test_users_are_found_by_email_exactly(email: str, user_id: int | None) -> None:
    """An email names a user only when it is that user's address (case aside)."""
    found = DemoDirectory.generate().by_email(email)
    assert (found.id if found else None) == user_id


def test_the_outbox_is_bounded_newest_first() -> None:
    """The outbox keeps the newest notifications only, and lists them newest first."""
    log = NotificationLog(max_kept=3)
    for n in range(5):
        log.record(n, f"user{n}@example.com", None, f"body {n}")
    assert len(log) == 3
    assert [n.body for n in log.recent(10)] == ["body 4", "body 3", "body 2"]
    assert [n.body for n in log.recent(1)] == ["body 4"]
    assert log.recent(-1) == []


async def test_send_notification_records_and_shows(client: httpx.AsyncClient) -> None:
    """A notification for a known user is recorded and shown by GraphQL and GET /notifications."""
    body = await gql(client, NOTIFY, {"body": "hi", "title": "t", "email": "user6@example.com"})
    assert body == {"data": {"sendNotification": True}}
    body = await gql(client, "{ notifications { userId email title body } }")
    assert body["data"]["notifications"] == [
        {"userId": "6", "email": "user6@example.com", "title": "t", "body": "hi"}
    ]
    shown = (await client.get("/notifications")).json()["notifications"]
    assert shown == [{"user_id": 6, "email": "user6@example.com", "title": "t", "body": "hi"}]
    assert (await client.post("/notifications/clear")).json() == {"notifications": []}
    assert (await client.get("/notifications")).json() == {"notifications": []}


@pytest.mark.parametrize(
    "variables",
    [
        {"body": "hi"},
        {"body": "hi", "email": "nobody@example.com"},
        {"body": "hi", "id": "99999"},
        {"body": "hi", "id": "abc"},
        {"body": "hi", "id": "6", "email": "user7@example.com"},
    ],
)
async def test_send_notification_without_a_recipient_is_false(
    client: httpx.AsyncClient, variables: dict[str, str]
) -> None:
    """No recipient, an unknown one, or an id and an email of two users: false, nothing kept."""
    assert await gql(client, NOTIFY, variables) == {"data": {"sendNotification": False}}
    assert (await client.get("/notifications")).json() == {"notifications": []}


async def test_friends_field_on_users(client: httpx.AsyncClient) -> None:
    """`User.friends` answers the friends as users, capped by its limit."""
    body = await gql(client, '{ user(id: "6") { friends(limit: 3) { id username } } }')
    assert body["data"]["user"]["friends"] == [
        {"id": "5", "username": "user5"},
        {"id": "7", "username": "user7"},
        {"id": "8", "username": "user8"},
    ]
