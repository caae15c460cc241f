"""The whole configuration: one section per area, and the checks that span sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator

from adapter.config.base import Model
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
from adapter.config.upstream import UpstreamSettings

__all__ = ["Settings"]


def _frontend_problems(settings: Settings) -> list[str]:
    if settings.graphql is None:
        return []
    problems = [
        f"graphql needs `{name}`"
        for name in ("tokens", "viewer")
        if getattr(settings, name) is None
    ]
    viewer = settings.viewer
    if viewer is not None and viewer.mode == "upstream":
        unknown = set(viewer.upstream.keep_service_headers) - set(settings.upstream.headers)
        if unknown:
            problems.append(
                "viewer.upstream.keep_service_headers: not in upstream.headers: "
                + ", ".join(sorted(unknown))
            )
    if "{widget_id}" in settings.widget.script_url and not settings.chat.widget_id:
        problems.append("widget.script_url uses {widget_id}: set chat.widget_id")
    return problems


class Settings(Model):
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
    def _frontend_complete(self) -> Settings:
        problems = _frontend_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self
