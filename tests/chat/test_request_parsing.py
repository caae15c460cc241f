"""The users-info call's own readers of the query string and the Basic header."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.config import ChatSettings
from adapter.web.auth import ChatServerAuth
from adapter.web.users_info import query_pairs

_QUERY_TEXT = st.text(alphabet="ab_=&%+;2F0 ,é", max_size=40)


@settings(max_examples=500, deadline=None)
@given(_QUERY_TEXT)
def test_query_pairs_read_as_parse_qsl_does(text: str) -> None:
    """Quoted or not, the pairs are parse_qsl's (blank values kept) of the latin-1 text."""
    raw = text.encode("latin-1")
    assert query_pairs(raw) == parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        (b"user_ids=1,2", [("user_ids", "1,2")]),
        (b"user_ids=1&user_ids=2", [("user_ids", "1"), ("user_ids", "2")]),
        (b"user_ids&ids=", [("user_ids", ""), ("ids", "")]),
        (b"a=b=c&&", [("a", "b=c")]),
        (b"user%5Fids=1%2C2", [("user_ids", "1,2")]),
        (b"", []),
    ],
)
def test_query_pairs(raw: bytes, pairs: list[tuple[str, str]]) -> None:
    assert query_pairs(raw) == pairs


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (_basic(b"Root:abc"), True),  # exactly as configured: the one-compare road
        (_basic(b"root:abc"), True),  # the login in another case: decoded and compared
        ("basic " + base64.b64encode(b"ROOT:abc").decode(), True),
        (_basic(b"Root:abc") + " ", True),
        (_basic(b"Root:abd"), False),
        (_basic(b"Root:ABC"), False),  # the password is compared exactly
        (_basic(b"Root:abc:"), False),
        (_basic(b"Root:abc")[:-1], False),
        ("Basic é" + _basic(b"Root:abc")[6:], False),
        ("Bearer " + base64.b64encode(b"Root:abc").decode(), False),
    ],
)
def test_basic_credentials(header: str, accepted: bool) -> None:
    auth = ChatServerAuth(ChatSettings(api_login="Root", api_password="abc"))
    assert auth._basic_ok(header) is accepted
