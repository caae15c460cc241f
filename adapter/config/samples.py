"""Values that only the demo may run with: the vendor's sample login, the reference
configuration's demo widget secret, and placeholders such as the Kubernetes Secret's `REPLACE-...`.

`serve` refuses to start with any of them outside the embedded demo, and `check-config` fails
naming each setting, so a copied example never reaches production with a known secret.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from adapter.config.settings import Settings

__all__ = ["DEMO_WIDGET_SECRET", "PLACEHOLDER_MARK", "SAMPLE_PASSWORD", "sample_value_problems"]

# The vendor's sample login is root / abc; the password alone is what gives the chat's data away.
SAMPLE_PASSWORD = "abc"  # noqa: S105 - the value refused, not a credential
# config.yaml's default for tokens.secret_key (a test keeps the two the same).
DEMO_WIDGET_SECRET = "demo-widget-secret-key-not-for-production-use-0123456789"  # noqa: S105
# docker/k8s/secret.yaml and deployment.yaml mark the values to fill in with it.
PLACEHOLDER_MARK = "REPLACE-"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in the dumped settings with its path (secrets revealed, for comparison only)."""
    if isinstance(value, SecretStr):
        yield path, value.get_secret_value()
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def sample_value_problems(settings: Settings) -> list[str]:
    """Each setting that holds a sample or placeholder value, as `path: why`; [] for the demo."""
    if settings.upstream.embedded_demo:
        return []
    problems = [
        f"{path}: is a placeholder ({PLACEHOLDER_MARK}...); set the real value"
        for path, text in _strings(settings.model_dump(), "")
        if PLACEHOLDER_MARK in text
    ]
    if settings.chat.api_password.get_secret_value() == SAMPLE_PASSWORD:
        problems.append(
            "chat.api_password: is the vendor's sample password (root / abc); set "
            "IMBACHAT_API_PASSWORD to the API password from the widget settings"
        )
    tokens = settings.tokens
    if tokens is not None and tokens.secret_key.get_secret_value() == DEMO_WIDGET_SECRET:
        problems.append(
            "tokens.secret_key: is the reference configuration's demo secret; set "
            "IMBACHAT_SECRET_KEY to the widget's secret key from imbachat.com"
        )
    return problems
