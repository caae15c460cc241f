"""nginx and Caddy, from the shipped files, in front of the adapter the systemd unit starts: what
the browser and the chat send reaches the adapter as the adapter needs it."""

from __future__ import annotations

from pathlib import Path

import httpx

from adapter.demo.sessions import SESSION_COOKIE, issue_session
from tests.deploy.support import PER_IP, Proxy, Served, Tls, client
from tests.polling import eventually
from tests.support import reference_data

PREFIX = reference_data()["chat"]["prefix"]
GETTOKEN = f"{PREFIX}/gettoken"
MAX_BODY = reference_data()["limits"]["max_body_bytes"]
MAX_URL = reference_data()["limits"]["max_url_bytes"]
SIGNED_IN = {"Cookie": f"{SESSION_COOKIE}={issue_session(6)}"}


def test_the_scheme_host_and_request_id_reach_the_adapter(proxy: Proxy, tls: Tls) -> None:
    """The adapter's own redirect names https and the browser's host:port (X-Forwarded-Proto and
    Host passed through), and its request id is the proxy's, not one the client made up."""
    with client(tls) as http:
        response = http.get(f"{proxy.url}/graphql/client", headers={"X-Request-Id": "made-up"})
    assert response.status_code == 307
    assert response.headers["location"] == f"{proxy.url}/graphql/client/"
    assert response.headers["x-request-id"] not in ("", "made-up")


async def test_the_access_line_carries_the_proxys_request_id(
    proxy: Proxy, tls: Tls, unit_adapter: Served
) -> None:
    """One request through the proxy is one access line of the adapter's, under the same id
    (the line is written after the answer is sent, so it is waited for)."""
    with client(tls) as http:
        response = http.get(f"{proxy.url}{PREFIX}")
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]

    def logged() -> bool:
        # A line being written may be cut short at the moment it is read: it is read again.
        return f'"request_id":"{request_id}"' in unit_adapter.log.read_text()

    assert await eventually(logged, within=5)


def test_each_client_address_has_its_own_budget_and_cannot_forge_one(
    proxy: Proxy, tls: Tls
) -> None:
    """The per-address token budget sees the browser's address (X-Forwarded-For set by the
    proxy): one address runs out, a forged X-Forwarded-For does not help it, another still gets
    its token."""
    same_site = {**SIGNED_IN, "Origin": proxy.origin}
    with client(tls) as first:
        for attempt in range(PER_IP):
            forged = {"X-Forwarded-For": f"198.51.100.{attempt}"}
            answer = first.get(f"{proxy.url}{GETTOKEN}", headers={**same_site, **forged})
            assert answer.status_code == 200, answer.text
        over = first.get(
            f"{proxy.url}{GETTOKEN}", headers={**same_site, "X-Forwarded-For": "198.51.100.99"}
        )
    assert over.status_code == 429
    with client(tls) as second:
        other = second.get(f"{proxy.url}{GETTOKEN}", headers=same_site)
    assert other.status_code == 200
    assert other.json()["user_id"] == 6


def test_gettoken_answers_only_the_sites_own_pages_through_the_proxy(
    proxy: Proxy, tls: Tls
) -> None:
    """Same origin (https, the proxy's host and port) gets a token; another site's Origin, the
    same host over plain http (the scheme comes from X-Forwarded-Proto) and a cross-site fetch
    get 403."""
    url = f"{proxy.url}{GETTOKEN}"
    plain = proxy.origin.replace("https://", "http://")
    with client(tls) as http:
        same = http.get(url, headers={**SIGNED_IN, "Origin": proxy.origin})
        other_site = http.get(url, headers={**SIGNED_IN, "Origin": "https://elsewhere.example"})
        other_port = http.get(url, headers={**SIGNED_IN, "Origin": "https://127.0.0.1:1"})
        other_scheme = http.get(url, headers={**SIGNED_IN, "Origin": plain})
    with client(tls) as http:
        cross = http.get(url, headers={**SIGNED_IN, "Sec-Fetch-Site": "cross-site"})
    assert same.status_code == 200, same.text
    assert same.json()["token"]
    assert same.headers["cache-control"] == "no-store"
    refused = [other_site, other_port, other_scheme, cross]
    assert [answer.status_code for answer in refused] == [403] * 4


def _ports_at(port: int) -> set[tuple[str, str]]:
    """The (remote address:port, state) of every TCP socket whose local port is `port`."""
    found: set[tuple[str, str]] = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add((fields[2], fields[3]))
    return found


def test_connections_to_the_adapter_are_kept_alive(
    proxy: Proxy, tls: Tls, unit_adapter: Served
) -> None:
    """Twenty calls through the proxy reuse its connections to the adapter (a proxy without
    keep-alive opens, and leaves closing, one connection per call)."""
    before = {remote for remote, _ in _ports_at(unit_adapter.port)}
    with client(tls) as http:
        for _ in range(20):
            assert http.get(f"{proxy.url}/healthz").status_code == 200
    after = {remote for remote, _ in _ports_at(unit_adapter.port)}
    assert len(after - before) <= 2


def test_bodies_over_the_adapters_limit_stop_at_the_proxy(proxy: Proxy, tls: Tls) -> None:
    """A body of limits.max_body_bytes reaches the adapter; one byte more is refused with 413 by
    the proxy itself (not the adapter's JSON answer: the body never reached it)."""
    prefix, suffix = b'{"query":"{ __typename }","extensions":{"pad":"', b'"}}'
    fits = prefix + b"x" * (MAX_BODY - len(prefix) - len(suffix)) + suffix
    assert len(fits) == MAX_BODY
    headers = {"Content-Type": "application/json", "Origin": proxy.origin}
    with client(tls) as http:
        accepted = http.post(f"{proxy.url}/graphql", content=fits, headers=headers)
    with client(tls) as http:
        refused = http.post(f"{proxy.url}/graphql", content=fits + b" ", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"data": {"__typename": "Query"}}
    assert refused.status_code == 413
    assert "json" not in refused.headers.get("content-type", ""), refused.text


def test_urls_over_the_adapters_limit_are_refused(proxy: Proxy, tls: Tls) -> None:
    """A URL over limits.max_url_bytes gets 414 (from the proxy or the adapter), one under it
    reaches the adapter."""
    ids = ",".join(str(n % 10) for n in range(MAX_URL))
    with client(tls) as http:
        short = http.get(f"{proxy.url}/healthz?pad={'x' * (MAX_URL // 2)}")
        long = http.get(f"{proxy.url}/imbachat/v1/users?user_ids={ids}")
    assert short.status_code == 200
    assert long.status_code == 414


def test_metrics_are_not_served_through_the_proxy(proxy: Proxy, tls: Tls) -> None:
    """/metrics answers 404 through the proxy (Prometheus scrapes the adapter's own port)."""
    with client(tls) as http:
        assert http.get(f"{proxy.url}/metrics").status_code == 404
        assert http.get(f"{proxy.url}/readyz").status_code == 200


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    """A request over plain http is redirected to the same path over https, never proxied."""
    path = f"{PREFIX}/users?user_ids=1"
    response = httpx.get(f"http://127.0.0.1:{proxy.http_port}{path}", timeout=10)
    assert response.status_code in (301, 308)
    location = httpx.URL(response.headers["location"])
    assert location.scheme == "https"
    assert location.host == "127.0.0.1"
    assert location.raw_path.decode() == path
