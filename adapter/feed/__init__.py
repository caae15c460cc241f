"""The change feed (issue 23): the site says which users changed, with no webhook and no code.

`subscription.py` follows a GraphQL subscription over WebSocket, `poll.py` asks a "changed since"
query every interval, `store.py` keeps what replicas share (the lease, the stale mark, the
cursor) and `runner.py` runs the one that holds the lease as a background task.
"""

from __future__ import annotations

from adapter.feed.runner import Feed, FeedDocument, feed_document, open_feed

__all__ = ["Feed", "FeedDocument", "feed_document", "open_feed"]
