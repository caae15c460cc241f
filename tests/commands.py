"""Running the real `python -m adapter` entry point against configurations written for a test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.servers import ADAPTER_COMMAND
from tests.support import ROOT, deep_merge, reference_data, remote

__all__ = ["SITE_AUTH", "SITE_SECRET_KEY", "cli", "environment", "real_site", "write_config"]

# Variables the reference configuration reads; a test's process gets only those it sets.
_OWN_PREFIXES = ("IMBACHAT", "REDIS_", "OTEL_")


def write_config(
    directory: Path, overrides: Mapping[str, Any] | None = None, *, own_documents: bool = False
) -> Path:
    """`directory/config.yaml`: the reference with `overrides`, relative paths kept on the repo.

    With `own_documents`, the operation documents are copies in `directory/resolvers/` that
    the test may edit.
    """
    data = deep_merge(reference_data(), {"base_dir": str(ROOT)})
    if own_documents:
        shutil.copytree(ROOT / "resolvers", directory / "resolvers", dirs_exist_ok=True)
        operations = data["upstream"]["operations"]
        for operation in operations.values():
            if isinstance(operation, dict) and "document" in operation:
                operation["document"] = str(directory / operation["document"])
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(deep_merge(data, overrides or {}), sort_keys=False))
    return path


# Outside the embedded demo, serve and check-config refuse the vendor's sample password and the
# demo widget secret: a configuration for a real site carries values of its own.
SITE_AUTH = ("root", "a-test-password-not-the-sample")
SITE_SECRET_KEY = "a-test-widget-secret-key-not-the-demo-one-0123"


def real_site(url: str) -> dict[str, Any]:
    """`remote(url)` with non-sample secrets, as the commands accept for a site of its own."""
    secrets = {
        "chat": {"api_password": f"${{IMBACHAT_API_PASSWORD:-{SITE_AUTH[1]}}}"},
        "tokens": {"secret_key": f"${{IMBACHAT_SECRET_KEY:-{SITE_SECRET_KEY}}}"},
    }
    return {**secrets, **remote(url)}


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without the adapter's own variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(extra)
    return env


def cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m adapter ARGS` to completion and capture its output."""
    return subprocess.run(
        [*ADAPTER_COMMAND, *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else environment(),
        cwd=cwd or ROOT,
        timeout=90,
        check=False,
    )
