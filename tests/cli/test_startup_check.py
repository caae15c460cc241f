"""One start-up check: every configuration `serve` refuses, `check-config` fails with the same
message and an exit code of the configuration's classes (2, 3 or 4)."""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections import Counter
from collections.abc import Callable
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from adapter import cli
from adapter.app import served_in_process
from adapter.exit_codes import ExitCode
from adapter.web.graphql.trusted import document_hash
from tests.commands import real_site, write_config
from tests.servers import refused_port

# `serve` exits 2 for any of them (its documented code); check-config names the class.
CONFIGURATION_CLASSES = {ExitCode.INVALID, ExitCode.ENVIRONMENT, ExitCode.DOCUMENTS}

# Writes the configuration into the folder; may also change the process through monkeypatch.
Write = Callable[[Path, pytest.MonkeyPatch], Path]


def overrides(data: dict[str, Any], *, own_documents: bool = False) -> Write:
    """The reference configuration with `data` merged in."""
    return lambda directory, _: write_config(directory, data, own_documents=own_documents)


class _FailsToImport(MetaPathFinder, Loader):
    """Finds the module `name` (as an installed package does) and fails to run it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname == self.name else None

    def exec_module(self, module: ModuleType) -> None:
        raise ImportError(f"cannot import name 'Sampler' from {self.name!r}")


def broken_module(name: str, data: dict[str, Any]) -> Write:
    """`overrides(data)`, with the installed module `name` failing to import."""

    def write(directory: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        for loaded in [n for n in sys.modules if n == name or n.startswith(f"{name}.")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setattr(sys, "meta_path", [_FailsToImport(name), *sys.meta_path])
        return write_config(directory, data)

    return write


def broken_document(name: str, text: str) -> Write:
    """The reference configuration with its own copy of the documents, `name` replaced."""

    def write(directory: Path, _: pytest.MonkeyPatch) -> Path:
        path = write_config(directory, own_documents=True)
        (directory / "resolvers" / name).write_text(text)
        return path

    return write


def raw(text: str) -> Write:
    """A file holding `text` as it is."""

    def write(directory: Path, _: pytest.MonkeyPatch) -> Path:
        path = directory / "config.yaml"
        path.write_text(text)
        return path

    return write


REFUSED: dict[str, tuple[Write, str]] = {
    "a budget the limiter cannot read": (
        overrides({"graphql": {"rate_limit": {"per_viewer": "20/fortnight"}}}),
        "graphql.rate_limit.per_viewer: '20/fortnight' is not a rate such as '10/minute'",
    ),
    "a storage the limiter cannot use": (
        overrides({"graphql": {"rate_limit": {"storage_url": "memcached://x"}}}),
        "graphql.rate_limit.storage_url: use memory:// or redis://host:6379/0",
    ),
    "a missing trusted documents manifest": (
        overrides(
            {"graphql": {"trusted_documents": {"enabled": True, "manifest": "nowhere.json"}}}
        ),
        "graphql.trusted_documents.manifest (",
    ),
    "a missing viewer document": (
        overrides({"upstream": {"operations": {"viewer": {"document": "resolvers/nope.graphql"}}}}),
        "nope.graphql: cannot read",
    ),
    "a missing feed document": (
        overrides(
            {"feed": {"kind": "poll", "cursor": "at", "document": "resolvers/nope-feed.graphql"}}
        ),
        "nope-feed.graphql: cannot read",
    ),
    "a missing demo page folder": (
        overrides({"demo_page": {"enabled": True, "directory": "examples/nowhere"}}),
        "demo_page.directory: ",
    ),
    "a users document that does not parse": (
        broken_document("users.graphql", "query Users($ids: [ID!]!) {\n  {\n"),
        "users.graphql: line 2",
    ),
    "a mapped field no document selects": (
        overrides({"mapping": {"fields": {"name": "nickname"}}}),
        "nickname",
    ),
    "a login document without a field the login answer reads": (
        broken_document(
            "login.graphql",
            "mutation ChatLogin($username: String!, $password: String!) {\n"
            "  login(username: $username, password: $password) {\n"
            "    user { id username displayName }\n  }\n"
            "}\n",
        ),
        "mapping.fields.chat_role: reads 'role', which the login document does not select",
    ),
    "text ids with the token API on": (
        overrides({"chat": {"ids": {"type": "str"}}}),
        "chat.ids.type is str",
    ),
    "the vendor's sample password for a real site": (
        overrides({"upstream": {"embedded_demo": False, "url": "http://127.0.0.1:9/graphql"}}),
        "chat.api_password: is the vendor's sample password",
    ),
    "the otel extra installed but failing to import": (
        broken_module(
            "opentelemetry.sdk.trace.sampling",
            {"telemetry": {"enabled": True, "exporter": "console"}},
        ),
        "fails to import (ImportError: cannot import name 'Sampler'",
    ),
    "an unset variable": (
        overrides({"chat": {"api_password": "${IMBACHAT_TEST_NEVER_SET}"}}),
        "chat.api_password: environment variable IMBACHAT_TEST_NEVER_SET is not set",
    ),
    "a webhook body limit the server-wide limit refuses first": (
        overrides({"webhooks": {"secret": "s" * 32, "max_body_bytes": 1048576}}),
        "webhooks.max_body_bytes (1048576) is over limits.max_body_bytes (65536)",
    ),
    "an unknown key": (overrides({"cache": {"bogus": 1}}), "cache.bogus: unknown key"),
    "a value out of range": (
        overrides({"upstream": {"batch": {"size": 0}}}),
        "upstream.batch.size: Input should be greater than 0",
    ),
    "YAML that does not parse": (raw("chat:\n  api_login: [unclosed\n"), "line 3, column 1"),
    "a file holding a list": (raw("- a\n"), "(top level): must be a mapping of sections"),
    "a section named by a number": (raw("1: 2\n"), "1: unknown key"),
    "aliases that never end": (raw("a: &a [*a]\n"), "(top level): more than 100000 values"),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_what_serve_refuses_check_config_fails_with_the_same_message(
    case: str, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve exits 2 naming the problem before it listens; check-config --offline prints the
    same message and exits with the problem's configuration class."""
    write, message = REFUSED[case]
    config = str(write(tmp_path, monkeypatch))
    # A bound port: were the configuration accepted, serve would stop at the address (4).
    served = runner.invoke(cli.app, ["serve", "-c", config, "--port", str(refused_port())])
    assert served.exit_code == ExitCode.INVALID, served.output
    refused = [line.strip() for line in served.stderr.splitlines() if message in line]
    assert refused, served.stderr
    checked = runner.invoke(cli.app, ["check-config", "--offline", "-c", config])
    assert checked.exit_code in CONFIGURATION_CLASSES, checked.output
    for line in refused:
        assert any(line in shown for shown in checked.stdout.splitlines()), checked.stdout


def test_a_missing_file_is_refused_by_both(runner: CliRunner, tmp_path: Path) -> None:
    """No file at all: both name the absolute path they looked at, and exit 2."""
    config = str(tmp_path / "nope.yaml")
    served = runner.invoke(cli.app, ["serve", "-c", config, "--port", str(refused_port())])
    checked = runner.invoke(cli.app, ["check-config", "--offline", "-c", config])
    assert (served.exit_code, checked.exit_code) == (2, 2)
    assert f"no configuration at {config}" in served.stderr
    assert f"no configuration at {config}" in checked.stdout


def test_what_check_config_passes_serve_accepts(runner: CliRunner, tmp_path: Path) -> None:
    """A configuration the start-up check passes gets past it in serve: to the address (4)."""
    config = str(write_config(tmp_path, real_site("http://127.0.0.1:9/graphql")))
    checked = runner.invoke(cli.app, ["check-config", "--offline", "-c", config])
    assert checked.exit_code == 0, checked.output
    served = runner.invoke(cli.app, ["serve", "-c", config, "--port", str(refused_port())])
    assert served.exit_code == ExitCode.ADDRESS, served.output


@pytest.mark.usefixtures("json_logs")  # serve configures logging; structlog's defaults after
@pytest.mark.parametrize("viewer", ["configured", "default"])
async def test_serve_reads_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, viewer: str
) -> None:
    """serve's path (the start-up check, the app, its lifespan) reads the configuration, each
    operation document (the viewer's also when it is the default one) and the trusted
    documents manifest once: the app takes what the check built."""
    text = "query ChatUsers { __typename }"
    manifest = tmp_path / "trusted.json"
    manifest.write_bytes(orjson.dumps({document_hash(text): text}))
    data: dict[str, Any] = {
        "graphql": {"trusted_documents": {"enabled": True, "manifest": str(manifest)}}
    }
    if viewer == "default":  # resolvers/viewer.graphql, found by the viewer source itself
        data["upstream"] = {"operations": {"viewer": None}}
    config = write_config(tmp_path, data, own_documents=True)
    reads: Counter[Path] = Counter()
    real_open = Path.open

    def counted(path: Path, *args: Any, **kwargs: Any) -> Any:
        reads[path.absolute()] += 1
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counted)
    # serve freezes what start-up built for the collector; not the test process's objects.
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(gc, "set_threshold", lambda *_: None)
    application, _ = cli._served_app(config)
    async with served_in_process(application):
        pass
    assert reads[manifest] == 1
    assert reads[config] == 1
    assert reads[tmp_path / "resolvers" / "users.graphql"] == 1
    assert [path for path, count in reads.items() if count > 1] == []
