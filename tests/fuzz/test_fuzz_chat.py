"""Generated chat calls: id lists, separators, encodings, Authorization headers, webhook bodies."""

from __future__ import annotations

import base64
import itertools
import json
import string
import time
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.web.webhooks import SIGNATURE_HEADER, sign
from tests.fuzz.support import WEBHOOK_SECRET, WEBHOOK_TOLERANCE, FuzzClient, assert_no_crash
from tests.support import CHAT_AUTH

pytestmark = pytest.mark.faults

FUZZ = settings.get_profile("fuzz")
PREFIX = "/imbachat/v1"
BASIC = "Basic " + base64.b64encode(b"root:abc").decode()

id_items = st.one_of(
    st.integers(min_value=0, max_value=1200).map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "1a2",
            "0x10",
            "1e3",
            "\u0663",
            "\uff11",  # Arabic-Indic three, fullwidth one: digits to str.isdigit()
            "+5",
            "-1",
            "9" * 30,
            "null",
        ]
    ),
    st.text(max_size=8),
)
separators = st.sampled_from([",", ";", " ", "%2C", ", ", ",,", "|", "\t", "\n", "\x00"])


@FUZZ
@given(items=st.lists(id_items, max_size=40), separator=separators)
def test_id_lists_never_crash(fuzz_client: FuzzClient, items: list[str], separator: str) -> None:
    """Any id list in any separator: a JSON array of the valid ids, or a 400 naming the problem."""
    raw = separator.join(items)
    query = "user_ids=" + urllib.parse.quote(raw, safe=",;%")
    response = fuzz_client.get(f"{PREFIX}/users?{query}", auth=CHAT_AUTH)
    body = assert_no_crash(response, {200, 400, 414})
    if response.status_code == 200:
        assert isinstance(body, list)
        assert all(isinstance(user["user_id"], int) for user in body)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_in_query_and_path_never_crash(fuzz_client: FuzzClient, raw: bytes) -> None:
    """Percent-encoded arbitrary bytes (invalid UTF-8 too), in the query and in the path."""
    encoded = urllib.parse.quote_from_bytes(raw, safe="")
    by_query = fuzz_client.get(f"{PREFIX}/users?ids={encoded}", auth=CHAT_AUTH)
    assert_no_crash(by_query, {200, 400, 414})
    by_path = fuzz_client.get(f"{PREFIX}/getusers/{encoded}", auth=CHAT_AUTH)
    assert_no_crash(by_path, {200, 307, 400, 404, 405, 414})


@FUZZ
@given(text=st.text(max_size=200))
def test_search_text_never_crashes(fuzz_client: FuzzClient, text: str) -> None:
    """Any search text: the search answer or a 400/404, never a crash."""
    encoded = urllib.parse.quote(text, safe="")
    response = fuzz_client.get(f"{PREFIX}/search/{encoded}", auth=CHAT_AUTH)
    body = assert_no_crash(response, {200, 307, 400, 404, 405, 502})
    if response.status_code == 200:
        assert body["code"] == 200
        assert isinstance(body["data"], list)


credentials = st.one_of(
    st.binary(max_size=200).map(lambda b: "Basic " + base64.b64encode(b).decode()),
    st.tuples(st.text(max_size=50), st.text(max_size=50)).map(
        lambda pair: "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()
    ),
    st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=300),
    st.sampled_from(["Basic", "Basic ", "basic cm9vdDphYmM", "Bearer x", BASIC + "=", BASIC * 2]),
    st.integers(min_value=1000, max_value=20000).map(lambda n: "Basic " + "A" * n),
)


@FUZZ
@given(header=credentials)
def test_authorization_headers_never_crash(fuzz_client: FuzzClient, header: str) -> None:
    """Huge, malformed, non-Basic or wrong credentials: 401 (or 431 when too large), never 500."""
    response = fuzz_client.get(f"{PREFIX}/users?user_ids=1", headers={"Authorization": header})
    body = assert_no_crash(response, {401, 431} if header != BASIC else {200})
    if response.status_code == 401:
        assert body["error"] == "Authenticate required!"
        assert response.headers["www-authenticate"] == 'Basic realm="Backend"'


@FUZZ
@given(raw=st.binary(min_size=1, max_size=600).filter(lambda b: b"\r" not in b and b"\n" not in b))
def test_raw_byte_authorization_headers_never_crash(fuzz_client: FuzzClient, raw: bytes) -> None:
    """An Authorization header of arbitrary bytes (Latin-1 on the wire): 401, never a crash."""
    response = fuzz_client.get(f"{PREFIX}/users?user_ids=1", headers={b"authorization": raw})
    assert_no_crash(response, {200, 401})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=30,
)


_DELIVERIES = itertools.count()
_FIRST_DELIVERY = int(time.time())


def _unique_timestamp() -> int:
    """A timestamp no earlier delivery of this module used, inside the fuzz app's tolerance.

    Each delivery steps one second further into the past from the module's start, so no two
    share a timestamp (and so a signature) however the clock moves between them.
    """
    timestamp = _FIRST_DELIVERY - next(_DELIVERIES)
    assert time.time() - timestamp < WEBHOOK_TOLERANCE, "more deliveries than the window holds"
    return timestamp


@FUZZ
@given(body=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300)))
def test_signed_webhook_bodies_never_crash(fuzz_client: FuzzClient, body: bytes) -> None:
    """Correctly signed but arbitrary bodies: accepted (200) or refused with 400, never a crash."""
    # A timestamp of its own per delivery: a repeated body must not look like a replay.
    signature = sign(WEBHOOK_SECRET.encode(), body, _unique_timestamp())
    response = fuzz_client.post(
        f"{PREFIX}/webhooks/users-changed",
        content=body,
        headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
    )
    assert_no_crash(response, {200, 400, 413})


@FUZZ
@given(
    signature=st.one_of(
        st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=300),
        st.tuples(st.integers(), st.text(alphabet="0123456789abcdef", max_size=70)).map(
            lambda pair: f"t={pair[0]},v1={pair[1]}"
        ),
    )
)
def test_webhook_signatures_never_crash(fuzz_client: FuzzClient, signature: str) -> None:
    """Forged, malformed or stale signatures: 401, never a crash and never an eviction."""
    response = fuzz_client.post(
        f"{PREFIX}/webhooks/users-changed",
        content=b"[1,2,3]",
        headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
    )
    assert_no_crash(response, {401})
