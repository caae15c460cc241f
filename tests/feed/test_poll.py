"""The poll kind against the demo site's changed-since filter: an edit reaches the chat within
an interval, and the cursor goes on from the last change seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.errors import ConfigError
from adapter.feed import Feed, feed_document
from tests.feed.support import (
    IDS_SUBSCRIPTION,
    POLL,
    adapter,
    demo_site,
    feed_settings,
    name_of,
    named,
)
from tests.polling import eventually


@pytest.mark.asyncio
async def test_a_polled_edit_reaches_the_chat_and_moves_the_cursor(tmp_path: Path) -> None:
    """`users(updatedSince: $since)` asked every 0.1 s; the users it returns are written."""
    with demo_site() as site:
        settings = feed_settings(
            site, tmp_path, POLL, kind="poll", cursor="updatedAt", interval_seconds=0.1, users=True
        )
        async with adapter(settings) as (client, feed):
            assert await eventually(lambda: feed.status == "up")
            assert await name_of(client, 9) != "Polled Nine"
            site.rename(9, "Polled Nine")
            assert await eventually(lambda: named(client, 9, "Polled Nine"))
            stamp = site.app.state.directory.get(9).updated_at
            assert await eventually(lambda: _cursor_is(feed, stamp))


async def _cursor_is(feed: Feed, stamp: str) -> bool:
    return bool(await feed.store.cursor() == stamp)


def test_a_poll_document_must_be_a_query_with_its_cursor(tmp_path: Path) -> None:
    """A subscription given as kind poll is refused at start-up, naming the file."""
    with demo_site() as site:
        settings = feed_settings(site, tmp_path, IDS_SUBSCRIPTION, kind="poll", cursor="updatedAt")
        with pytest.raises(ConfigError, match="needs a query"):
            feed_document(settings)
