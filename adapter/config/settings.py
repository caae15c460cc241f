"""The whole configuration: one section per area, and the checks that span sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapter.config.cache import CacheSettings
from adapter.config.chat import ChatSettings, LimitsSettings, WebhookSettings
from adapter.config.feed import FeedSettings
from adapter.config.frontend import (
    DemoPageSettings,
    GraphQLSettings,
    TokenSettings,
    ViewerSettings,
    WidgetSettings,
)
from adapter.config.mapping import MappingSettings
from adapter.config.running import LoggingSettings, TelemetrySettings
from adapter.config.sources import OVERRIDE_PREFIX
from adapter.config.upstream import UpstreamSettings

__all__ = ["Settings"]


class Settings(BaseSettings):
    """The whole configuration; `loader.py` builds it from its sources (`sources.py`): the file,
    the environment beating it (ARCHITECTURE.md says how to add a section)."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=OVERRIDE_PREFIX,
        env_nested_delimiter="__",
        env_parse_none_str="null",
    )

    chat: ChatSettings
    upstream: UpstreamSettings
    mapping: MappingSettings
    cache: CacheSettings = CacheSettings()
    limits: LimitsSettings = LimitsSettings()
    webhooks: WebhookSettings = WebhookSettings()
    # The site's change feed (off unless given).
    feed: FeedSettings | None = None
    logging: LoggingSettings = LoggingSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    # The frontend-facing GraphQL API (off unless `graphql` is given; it needs tokens and viewer).
    tokens: TokenSettings | None = None
    viewer: ViewerSettings | None = None
    graphql: GraphQLSettings | None = None
    widget: WidgetSettings = WidgetSettings()
    demo_page: DemoPageSettings = DemoPageSettings()
    # Where relative paths in the file (operation documents) are resolved from.
    base_dir: Path = Path(".")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @model_validator(mode="after")
    def _webhook_body_fits(self) -> Settings:
        # The edge applies limits.max_body_bytes to every request before any route reads it
        # (the webhook's limit matters only when its route is mounted).
        webhook, server = self.webhooks.max_body_bytes, self.limits.max_body_bytes
        if webhook > server and self.webhooks.enabled:
            raise ValueError(
                f"webhooks.max_body_bytes ({webhook}) is over limits.max_body_bytes ({server}), "
                "which every request meets first: a larger webhook would get the server's 413. "
                "Raise limits.max_body_bytes to it, or lower webhooks.max_body_bytes"
            )
        return self

    @model_validator(mode="after")
    def _frontend_complete(self) -> Settings:
        if self.graphql is None:
            return self
        problems = [
            f"graphql needs `{name}`"
            for name in ("tokens", "viewer")
            if getattr(self, name) is None
        ]
        viewer = self.viewer
        if viewer is not None and viewer.mode == "upstream":
            unknown = set(viewer.upstream.keep_service_headers) - set(self.upstream.headers)
            if unknown:
                problems.append(
                    "viewer.upstream.keep_service_headers: not in upstream.headers: "
                    + ", ".join(sorted(unknown))
                )
        if "{widget_id}" in self.widget.script_url and not self.chat.widget_id:
            problems.append("widget.script_url uses {widget_id}: set chat.widget_id")
        if self.chat.ids.type == "str":
            # The viewer's id is always a number (viewer.py): no token names a text id.
            problems.append(
                "chat.ids.type is str, but the widget's token carries the site's integer user "
                "id (the chat's `(int)$user_id`): issueChatToken would answer VIEWER_ID_INVALID "
                "or name a user the users call cannot find. Fix: give the site's users an "
                "integer key that the users document filters on and the viewer document "
                'selects, then set chat.ids.type: int and mapping.id to it (README: "Integer '
                'chat ids"); or switch the token API off (remove graphql, tokens and viewer)'
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self
