"""Running the commands against configurations written for a test: in this process (`cli`), or
as the real `python -m adapter` process (`cli_process`) where the process itself is under test."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import structlog
import yaml
from typer.testing import CliRunner

from adapter import cli as commands
from tests.servers import ADAPTER_COMMAND
from tests.support import ROOT, deep_merge, reference_data, remote

__all__ = [
    "SITE_AUTH",
    "SITE_SECRET_KEY",
    "cli",
    "cli_process",
    "environment",
    "real_site",
    "write_config",
]

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
    """Run the command `ARGS` in this process, as `cli_process` runs it in its own.

    The same arguments, environment (`environment()` unless given), working folder, stdin at
    end of file, and exit code; stdout and stderr captured apart. It runs on a thread of its own,
    so that its `asyncio.run` works from an async test too. An exception the command lets escape
    fails the test (the process would have printed a traceback and exited 1). Half a second
    cheaper than a process per call, and the command's code is measured by coverage.
    """
    outcome: list[subprocess.CompletedProcess[str] | BaseException] = []

    def run() -> None:
        try:
            outcome.append(_invoke(list(args), env if env is not None else environment(), cwd))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, name=f"cli {' '.join(args[:1])}")
    thread.start()
    thread.join()
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def _invoke(
    args: list[str], env: Mapping[str, str], cwd: Path | None
) -> subprocess.CompletedProcess[str]:
    # The runner sets the variables given and unsets (None) the others for the call's length.
    only: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    only.update(env)
    with _logging_restored(), contextlib.chdir(cwd or ROOT):
        result = CliRunner().invoke(
            commands.app, args, env=only, catch_exceptions=False, prog_name="python -m adapter"
        )
    return subprocess.CompletedProcess(
        ["python", "-m", "adapter", *args], result.exit_code, result.stdout, result.stderr
    )


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """The commands configure logging for their process; the test's is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**config)


def cli_process(
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
