"""`Plan`: what `init` decided about a site, reviewed by `review.py` and written by `render.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapter.config import MappingSettings
from adapter.init.discover import Discovery, Fetcher, Search, Viewer
from adapter.init.feeds import Feed
from adapter.init.propose import Proposal
from adapter.init.sessions import BEARER_ONLY, Session
from adapter.mapping import referenced_paths

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """Everything `init` decided, ready to be reviewed and written."""

    url: str
    header_names: tuple[str, ...]
    discovery: Discovery
    fetcher: Fetcher
    search: Search | None
    viewer: Viewer | None
    proposal: Proposal
    # The headers and cookies the viewer query forwards.
    session: Session = BEARER_ONLY
    # Why a viewer field that was found is not used (the token API is then written off).
    viewer_refused: str | None = None
    # The site's change feed (a subscription or a poll), when its schema offers one.
    feed: Feed | None = None

    def selected_paths(self) -> list[str]:
        """What the documents select: every path the mapping reads, the id first."""
        data: dict[str, Any] = {"id": self.proposal.id_field, "fields": self.proposal.fields()}
        if self.proposal.profiles is not None:
            data["profiles"] = self.proposal.profiles
        mapping = MappingSettings.model_validate(data)
        return list(dict.fromkeys(path for _, path in referenced_paths(mapping)))

    @property
    def users_file(self) -> str:
        name = "users" if self.fetcher.strategy == "list" else "user_by_id"
        return f"resolvers/{name}.graphql"
