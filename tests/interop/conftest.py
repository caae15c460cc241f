"""Fixtures for the interop matrix: the light sites' npm folder (scripts/ensure-npm sites)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.npm import npm_tool


@pytest.fixture(scope="session")
def light_sites() -> Path:
    """graphql-yoga and Apollo Server with the seeded members (scripts/npm/sites), installed."""
    return npm_tool("sites")
