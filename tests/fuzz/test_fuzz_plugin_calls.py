"""Generated plugin calls: notification fields in forms and JSON, friends ids, search strings."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz.support import FuzzClient, assert_no_crash
from tests.support import CHAT_AUTH

pytestmark = pytest.mark.faults

FUZZ = settings.get_profile("fuzz")
PREFIX = "/imbachat/v1"
FIELDS = ("title", "body", "email_to", "user_id")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
field_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["user6@example.com", "user7@example.com", "6", "99999", "a@b", "", " "]),
)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(FIELDS), field_text))
def test_notification_forms_never_crash(fuzz_client: FuzzClient, fields: dict[str, str]) -> None:
    """Any form of notification fields: sent, a 400 naming the field, or the site's 422."""
    response = fuzz_client.post(f"{PREFIX}/notifications", data=fields, auth=CHAT_AUTH)
    # An empty form travels as no body at all, with no media type: a 415.
    body = assert_no_crash(response, {200, 400, 422} if fields else {415})
    if response.status_code == 200:
        assert body == {"code": 200, "version": 1, "sent": True}


@FUZZ
@given(
    document=st.one_of(
        st.dictionaries(st.sampled_from(FIELDS), json_values),
        json_values,
    )
)
def test_notification_json_never_crashes(fuzz_client: FuzzClient, document: Any) -> None:
    """Any JSON value as a notification body: sent, a 400 or the site's 422, never a crash."""
    response = fuzz_client.post(
        f"{PREFIX}/notifications",
        content=json.dumps(document).encode(),  # any integer, NaN too: the adapter must cope
        headers={"Content-Type": "application/json"},
        auth=CHAT_AUTH,
    )
    assert_no_crash(response, {200, 400, 422})


@FUZZ
@given(raw=st.binary(max_size=60))
def test_friends_ids_never_crash(fuzz_client: FuzzClient, raw: bytes) -> None:
    """Any bytes as the friends call's id: friends, a 400 or the plugins' 422."""
    encoded = urllib.parse.quote_from_bytes(raw, safe="")
    response = fuzz_client.get(f"{PREFIX}/user/friends/{encoded}", auth=CHAT_AUTH)
    body = assert_no_crash(response, {200, 307, 400, 404, 405, 422})
    if response.status_code == 200:
        assert isinstance(body, list)


@FUZZ
@given(text=st.text(max_size=100))
def test_searchusers_text_never_crashes(fuzz_client: FuzzClient, text: str) -> None:
    """Any string for `searchusers`: a plain array of `{user_id, name}`, or a 400/404."""
    encoded = urllib.parse.quote(text, safe="")
    response = fuzz_client.post(f"{PREFIX}/searchusers/{encoded}", auth=CHAT_AUTH)
    body = assert_no_crash(response, {200, 307, 400, 404, 405})
    if response.status_code == 200:
        assert all(set(user) == {"user_id", "name"} for user in body)
