"""Helpers for the operation tests: the demo site's schema, documents written for a test."""

from __future__ import annotations

from pathlib import Path

from adapter.demo.schema import build_schema

DEMO_SCHEMA = build_schema()._schema


def document(tmp_path: Path, text: str, name: str = "doc.graphql") -> str:
    """Write `text` as `tmp_path/name`; its path, as a configuration names a document."""
    path = tmp_path / name
    path.write_text(text)
    return str(path)
