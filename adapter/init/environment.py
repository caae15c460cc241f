"""The environment a written configuration needs: each variable, what it is, where to find it.

`init` writes it as `.env.example` beside `config.yaml` (`NAME=value` lines and `#` comments,
which a shell's `set -a; . ./.env`, systemd's `EnvironmentFile=` and `docker run --env-file`
all read) and stands throwaway values in for the unset ones while it checks its own work.
"""

from __future__ import annotations

import re
import secrets
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ENV_FILE",
    "SECRET_KEY_VARIABLE",
    "WIDGET_ID_VARIABLE",
    "Variable",
    "environment_file",
    "header_variable",
    "variables",
]

ENV_FILE = ".env.example"
API_LOGIN_VARIABLE = "IMBACHAT_API_LOGIN"
API_PASSWORD_VARIABLE = "IMBACHAT_API_PASSWORD"  # noqa: S105 - a variable name
# The widget's secret key is never written to the file: it comes from this variable.
SECRET_KEY_VARIABLE = "IMBACHAT_SECRET_KEY"  # noqa: S105 - a variable name
WIDGET_ID_VARIABLE = "IMBACHAT_WIDGET_ID"
_WIDGET_SETTINGS = "on imbachat.com, in your widget's settings"


@dataclass(frozen=True)
class Variable:
    name: str
    # What it is and where to find it, one sentence or two.
    about: str
    # A value that only passes the checks (init's own run), never one to deploy with.
    throwaway: str


def header_variable(name: str) -> str:
    """The environment variable that holds a header's value: `IMBACHAT_UPSTREAM_<NAME>`."""
    return "IMBACHAT_UPSTREAM_" + re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


def variables(header_names: Sequence[str], *, token_api: bool) -> list[Variable]:
    """Every variable the written `config.yaml` names without a default, in the file's order."""
    found = [
        Variable(
            API_LOGIN_VARIABLE,
            f'The chat\'s API login ({_WIDGET_SETTINGS}: "API login"). The chat sends it, '
            "with the password, on every users-info call.",
            "init-check",
        ),
        Variable(
            API_PASSWORD_VARIABLE,
            f'The chat\'s API password ({_WIDGET_SETTINGS}: "API password"). Not the '
            "vendor's sample (abc): serve and check-config refuse it.",
            secrets.token_urlsafe(24),
        ),
    ]
    if token_api:
        found += [
            Variable(
                WIDGET_ID_VARIABLE,
                f"The widget's id ({_WIDGET_SETTINGS}; also the number in the widget's script "
                "address, https://api.imbachat.com/imbachat/v1/<widget id>/widget).",
                "init-check",
            ),
            Variable(
                SECRET_KEY_VARIABLE,
                f'The widget\'s secret key ({_WIDGET_SETTINGS}: "Secret key"), 32 bytes or '
                "more. It signs the widget tokens.",
                secrets.token_urlsafe(48),
            ),
        ]
    found += [
        Variable(
            header_variable(name),
            f"The value of the {name} header the adapter sends to your site's GraphQL API "
            "(what you gave init with --header): your site's credential, not imbachat.com's.",
            "",
        )
        for name in header_names
    ]
    return found


def environment_file(needed: Sequence[Variable]) -> str:
    """The text of `.env.example`: every variable, explained, with an empty value to fill in."""
    lines = [
        "# The environment config.yaml needs, written by `imbachat-adapter init`.",
        "# Copy this file to .env, fill in every value, keep it out of version control, then:",
        "#   set -a; . ./.env; set +a",
        "#   imbachat-adapter check-config --config config.yaml",
        "# (systemd reads it with EnvironmentFile=, docker with --env-file.)",
        "",
    ]
    for variable in needed:
        lines += textwrap.wrap(
            variable.about, width=94, initial_indent="# ", subsequent_indent="# "
        )
        lines += [f"{variable.name}=", ""]
    lines += [
        "# Optional: the cache. memory (the default) is per process; redis is shared by replicas.",
        "# IMBACHAT_CACHE_BACKEND=redis",
        "# REDIS_URL=redis://127.0.0.1:6379/0",
    ]
    return "\n".join(lines) + "\n"
