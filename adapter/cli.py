"""The `imbachat-adapter` command.

Every command reads the configuration from `--config`, else `$IMBACHAT_ADAPTER_CONFIG`, else
`./config.yaml`. Output meant for people and programs goes to stdout; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import os
import signal
import socket
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from adapter.config import (
    CONFIG_ENV_VAR,
    Settings,
    load_settings,
    no_configuration,
)
from adapter.errors import ConfigError
from adapter.exit_codes import ExitCode
from adapter.init.command import init_command
from adapter.mapping import ChatUser

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["app", "app_from_environment", "main"]

app = typer.Typer(
    name="imbachat-adapter",
    help="Answers ImbaChat's site callbacks from a site's GraphQL API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar=CONFIG_ENV_VAR,
        help="The YAML configuration file.",
        show_default=True,
    ),
]
DEFAULT_CONFIG = Path("config.yaml")


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


def _fail(message: str, code: ExitCode) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


# What each command leaves out of the configuration, so that it asks only for the variables
# of the settings it uses: `users` answers no chat request and issues no token; `token` only
# signs (and neither needs the site's own credentials for the signed-in user's page).
_TOKEN_API = ("tokens", "viewer", "graphql", "webhooks", "chat.widget_id")
_CHAT_CREDENTIALS = ("chat.api_login", "chat.api_password")
USERS_UNUSED = (*_TOKEN_API, *_CHAT_CREDENTIALS)
TOKEN_UNUSED = (
    "viewer",
    "graphql",
    "webhooks",
    "chat.widget_id",
    "upstream.headers",
    *_CHAT_CREDENTIALS,
)


_CHECK_HINT = "(`imbachat-adapter check-config` checks it all)"


def _load(config: Path, *, unused: tuple[str, ...] = ()) -> Settings:
    if not config.exists():
        raise _fail(no_configuration(config), ExitCode.INVALID)
    try:
        return load_settings(config, unused=unused)
    except ConfigError as exc:
        raise _fail(f"{exc}\n{_CHECK_HINT}", ExitCode.INVALID) from None


def _quiet_logs(level: str = "warning") -> None:
    """Commands other than `serve` keep stdout for their answer and log only problems."""
    from adapter.logs import configure_logging

    configure_logging(level, json=False)


# --- serve -------------------------------------------------------------------------------------


@app.command()
def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 in a container).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="WEB_CONCURRENCY",
            help="Worker processes. Each has its own upstream pool, memory cache and metrics; "
            "in Kubernetes prefer 1 and more replicas.",
            min=1,
        ),
    ] = 1,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(help="Overrides logging.level from the configuration.", show_default=False),
    ] = None,
    graceful_timeout: Annotated[
        int,
        typer.Option(help="Seconds in-flight requests get to finish after SIGTERM.", min=0),
    ] = 30,
    keep_alive: Annotated[
        int,
        typer.Option(
            help="Seconds an idle client connection stays open: longer than the idle timeout "
            "of the load balancer's or gateway's connection pool in front (DEPLOYING.md).",
            min=1,
        ),
    ] = 65,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="FORWARDED_ALLOW_IPS",
            help="Proxies whose X-Forwarded-* headers are trusted (addresses or networks, "
            "comma-separated); their X-Forwarded-For becomes the client address.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the adapter.

    On SIGTERM (or Ctrl-C) it stops accepting connections, lets in-flight requests finish for up
    to --graceful-timeout seconds, closes the upstream pool and the cache, and exits 0.
    Exits 2 when the configuration is not valid, 4 when the port is in use (or the address
    cannot be listened on).
    """
    import uvicorn

    from adapter.web.slow_headers import HeaderDeadlineProtocol

    try:
        application, level = _served_app(config, log_level.value if log_level else None)
    except ConfigError as exc:
        raise _fail(f"{exc}\n{_CHECK_HINT}", ExitCode.INVALID) from None
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": None,
        "log_level": level,
        "timeout_graceful_shutdown": graceful_timeout,
        "timeout_keep_alive": keep_alive,
        "forwarded_allow_ips": forwarded_allow_ips,
        "server_header": False,
        # uvicorn's httptools protocol bounds neither the time nor the size of a request's head;
        # this one adds both (h11's incomplete-event bound would cost a pure-Python parser).
        "http": HeaderDeadlineProtocol,
        # The adapter writes its own access line; uvicorn's would still format its arguments
        # (the quoted path and query) on every request before finding its logger disabled.
        "access_log": False,
    }
    problem = _listen_problem(host, port)
    if problem is not None:
        raise _fail(problem, ExitCode.ADDRESS)
    # uvicorn shuts down gracefully on SIGTERM or SIGINT and then re-raises the signal; with
    # these handlers in place the re-raised signal is a no-op and a clean shutdown exits 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, lambda *_: None)
    if workers > 1:
        # Each worker process builds its own app from the same file and level.
        os.environ[CONFIG_ENV_VAR] = str(config.resolve())
        os.environ["IMBACHAT__LOGGING__LEVEL"] = level
        uvicorn.run("adapter.cli:app_from_environment", factory=True, workers=workers, **options)
        return
    uvicorn.run(application, **options)


def _served_app(config: Path, level: str | None = None) -> tuple[FastAPI, str]:
    """The app `serve` runs once the start-up check passed, and its logging level (`level`, else
    the file's)."""
    from adapter.app import create_app
    from adapter.checks import startup_files
    from adapter.logs import configure_logging

    # check-config's start-up stages, the same function; the app takes what they loaded.
    loaded = startup_files(config)
    settings = loaded.settings
    level = level or settings.logging.level
    configure_logging(level, json=settings.logging.format == "json")
    application = create_app(loaded)
    # What start-up built (modules, settings, schemas, documents) lives as long as the process:
    # frozen, the cyclic collector's full passes stop walking it for every request's garbage.
    # Requests leave little cyclic garbage: a young pass per 20,000 net allocations (not 700),
    # older ones rarer still, costs a token request 4 % fewer instructions (BENCHMARKS.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)
    return application, level


def app_from_environment() -> FastAPI:
    """For uvicorn's `--factory` worker processes: the app of $IMBACHAT_ADAPTER_CONFIG."""
    return _served_app(Path(os.environ.get(CONFIG_ENV_VAR, "config.yaml")))[0]


def _listen_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on, in one line before uvicorn logs an error per
    worker; None when it can."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As uvicorn binds: a port with connections still closing is not "in use".
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} is in use; set --port, or PORT= for make demo"
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


# --- check-config ------------------------------------------------------------------------------


@app.command("check-config")
def check_config(
    config: ConfigOption = DEFAULT_CONFIG,
    introspect: Annotated[
        bool,
        typer.Option(help="Check the documents and the mapping against the site's schema."),
    ] = True,
    offline: Annotated[
        bool, typer.Option("--offline", help="Contact neither the site nor the cache.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 8 when nothing failed but a check warned.")
    ] = False,
    schema_file: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="Check against the site's schema from this file (SDL or introspection JSON) "
            "instead of introspecting it: for sites with introspection off.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check a configuration before deploying it; exit 0 only when all is well.

    Checks the file, the environment variables it names (by name: values are
    never printed), every setting, the operation documents, the mapping, the
    site (reachable; its schema introspected, or read from --schema; documents
    and mapped fields checked against it) and the cache.

    Exit codes, one per class of problem (the first problem found decides):

    0  all is well
    2  the file cannot be read, is not YAML, or holds an invalid value
    3  an environment variable the file names is not set
    4  an operation document or the mapping is wrong
    5  the site's GraphQL API cannot be reached
    6  a document or the mapping asks for a field the site's schema lacks
    7  the cache does not answer
    8  with --strict: nothing failed, but a check warned (the token API is off, say)
    """
    from adapter.checks import run_checks
    from adapter.errors import InitError
    from adapter.init.introspect import read_schema_file

    schema = None
    if schema_file is not None:
        try:
            schema = read_schema_file(schema_file)
        except InitError as exc:
            raise _fail(f"error: {exc.message}", ExitCode.INVALID) from None
    # The report names every problem; the warnings the stack logs on the way (retries of an
    # unreachable site, a cache failing open) would only say it again, out of order.
    _quiet_logs("error")
    report = asyncio.run(
        run_checks(config, introspect=introspect, connect=not offline, schema=schema)
    )
    if json_output:
        typer.echo(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for line in report.lines():
            typer.echo(line)
    raise typer.Exit(report.strict_exit_code if strict else report.exit_code)


# --- token -------------------------------------------------------------------------------------


@app.command()
def token(
    user_id: Annotated[int, typer.Option("--user-id", help="The site's id of the user.", min=0)],
    config: ConfigOption = DEFAULT_CONFIG,
    ttl: Annotated[
        int | None,
        typer.Option(help="Lifetime in seconds (default: tokens.lifetime_seconds).", min=1),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print token, user_id and expires_at as JSON.")
    ] = False,
) -> None:
    """Print a widget token for a user, as the vendor's PHP sample does.

    The token is what the page passes to ImbaChat.load({user_id, token}). Exits 2 when the
    configuration is not valid or has no `tokens` section.
    """
    from adapter.tokens import widget_token

    settings = _load(config, unused=TOKEN_UNUSED)
    if settings.tokens is None:
        raise _fail(
            f"{config}: no `tokens` section: set tokens.secret_key to the widget's secret key",
            ExitCode.INVALID,
        )
    issued = widget_token(settings.tokens, user_id, ttl=ttl)
    if json_output:
        body = {"token": issued.token, "user_id": issued.user_id, "expires_at": issued.expires_at}
        typer.echo(orjson.dumps(body).decode())
    else:
        typer.echo(issued.token)


# --- users -------------------------------------------------------------------------------------


async def _chat_answer(settings: Settings, raw_ids: str) -> tuple[list[int | str], bytes]:
    """The ids as parsed, and the body the chat's users-info call would get."""
    from adapter.runtime import open_runtime, prepare_runtime
    from adapter.web.ids import parse_ids

    ids = parse_ids(raw_ids, settings.chat.ids)
    # One look-up, no change feed: it would take the deployment's lease for a moment.
    async with open_runtime(replace(prepare_runtime(settings), feed=None)) as runtime:
        return ids, await runtime.directory.lookup_joined(ids)


def _print_users(users: list[ChatUser]) -> None:
    """One small table per user, field by field, so that long values stay whole."""
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    for user in users:
        table = Table("field", "value", title=f"user {user['user_id']}", title_justify="left")
        for key, value in user.items():
            shown = value if isinstance(value, str) else orjson.dumps(value).decode()
            table.add_row(key, shown)
        console.print(table)


@app.command()
def users(
    user_ids: Annotated[
        str, typer.Argument(help="User ids as the chat sends them, e.g. 1,2,3.", show_default=False)
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print exactly the JSON the chat would receive.")
    ] = False,
) -> None:
    """Look users up through the whole pipeline (cache, site, mapping) and show the answer.

    The quickest way to debug a mapping. Exits 2 for an invalid configuration or id, 5 when the
    site fails.
    """
    from adapter.errors import RequestRejected, UpstreamError, UpstreamGraphQLError

    settings = _load(config, unused=USERS_UNUSED)
    _quiet_logs()
    try:
        ids, body = asyncio.run(_chat_answer(settings, user_ids))
    except (ConfigError, RequestRejected) as exc:
        raise _fail(exc.message, ExitCode.INVALID) from None
    except UpstreamError as exc:
        said = exc.site_messages if isinstance(exc, UpstreamGraphQLError) else ()
        shown = "".join(f"\n  the site said: {message}" for message in said)
        raise _fail(f"the site failed: {exc.message}{shown}", ExitCode.UPSTREAM) from None
    if json_output:
        sys.stdout.buffer.write(body + b"\n")
        sys.stdout.flush()
        return
    found: list[ChatUser] = orjson.loads(body)
    _print_users(found)
    missing = [str(i) for i in ids if i not in {user["user_id"] for user in found}]
    typer.echo(
        f"{len(found)} of {len(ids)} found"
        + (f"; unknown: {', '.join(missing)}" if missing else ""),
        err=True,
    )


# --- export-schema -----------------------------------------------------------------------------


@app.command("export-schema")
def export_schema(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Print the adapter's own GraphQL SDL (committed as schema.graphql; a test keeps it true)."""
    from adapter.web.graphql.schema import build_schema

    typer.echo(build_schema(_load(config)).as_str())


# --- init (adapter/init/) ----------------------------------------------------------------------

app.command("init")(init_command)


# --- demo upstream -----------------------------------------------------------------------------


@app.command("demo-upstream")
def demo_upstream(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8100,
    latency: Annotated[
        float, typer.Option(help="Seconds added to every GraphQL request (for tests).", min=0)
    ] = 0.0,
) -> None:
    """Serve the demo site's GraphQL user API on its own (for tests and benchmarks)."""
    import uvicorn

    from adapter.demo import create_demo_upstream_app

    uvicorn.run(create_demo_upstream_app(latency=latency), host=host, port=port, log_level="info")


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
