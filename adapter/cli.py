"""The `imbachat-adapter` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from adapter.config import CONFIG_ENV_VAR, Settings, load_settings
from adapter.errors import ConfigError

__all__ = ["app", "main"]

app = typer.Typer(
    name="imbachat-adapter",
    help="Answers ImbaChat's site callbacks from a site's GraphQL API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CONFIG = 2

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


def _load(config: Path) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CONFIG) from None


@app.command()
def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the adapter (uvicorn; SIGTERM lets in-flight requests finish)."""
    import uvicorn

    from adapter.app import create_app
    from adapter.logs import configure_logging

    settings = _load(config)
    configure_logging(log_level)
    try:
        application = create_app(settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    if workers > 1:
        # Each worker process builds its own app from the same file.
        os.environ[CONFIG_ENV_VAR] = str(config.resolve())
        uvicorn.run(
            "adapter.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            timeout_graceful_shutdown=30,
        )
        return
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=None,
        timeout_graceful_shutdown=30,
        server_header=False,
    )


@app.command("demo-upstream")
def demo_upstream(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8100,
) -> None:
    """Serve the demo site's GraphQL user API on its own (for tests and benchmarks)."""
    from adapter.demo.app import serve_demo_upstream

    serve_demo_upstream(host, port)


@app.command("check-config")
def check_config(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Validate the configuration and the operation documents; exit 0 when all is well."""
    from adapter.app import create_app

    settings = _load(config)
    try:
        create_app(settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_CONFIG) from None
    typer.echo(f"{config}: ok")


def main() -> None:
    """Console-script entry point."""
    sys.exit(app())
