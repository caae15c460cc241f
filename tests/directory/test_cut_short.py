"""An answer cut short by the site's page size never stores the ids it left out as unknown."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from adapter.config import Settings
from adapter.operations.batches import cut_short
from tests.directory.support import open_directory
from tests.servers import DemoUpstream
from tests.support import SettingsFactory, remote, sample

PAGED = """query ChatUsers($ids: [ID!]!) {
  usersPage(ids: $ids%s) {
    nodes { id username displayName avatar { url } lastLoginAt badge role }%s
  }
}
"""


def _settings(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, tmp_path: Path, document: str
) -> Settings:
    path = tmp_path / "users.graphql"
    path.write_text(document)
    return make_settings(
        {
            **remote(
                demo_upstream.graphql_url,
                retry={"attempts": 1},
                operations={"users": {"document": str(path), "result_path": "usersPage.nodes"}},
            ),
            "cache": {"backend": "memory", "negative_seconds": 3600},
            "mapping": {"profiles": None},
        }
    )


def _ids(profiles: list[bytes]) -> list[int]:
    return [orjson.loads(profile)["user_id"] for profile in profiles]


async def test_ids_left_out_at_a_round_page_size_are_not_cached_as_unknown(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """15 ids answered with the site's default page of 10: the 5 left out come back when asked
    again, and the answer is counted as cut short."""
    settings = _settings(make_settings, demo_upstream, tmp_path, PAGED % ("", ""))
    async with open_directory(settings) as directory:
        first = await directory.lookup(list(range(1, 16)))
        assert _ids(first) == list(range(1, 11))
        assert sample(directory.metrics, "adapter_upstream_answers_cut_short_total") == 1
        again = await directory.lookup(list(range(11, 16)))
        assert _ids(again) == list(range(11, 16))


async def test_a_next_page_announced_keeps_the_missing_ids_uncached(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """A connection saying `hasNextPage` is cut short even at a page size that is not round."""
    document = PAGED % (", limit: 7", "\n    pageInfo { hasNextPage }")
    settings = _settings(make_settings, demo_upstream, tmp_path, document)
    async with open_directory(settings) as directory:
        assert _ids(await directory.lookup(list(range(1, 10)))) == list(range(1, 8))
        assert _ids(await directory.lookup([8, 9])) == [8, 9]
        assert sample(directory.metrics, "adapter_upstream_answers_cut_short_total") == 1


async def test_an_answer_with_real_absences_still_caches_them(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """Ids the site does not have, in an answer that is not a page, are remembered as unknown."""
    settings = _settings(make_settings, demo_upstream, tmp_path, PAGED % (", limit: 100", ""))
    async with open_directory(settings) as directory:
        assert _ids(await directory.lookup([1, 2, 99_999_998])) == [1, 2]
        assert sample(directory.metrics, "adapter_upstream_answers_cut_short_total") == 0
        assert sample(directory.metrics, "adapter_cache_requests_total", result="negative") == 0
        assert _ids(await directory.lookup([99_999_998])) == []
        assert sample(directory.metrics, "adapter_cache_requests_total", result="negative") == 1


@pytest.mark.parametrize(
    ("data", "asked", "got", "short"),
    [
        ({"u": {"nodes": []}}, 15, 10, True),
        ({"u": {"nodes": []}}, 15, 11, False),
        ({"u": {"nodes": [], "pageInfo": {"hasNextPage": True}}}, 15, 7, True),
        ({"u": {"nodes": [], "pageInfo": {"hasNextPage": False}}}, 15, 7, False),
        ({"u": {"nodes": [], "meta": {"pagination": {"page": 1, "pageCount": 2}}}}, 15, 7, True),
        ({"u": {"nodes": [], "meta": {"pagination": {"page": 1, "pageCount": 1}}}}, 15, 7, False),
        ({"u": {"nodes": []}}, 10, 10, False),
    ],
)
def test_cut_short_reads_page_sizes_and_next_pages(
    data: dict[str, object], asked: int, got: int, short: bool
) -> None:
    """A shortfall at a round page size or under an announced next page is a page, not absence."""
    assert (cut_short(data, ("u", "nodes"), asked=asked, got=got) is not None) is short
