"""In-process command runs change the process's logging; every test gets it back as it was."""

from __future__ import annotations

import logging
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
