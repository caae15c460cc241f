"""Configuration: the models and the YAML loader.

The file is read once, at start-up. Strings may use `${VAR}` and `${VAR:-default}` to take values
(secrets above all) from the environment, and any setting may be overridden by an environment
variable `IMBACHAT__SECTION__KEY=value` (the environment beats the file). Every problem is reported
with its path in the file; none of them ever reaches a client.

The models live in one module per area (chat, upstream, mapping, cache, frontend, running);
`settings.py` joins them and `loader.py` reads the file. Import from `adapter.config`.
"""

from __future__ import annotations

from adapter.config.base import (
    Model,
)
from adapter.config.cache import (
    CacheSettings,
    RedisSettings,
)
from adapter.config.chat import (
    MAX_CHAT_ID,
    ChatSettings,
    IdSettings,
    LimitsSettings,
    QueryTokenSettings,
    WebhookSettings,
    chat_int_id,
)
from adapter.config.feed import (
    FeedSettings,
)
from adapter.config.frontend import (
    CorsSettings,
    DemoPageSettings,
    FederationEntitySettings,
    FederationSettings,
    GraphQLSettings,
    JwtViewerSettings,
    RateLimitSettings,
    TokenSettings,
    TrustedDocumentsSettings,
    UpstreamViewerSettings,
    ViewerSettings,
    WidgetSettings,
)
from adapter.config.loader import (
    CONFIG_ENV_VAR,
    OVERRIDE_PREFIX,
    env_references,
    load_settings,
    no_configuration,
    read_config_file,
    settings_from_mapping,
)
from adapter.config.mapping import (
    RESERVED_FIELDS,
    Converter,
    FieldRule,
    FieldSpec,
    MappingSettings,
    ProfilesRule,
)
from adapter.config.running import (
    LoggingSettings,
    TelemetrySettings,
)
from adapter.config.samples import (
    sample_value_problems,
)
from adapter.config.settings import (
    Settings,
)
from adapter.config.upstream import (
    BatchSettings,
    BreakerSettings,
    FriendsOperation,
    GlobalIdSettings,
    LoginOperation,
    NotifyField,
    NotifyOperation,
    OperationsSettings,
    RetrySettings,
    SearchOperation,
    TimeoutSettings,
    UpstreamSettings,
    UsersOperation,
    ViewerOperation,
)

__all__ = [
    "CONFIG_ENV_VAR",
    "MAX_CHAT_ID",
    "OVERRIDE_PREFIX",
    "RESERVED_FIELDS",
    "BatchSettings",
    "BreakerSettings",
    "CacheSettings",
    "ChatSettings",
    "Converter",
    "CorsSettings",
    "DemoPageSettings",
    "FederationEntitySettings",
    "FederationSettings",
    "FeedSettings",
    "FieldRule",
    "FieldSpec",
    "FriendsOperation",
    "GlobalIdSettings",
    "GraphQLSettings",
    "IdSettings",
    "JwtViewerSettings",
    "LimitsSettings",
    "LoggingSettings",
    "LoginOperation",
    "MappingSettings",
    "Model",
    "NotifyField",
    "NotifyOperation",
    "OperationsSettings",
    "ProfilesRule",
    "QueryTokenSettings",
    "RateLimitSettings",
    "RedisSettings",
    "RetrySettings",
    "SearchOperation",
    "Settings",
    "TelemetrySettings",
    "TimeoutSettings",
    "TokenSettings",
    "TrustedDocumentsSettings",
    "UpstreamSettings",
    "UpstreamViewerSettings",
    "UsersOperation",
    "ViewerOperation",
    "ViewerSettings",
    "WebhookSettings",
    "WidgetSettings",
    "chat_int_id",
    "env_references",
    "load_settings",
    "no_configuration",
    "read_config_file",
    "sample_value_problems",
    "settings_from_mapping",
]
