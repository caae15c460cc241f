"""The subscription kind against the demo site over HTTP and WebSocket: a member's edit reaches
the chat with no webhook, in both protocols, and a site restart loses no change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.feed.support import (
    IDS_SUBSCRIPTION,
    SUBSCRIPTION,
    adapter,
    demo_site,
    feed_settings,
    name_of,
    named,
)
from tests.polling import eventually


@pytest.mark.asyncio
@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_an_edit_on_the_site_reaches_the_chat(tmp_path: Path, protocol: str) -> None:
    """Ids only, in either protocol: the copy is evicted and the next answer asks the site."""
    with demo_site() as site:
        settings = feed_settings(
            site, tmp_path, IDS_SUBSCRIPTION, kind="subscription", protocol=protocol
        )
        async with adapter(settings) as (client, feed):
            assert await eventually(lambda: feed.status == "up")
            assert await name_of(client, 6) != "Renamed Six"
            site.rename(6, "Renamed Six")
            assert await eventually(lambda: named(client, 6, "Renamed Six"))


@pytest.mark.asyncio
async def test_user_objects_in_events_are_written_without_asking_the_site(tmp_path: Path) -> None:
    """`users: true`: the event's member is mapped and written into the cache as it comes."""
    with demo_site() as site:
        settings = feed_settings(site, tmp_path, SUBSCRIPTION, kind="subscription", users=True)
        async with adapter(settings) as (client, feed):
            assert await eventually(lambda: feed.status == "up")
            await name_of(client, 7)
            counter = site.app.state.graphql_counter
            asked = counter.value
            site.rename(7, "Seventh, Renamed")
            assert await eventually(lambda: named(client, 7, "Seventh, Renamed"))
            assert counter.value == asked + 1  # the rename itself, no users query


@pytest.mark.asyncio
async def test_a_change_made_while_the_site_was_down_is_not_lost(tmp_path: Path) -> None:
    """The site restarts; a change it made meanwhile cannot come as an event, so every copy
    written before the feed was back is asked again: the chat gets the new name."""
    with demo_site() as site:
        settings = feed_settings(site, tmp_path, IDS_SUBSCRIPTION, kind="subscription")
        async with adapter(settings) as (client, feed):
            assert await eventually(lambda: feed.status == "up")
            assert await name_of(client, 8) != "Changed Meanwhile"
            site.stop()
            assert await eventually(lambda: feed.status.startswith("down"))
            site.rename_behind_its_back(8, "Changed Meanwhile")
            site.start()
            assert await eventually(lambda: feed.status == "up")
            assert await name_of(client, 8) == "Changed Meanwhile"
            readiness = (await client.get("/readyz")).json()
            assert readiness["checks"]["feed"] == "up"


@pytest.mark.asyncio
async def test_a_feed_that_is_down_shows_and_fails_no_call(tmp_path: Path) -> None:
    """Nothing listens at the feed's URL: the gauge says 0, /readyz says why, the replica stays
    ready and the chat is answered (copies kept for gap_fresh_seconds only)."""
    with demo_site() as site:
        settings = feed_settings(
            site, tmp_path, IDS_SUBSCRIPTION, kind="subscription", url="ws://127.0.0.1:9/graphql"
        )
        async with adapter(settings) as (client, feed):
            assert await eventually(lambda: feed.status.startswith("down"))
            assert feed.metrics.registry.get_sample_value("adapter_feed_up") == 0
            assert await name_of(client, 6) is not None
            readiness = await client.get("/readyz")
            assert readiness.status_code == 200
            assert readiness.json()["checks"]["feed"].startswith("down: ")
            site.rename_behind_its_back(6, "Seen Within The Gap Window")
            assert await eventually(lambda: named(client, 6, "Seen Within The Gap Window"))
