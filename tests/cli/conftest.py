"""In-process command runs change the process's logging; every test gets it back as it was."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    """A typer runner; root logging and structlog are restored after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    yield CliRunner()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """SIGTERM and SIGINT handlers as they were before the test (`serve` installs its own)."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
