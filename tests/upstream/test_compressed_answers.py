"""A compressed answer is counted as it is decoded: the size limit bounds memory and work."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable

import orjson
import pytest

from adapter.bounded import (
    ACCEPT_ENCODING,
    Decoder,
    TooLarge,
    UnsupportedEncoding,
    read_bounded_sync,
)
from adapter.config import Settings
from adapter.errors import UpstreamProtocolError
from adapter.upstream import UpstreamClient
from tests.sites import misbehaving_site
from tests.support import SettingsFactory

pytestmark = pytest.mark.faults

LIMIT = 1024 * 1024
USERS = b'{"data":{"users":[{"id":"1","displayName":"Ada"}]}}'


def _gzip_bomb(decoded_bytes: int) -> bytes:
    stream = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"0" * (1024 * 1024)
    parts = [stream.compress(block) for _ in range(decoded_bytes // len(block))]
    return b"".join([*parts, stream.flush()])


@pytest.fixture
def settings_for(make_settings: SettingsFactory) -> Callable[[str], Settings]:
    """Settings for a site at `url`: one attempt, a 1 MiB answer limit."""

    def build(url: str) -> Settings:
        return make_settings(
            {
                "upstream": {
                    "embedded_demo": False,
                    "url": url,
                    "retry": {"attempts": 1},
                    "max_response_bytes": LIMIT,
                }
            }
        )

    return build


async def _peak_while_refused(settings: Settings) -> int:
    async with UpstreamClient(settings.upstream) as client:
        tracemalloc.start()
        try:
            with pytest.raises(UpstreamProtocolError, match="larger than"):
                await client.execute("{ users { id } }", {})
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


async def test_a_gzip_answer_is_decoded_and_asked_for_as_gzip_or_deflate(
    settings_for: Callable[[str], Settings],
) -> None:
    """A gzipped answer reads as the plain one, and the request says which encodings it takes."""
    async with misbehaving_site() as site:
        site.answer_with(gzip.compress(USERS), content_encoding="gzip")
        async with UpstreamClient(settings_for(site.url).upstream) as client:
            result = await client.execute("{ users { id } }", {})
        assert result.data == orjson.loads(USERS)["data"]
        assert f"accept-encoding: {ACCEPT_ENCODING}".encode() in site.last_head.lower()


async def test_a_gzip_bomb_is_refused_before_it_costs_memory(
    settings_for: Callable[[str], Settings],
) -> None:
    """64 kB of gzip that decodes to 64 MiB is refused at the 1 MiB limit, holding a few MiB."""
    bomb = _gzip_bomb(64 * LIMIT)
    async with misbehaving_site() as site:
        site.answer_with(bomb, content_encoding="gzip")
        peak = await _peak_while_refused(settings_for(site.url))
    # Before the fix a single 64 KiB chunk was decoded whole: 64 MiB at once.
    assert peak < 8 * LIMIT


async def test_a_twice_gzipped_bomb_is_refused_with_bounded_memory(
    settings_for: Callable[[str], Settings],
) -> None:
    """`Content-Encoding: gzip, gzip` (a few kB that decode to 64 MiB) costs a few MiB."""
    bomb = gzip.compress(_gzip_bomb(64 * LIMIT), compresslevel=9)
    assert len(bomb) < 4 * 1024
    async with misbehaving_site() as site:
        site.answer_with(bomb, content_encoding="gzip, gzip")
        peak = await _peak_while_refused(settings_for(site.url))
    assert peak < 8 * LIMIT


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("br", b"\x0b\x02\x80{}\x03"), ("gzip", b"not gzip at all"), ("compress", b"x")],
)
async def test_an_answer_not_as_encoded_or_in_an_unasked_encoding_is_a_protocol_error(
    settings_for: Callable[[str], Settings], encoding: str, body: bytes
) -> None:
    """An encoding the adapter did not ask for, or a body that is not what it says, is a 502."""
    async with misbehaving_site() as site:
        site.answer_with(body, content_encoding=encoding)
        async with UpstreamClient(settings_for(site.url).upstream) as client:
            with pytest.raises(UpstreamProtocolError, match="Content-Encoding") as caught:
                await client.execute("{ users { id } }", {})
    if encoding != "gzip":  # a message that reads as a sentence, naming the encoding
        assert caught.value.message == (
            f"the site's answer has a Content-Encoding the adapter does not ask for: {encoding!r}"
        )


@pytest.mark.parametrize(
    "encoded",
    [
        zlib.compress(USERS),
        zlib.compress(USERS, wbits=-zlib.MAX_WBITS),
        gzip.compress(gzip.compress(USERS)),
    ],
    ids=["deflate-zlib", "deflate-raw", "gzip-gzip"],
)
def test_deflate_either_way_and_stacked_layers_decode(encoded: bytes) -> None:
    """deflate is read zlib-wrapped or raw (as servers send it), and layers are undone in turn."""
    encoding = "gzip, gzip" if encoded.startswith(b"\x1f\x8b") else "deflate"
    chunks = [encoded[i : i + 7] for i in range(0, len(encoded), 7)]
    assert read_bounded_sync(chunks, LIMIT, encoding=encoding) == USERS


def test_every_layer_counts_against_the_limit() -> None:
    """An outer layer that inflates to more than the limit is refused, whatever the inner gives."""
    # The inner layer holds only empty stored blocks: its output is nothing, the outer's is huge.
    empty_blocks = b"\x00\x00\x00\xff\xff" * (LIMIT // 4)
    outer = zlib.compress(empty_blocks)
    decoder = Decoder("deflate, deflate", LIMIT)
    with pytest.raises(TooLarge):
        list(decoder.feed(outer))


def test_more_than_three_layers_are_refused() -> None:
    """Four layers of encoding are no real server's answer."""
    with pytest.raises(UnsupportedEncoding):
        Decoder("gzip, gzip, gzip, gzip", LIMIT)
