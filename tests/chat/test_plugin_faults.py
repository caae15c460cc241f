"""The plugins' calls when the site fails: a notification is sent at most once, the rest 502."""

from __future__ import annotations

import httpx
import pytest

from adapter.app import create_app
from adapter.demo.sessions import SESSION_COOKIE, issue_session
from tests.sites import Fault, FaultySite
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client, assert_error_shape

pytestmark = [pytest.mark.faults, pytest.mark.slow]

NOTIFY = "/imbachat/v1/notifications"
FORM = {"title": "t", "body": "hello", "email_to": "user6@example.com"}


def _status(status: int) -> Fault:
    return lambda _: httpx.Response(status, content=b"", headers={"content-type": "text/plain"})


def _raise(error: type[httpx.TransportError]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)

    return fault


# Each of these may have reached the site, which may have told the user already.
REACHED = {
    "HTTP 503": _status(503),
    "HTTP 502": _status(502),
    "read timeout": _raise(httpx.ReadTimeout),
    "connection dropped": _raise(httpx.RemoteProtocolError),
}


@pytest.mark.parametrize("fault", REACHED)
async def test_a_notification_that_may_have_arrived_is_never_retried(
    fault_settings: SettingsFactory, fault: str
) -> None:
    """A failure after the mutation may have reached the site is one request and a 502."""
    site = FaultySite()
    site.fault = REACHED[fault]
    async with asgi_client(create_app(fault_settings(), upstream_transport=site)) as client:
        assert_error_shape(await client.post(NOTIFY, data=FORM, auth=CHAT_AUTH), 502)
        assert site.requests == 1
        # A query in the same state is retried (attempts: 3): the difference is on purpose.
        site.requests = 0
        if fault != "read timeout":
            assert_error_shape(await client.get("/imbachat/v1/user/friends/6", auth=CHAT_AUTH), 502)
            assert site.requests == 3


async def test_an_unsent_notification_is_retried(fault_settings: SettingsFactory) -> None:
    """A connection that never opened cannot have told anyone: it is retried, then sent once."""
    site = FaultySite()

    def refuse_once(request: httpx.Request) -> httpx.Response:
        site.fault = None
        raise httpx.ConnectError("injected", request=request)

    site.fault = refuse_once
    async with asgi_client(create_app(fault_settings(), upstream_transport=site)) as client:
        response = await client.post(NOTIFY, data=FORM, auth=CHAT_AUTH)
        assert response.status_code == 200, response.text
        assert site.requests == 2


async def test_site_failures_on_friends_and_gettoken_are_502(
    fault_settings: SettingsFactory,
) -> None:
    """Friends and gettoken answer 502 in the chat's shape when the site fails, never 500."""
    site = FaultySite()
    site.fault = _status(500)
    session = {"Cookie": f"{SESSION_COOKIE}={issue_session(6)}"}
    async with asgi_client(create_app(fault_settings(), upstream_transport=site)) as client:
        assert_error_shape(await client.get("/imbachat/v1/user/friends/6", auth=CHAT_AUTH), 502)
        assert_error_shape(await client.get("/imbachat/v1/gettoken", headers=session), 502)
        site.fault = None
        assert (await client.get("/imbachat/v1/gettoken", headers=session)).status_code == 200


def _answer(body: dict[str, object]) -> Fault:
    return lambda _: httpx.Response(200, json=body)


async def test_odd_site_answers_are_502(fault_settings: SettingsFactory) -> None:
    """A notification answered with errors, a viewer id outside the chat's, friends nested past
    Python's recursion: 502, not 500."""
    site = FaultySite()
    session = {"Cookie": f"{SESSION_COOKIE}={issue_session(6)}"}
    async with asgi_client(create_app(fault_settings(), upstream_transport=site)) as client:
        site.fault = _answer({"data": {"sendNotification": None}, "errors": [{"message": "x"}]})
        assert_error_shape(await client.post(NOTIFY, data=FORM, auth=CHAT_AUTH), 502)
        for outside in ("not-a-number", "-1", str(2**63)):  # the chat's ids are 0 to 2**63-1
            site.fault = _answer({"data": {"viewer": {"id": outside}}})
            response = await client.get("/imbachat/v1/gettoken", headers=session)
            body = assert_error_shape(response, 502)
            assert "is not a chat user id" in body["error"]
        # Lists nested past Python's recursion limit, which orjson still decodes.
        deep = b'{"data": {"user": ' + b"[" * 1000 + b"]" * 1000 + b"}}"
        site.fault = lambda _: httpx.Response(200, content=deep)
        response = await client.get("/imbachat/v1/user/friends/6", auth=CHAT_AUTH)
        assert "nests lists too deeply" in assert_error_shape(response, 502)["error"]
