"""viewer.mode upstream: only the configured credentials reach the site's viewer query."""

from __future__ import annotations

from typing import Any

import pytest

from adapter.app import create_app
from tests.graphql.support import ISSUE, RecordingSite, error_code, site_settings
from tests.support import SettingsFactory, asgi_client, gql


async def issue(settings: Any, headers: dict[str, str]) -> dict[str, Any]:
    async with asgi_client(create_app(settings)) as client:
        return await gql(client, ISSUE, headers=headers)


async def test_only_configured_headers_and_cookies_are_forwarded(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """The site sees the configured header and cookie, and none of the page's other headers."""
    settings = site_settings(
        make_settings,
        recording_site.url,
        forward_headers=["X-Site-Session"],
        forward_cookies=["sid"],
    )
    headers = {
        "X-Site-Session": "abc",
        "Authorization": "Bearer user-6",
        "Cookie": "tracking=1; sid=user-8; other=2",
        "X-Forwarded-For": "203.0.113.9",
        "X-Secret": "do-not-pass",
    }
    body = await issue(settings, headers)
    (seen,) = recording_site.viewer_requests()
    assert body["data"]["issueChatToken"]["userId"] == "8"
    assert seen["x-site-session"] == "abc"
    assert seen["cookie"] == "sid=user-8"
    for name in ("x-forwarded-for", "x-secret", "authorization", "x-api-key"):
        assert name not in seen, name


async def test_the_service_credentials_never_travel_with_the_viewer(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """upstream.headers (a service token) are not sent with the viewer query, unless kept."""
    settings = site_settings(make_settings, recording_site.url, keep_service_headers=["X-Api-Key"])
    body = await issue(settings, {"Authorization": "Bearer user-5"})
    (seen,) = recording_site.viewer_requests()
    assert body["data"]["issueChatToken"]["userId"] == "5"
    assert seen["authorization"] == "Bearer user-5"  # the viewer's, not the service's
    assert seen["x-api-key"] == "k-1"


async def test_no_credentials_means_no_question(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """A request without any configured credential is anonymous without asking the site."""
    settings = site_settings(make_settings, recording_site.url, forward_cookies=["sid"])
    body = await issue(settings, {"Cookie": "tracking=1", "X-Other": "user-6"})
    assert error_code(body) == "UNAUTHENTICATED"
    assert recording_site.requests == []


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ("anonymous", "UNAUTHENTICATED"),
        ("errors", "UNAUTHENTICATED"),
        ("status-401", "UNAUTHENTICATED"),
        ("status-500", "UPSTREAM_UNAVAILABLE"),
        ("user-abc", "VIEWER_ID_INVALID"),
        ("user-", "VIEWER_ID_INVALID"),
        ("user--1", "VIEWER_ID_INVALID"),
        ("number--1", "VIEWER_ID_INVALID"),
        (f"number-{2**63}", "VIEWER_ID_INVALID"),
        (f"user-{10**30}", "VIEWER_ID_INVALID"),
    ],
)
async def test_site_answers(
    make_settings: SettingsFactory, recording_site: RecordingSite, behaviour: str, code: str
) -> None:
    """null, GraphQL errors and 401 are anonymous; a failing site or a non-integer id, errors."""
    settings = site_settings(make_settings, recording_site.url)
    body = await issue(settings, {"Authorization": f"Bearer {behaviour}"})
    assert body["data"] is None
    assert error_code(body) == code


@pytest.mark.parametrize("behaviour", [f"user-{2**63 - 1}", f"number-{2**63 - 1}", "number-0"])
async def test_every_chat_id_up_to_2_63_minus_1_gets_its_token(
    make_settings: SettingsFactory, recording_site: RecordingSite, behaviour: str
) -> None:
    """Ids beyond GraphQL's 32-bit Int (as 19-digit strings or JSON numbers) are tokens, as ID."""
    settings = site_settings(make_settings, recording_site.url)
    body = await issue(settings, {"Authorization": f"Bearer {behaviour}"})
    assert body["data"]["issueChatToken"]["userId"] == behaviour.rpartition("-")[2]


async def test_numeric_ids_in_json_are_accepted(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """A site that answers the id as a JSON number works as well as one that sends a string."""
    settings = site_settings(make_settings, recording_site.url)
    body = await issue(settings, {"Authorization": "Bearer number-42"})
    assert body["data"]["issueChatToken"]["userId"] == "42"


async def test_default_result_path_is_the_top_field_id(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """Without result_path the id is read at <only top-level field>.id."""
    settings = site_settings(make_settings, recording_site.url)
    data = settings.model_copy(
        update={
            "upstream": settings.upstream.model_copy(
                update={
                    "operations": settings.upstream.operations.model_copy(update={"viewer": None})
                }
            )
        }
    )
    body = await issue(data, {"Authorization": "Bearer user-11"})
    assert body["data"]["issueChatToken"]["userId"] == "11"


async def test_a_page_asking_for_a_token_of_an_invalid_viewer_id_gets_a_502(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """gettoken answers a viewer id the chat cannot use as the site failing: 502, its message."""
    settings = site_settings(make_settings, recording_site.url)
    async with asgi_client(create_app(settings)) as client:
        response = await client.get(
            f"{settings.chat.prefix}/gettoken", headers={"Authorization": "Bearer user-abc"}
        )
    assert response.status_code == 502
    assert "is not a chat user id" in response.json()["error"]


async def test_a_cookie_byte_outside_ascii_reaches_the_site_as_the_browser_sent_it(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """A `\\xff` in a forwarded cookie is passed on byte for byte, not a failure of the site."""
    settings = site_settings(make_settings, recording_site.url, forward_cookies=["junk", "sid"])
    async with asgi_client(create_app(settings)) as client:
        response = await client.post(
            "/graphql", json={"query": ISSUE}, headers={b"Cookie": b"junk=\xff; sid=user-8"}
        )
    assert response.json()["data"]["issueChatToken"]["userId"] == "8"
    (seen,) = recording_site.viewer_requests()
    assert seen["cookie"] == "junk=\xff; sid=user-8"  # read back as Latin-1, as sent


async def test_headers_no_site_could_take_are_the_callers_problem_and_never_open_the_breaker(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """Cookies with a control byte are refused (400, BAD_REQUEST) and the next viewer still
    gets a token: the breaker (5 failures) never counts them against the site."""
    settings = site_settings(make_settings, recording_site.url, forward_cookies=["sid"])
    bad = {b"Cookie": b"sid=user-8\x01"}
    async with asgi_client(create_app(settings)) as client:
        for _ in range(8):
            answer = await client.post("/graphql", json={"query": ISSUE}, headers=bad)
            assert error_code(answer.json()) == "BAD_REQUEST", answer.text
            page = await client.get(f"{settings.chat.prefix}/gettoken", headers=bad)
            assert page.status_code == 400, page.text
            assert page.json()["error"] == "the cookie header cannot be passed on to the site"
        good = await gql(client, ISSUE, headers={"Cookie": "sid=user-9"})
    assert good["data"]["issueChatToken"]["userId"] == "9"
    assert len(recording_site.viewer_requests()) == 1  # the refused ones never left
