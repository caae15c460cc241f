"""The change feed (issue 23): the site says which users changed, with no webhook and no code.
Its modules: ARCHITECTURE.md."""

from __future__ import annotations

from adapter.feed.runner import Feed, FeedDocument, feed_document, open_feed

__all__ = ["Feed", "FeedDocument", "feed_document", "open_feed"]
