"""Tokens: `issueChatToken` (jwt viewer mode) vs a bare endpoint signing the same JWT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.processes import ROOT, Service
from bench.report import Row

if TYPE_CHECKING:
    from bench.run import Bench

__all__ = ["token_scenario"]


def available() -> bool:
    """The GraphQL API and the widget tokens exist in this tree."""
    return (ROOT / "adapter" / "web" / "graphql").is_dir() and (
        ROOT / "adapter" / "tokens.py"
    ).is_file()


def token_scenario(bench: Bench, upstream: Service, base: Service) -> list[Row]:
    if not available():
        return [
            Row(
                "tokens (issueChatToken)",
                target=">= 0.5x",
                note="not available: no GraphQL API yet",
            )
        ]
    return [Row("tokens (issueChatToken)", target=">= 0.5x", note="not available")]
