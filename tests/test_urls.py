"""URLs as they may be printed: no user info, query or fragment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.urls import display_url, may_carry_credentials


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@site.test:8443/graphql?token=x#f", "https://site.test:8443/graphql"),
        ("http://[::1]:8080/graphql", "http://[::1]:8080/graphql"),
        ("http://site.test:99999/graphql", "http://site.test/graphql"),
        ("https://site.test", "https://site.test"),
        ("redis://:secret@cache.test:6379/0", "redis://cache.test:6379/0"),
    ],
)
def test_display_url(url: str, shown: str) -> None:
    """Printed URLs lose user info, query and fragment."""
    assert display_url(url) == shown


credentials = st.text(alphabet="abcXYZ019-_~", min_size=1, max_size=12)


@given(user=credentials, password=credentials, token=credentials)
def test_display_url_never_shows_a_credential(user: str, password: str, token: str) -> None:
    """Whatever the user info and query hold, none of it is printed."""
    shown = display_url(f"https://{user}:{password}@site.test/graphql?key={token}#{token}")
    assert shown == "https://site.test/graphql"


@pytest.mark.parametrize(
    ("url", "carries"),
    [
        ("https://user:pw@site.test/graphql", True),
        ("https://site.test/graphql?token=x", True),
        ("https://site.test/graphql", False),
        ("https://user@site.test/graphql", False),
        ("https://site.test/graphql#fragment", False),
    ],
)
def test_may_carry_credentials(url: str, carries: bool) -> None:
    """A password in the user info or any query string may be a credential."""
    assert may_carry_credentials(url) is carries
