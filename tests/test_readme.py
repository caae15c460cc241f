"""The README's commands work as written.

Every line of its ```sh blocks is either run here, offline (the `imbachat-adapter` lines against
the demo upstream in a tmp folder, the `curl` lines against the reference configuration served
as `make demo` serves it), or listed in `NOT_RUN` with the reason; a line in neither list, or a
`NOT_RUN` entry the README no longer has, fails. The command table lists each command's real
options, and ARCHITECTURE's size of the cache layer is a bound that holds.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer

from adapter.app import create_app
from adapter.cli import app
from adapter.demo.app import AVATAR_BASE_ENV
from tests.commands import environment
from tests.servers import ADAPTER_COMMAND, LiveServer, free_port, stop_process
from tests.support import ROOT, reference_data, settings_from

README = ROOT / "README.md"
ADAPTER = ".venv/bin/imbachat-adapter "

# Lines of the README's ```sh blocks that this test does not run, each with why.
NOT_RUN = {
    "make demo": "serves until stopped; the test serves config.yaml the same way for the curls",
    "make test": "the suite itself",
    ".venv/bin/imbachat-adapter init --upstream https://www.example.com/graphql "
    "--header 'Authorization: Bearer …' --output my/": "a site on the internet; the same "
    "command against the demo upstream is run (its output folder stands in for my/)",
    ".venv/bin/imbachat-adapter init --upstream https://www.example.com/graphql "
    "--schema path/to/schema.graphql --output my/": "a site on the internet and the reader's "
    "schema file (tests/init cover --schema against local sites)",
    "cp my/.env.example my/.env   # then fill in my/.env": "the person's step: the test fills "
    "the variables in from my/.env.example itself",
    "set -a; . my/.env; set +a": "the test passes the variables it filled in to each command",
    'SECRET="$IMBACHAT_WEBHOOK_SECRET"': "the webhook script signs for a deployed adapter at "
    "chat-adapter.example.com (tests/chat/test_webhook.py signs the same way)",
    "BODY='{\"ids\":[6,7,12]}'": "the webhook script",
    "T=$(date +%s)": "the webhook script",
    'SIG=$(printf \'%s.%s\' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -r | '
    "cut -d' ' -f1)": "the webhook script",
    'curl -sS -X POST "https://chat-adapter.example.com/imbachat/v1/webhooks/users-changed" '
    '-H "Content-Type: application/json" -H "X-Imbachat-Signature: t=$T,v1=$SIG" '
    '--data "$BODY"': "the webhook script: a deployed adapter on the internet",
    "python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' "
    "< op.graphql": "hashes the reader's own op.graphql",
}
# What the operator fills in from imbachat.com, per variable init's .env.example lists.
FILLED_IN = {
    "IMBACHAT_API_LOGIN": "site-chat",
    "IMBACHAT_API_PASSWORD": "readme-test-api-password",
    "IMBACHAT_WIDGET_ID": "4711",
    "IMBACHAT_SECRET_KEY": "readme-test-widget-secret-key-0123456789abcdef",
}


def sh_lines(text: str) -> list[str]:
    """Each command line of the ```sh blocks, continuations joined, in the README's order."""
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M):
        joined = re.sub(r"\\\n\s*", "", block)
        found += [line.strip() for line in joined.splitlines() if line.strip()]
    return found


def test_every_sh_line_is_run_or_listed() -> None:
    """A README command is run below or listed, with a reason, as one that cannot be."""
    lines = sh_lines(README.read_text())
    unlisted = [
        line for line in lines if line not in NOT_RUN and not line.startswith((ADAPTER, "curl "))
    ]
    assert unlisted == [], "run these in test_readme_commands_run, or list them in NOT_RUN"
    assert sorted(set(NOT_RUN) - set(lines)) == [], "the README no longer has these"


@pytest.fixture
def demo_served(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The reference configuration served as `make demo` serves it (in-process); its port."""
    monkeypatch.setenv(AVATAR_BASE_ENV, "/demo-upstream")
    with LiveServer(create_app(settings_from(reference_data()))) as server:
        yield server.port


def _spawn(
    argv_for: Callable[[int], list[str]], env: dict[str, str], log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server the README shows on a free port, its output in `log`; wait (generously:
    the machine may be busy) until it listens."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(argv_for(port), env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{argv_for(port)} exited {process.returncode}: {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return process, port
        time.sleep(0.1)
    stop_process(process)
    raise AssertionError(f"{argv_for(port)} did not listen in 90 s: {log.read_text()}")


def _argv(line: str, substitutions: dict[str, str]) -> list[str]:
    for written, here in substitutions.items():
        line = line.replace(written, here)
    words = shlex.split(line.removesuffix("&"))
    if words[0] == ADAPTER.strip():
        return [*ADAPTER_COMMAND, *words[1:]]
    assert words[0] == "curl"
    return ["curl", "--fail", "--silent", "--show-error", "--max-time", "30", *words[1:]]


def _run_order(line: str) -> int:
    """The demo upstream first, then init, then the rest in the README's order (the
    commands after init's section need a configuration it wrote)."""
    if line.endswith("&"):
        return 0
    return 1 if line.startswith(f"{ADAPTER}init ") else 2


def _on_port(line: str, substitutions: dict[str, str]) -> Callable[[int], list[str]]:
    """A server's command with its `--port` replaced by the one given."""

    def argv(port: int) -> list[str]:
        written = line.removesuffix("&").strip()
        if "--port " not in written:
            written += " --port 8000"  # the default
        return _argv(re.sub(r"--port \d+", f"--port {port}", written), substitutions)

    return argv


def _env_file_values(path: Path) -> dict[str, str]:
    """init's .env.example, filled in as its comments say."""
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=$", path.read_text(), re.M)
    assert names, path.read_text()
    return {name: FILLED_IN[name] for name in names}


@pytest.mark.slow
def test_readme_commands_run(demo_served: int, tmp_path: Path) -> None:
    """Each `imbachat-adapter` and `curl` line of the README runs and succeeds, in order."""
    site = tmp_path / "site"
    substitutions = {
        "http://127.0.0.1:8000": f"http://127.0.0.1:{demo_served}",
        "/tmp/site": str(site),  # noqa: S108 - the README's text, replaced by a tmp path
        "my/": f"{site}/",
        "--host 0.0.0.0": "--host 127.0.0.1",
    }
    env = environment()
    background: list[subprocess.Popen[bytes]] = []
    ran = []
    try:
        for line in sorted(sh_lines(README.read_text()), key=_run_order):
            if line in NOT_RUN:
                continue
            if line.endswith("&") or " serve " in line:
                log = tmp_path / f"server-{len(background)}.log"
                process, port = _spawn(_on_port(line, substitutions), env, log)
                background.append(process)
                if "demo-upstream" in line:
                    written = re.search(r"--port (\d+)", line)
                    assert written is not None
                    substitutions[f"127.0.0.1:{written.group(1)}"] = f"127.0.0.1:{port}"
                ran.append(line)
                continue
            done = subprocess.run(
                _argv(line, substitutions),
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            ran.append(line)
            if " init " in line:
                env = {**env, **_env_file_values(site / ".env.example")}
        assert sum(line.startswith(ADAPTER) for line in ran) >= 4
        assert sum(line.startswith("curl ") for line in ran) >= 4
    finally:
        for process in background:
            stop_process(process)


def _documented_options() -> dict[str, set[str]]:
    """The options the README's command table shows for each command."""
    table = README.read_text().split("## Command line", 1)[1]
    shown: dict[str, set[str]] = {}
    for cell in re.findall(r"^\| `([a-z-]+[^`]*)` \|", table, re.M):
        name, _, rest = cell.partition(" ")
        shown[name] = set(re.findall(r"--[a-z-]+", rest))
    return shown


def test_the_command_table_lists_every_option() -> None:
    """The README's table shows each command with exactly the options it takes (`--config`,
    said once above the table, and `init`'s, described in its own section, aside)."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    shown = _documented_options()
    assert set(shown) == set(group.commands)
    for name, sub in group.commands.items():
        if name == "init":
            continue
        real = {
            option
            for param in sub.params
            if isinstance(param, typer.core.TyperOption)
            for option in (*param.opts, *param.secondary_opts)
            if option.startswith("--") and option not in ("--config", "--introspect")
        }
        assert shown[name] == real, name


def test_architecture_cache_size_holds() -> None:
    """ARCHITECTURE's "under N lines" for `cache/` bounds the lines the folder has."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    match = re.search(r"The layer is under ([\d,]+) lines \(`wc -l adapter/cache/\*\.py`", text)
    assert match is not None
    lines = sum(
        len(path.read_text().splitlines()) for path in (ROOT / "adapter/cache").glob("*.py")
    )
    assert lines < int(match.group(1).replace(",", "")), lines
