"""Trusted documents: only operations on an allow-list of SHA-256 hashes are executed.

The manifest is a JSON object mapping the SHA-256 of each document's exact text (lowercase hex,
optionally prefixed `sha256:`) to that text, as GraphQL Codegen's persisted documents are. A
request may send the text itself (its hash must be listed) or only the hash, as Apollo's
persisted queries do: `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": ...}}}`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from adapter.errors import ConfigError
from adapter.web.graphql.errors import RequestRefused

__all__ = ["TrustedDocuments", "document_hash"]

_HASH = re.compile(r"^[0-9a-f]{64}$")


def document_hash(text: str) -> str:
    """The lowercase hex SHA-256 of a document's exact UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


class TrustedDocuments:
    """The allow-list; `resolve` gives the document to run or refuses the request."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self.documents = dict(documents)

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        where = f"graphql.trusted_documents.manifest ({path.absolute()})"
        try:
            data = orjson.loads(path.read_bytes())
        except OSError as exc:
            raise ConfigError([f"{where}: cannot read: {exc.strerror}"]) from None
        except orjson.JSONDecodeError:
            raise ConfigError([f"{where}: not JSON"]) from None
        if not isinstance(data, dict):
            raise ConfigError([f"{where}: must be an object of hash -> document"])
        documents: dict[str, str] = {}
        problems: list[str] = []
        for key, text in data.items():
            digest = key.removeprefix("sha256:")
            if not _HASH.match(digest) or not isinstance(text, str):
                problems.append(f"{where}: {key[:80]!r} is not a SHA-256 hex key of a document")
            elif document_hash(text) != digest:
                problems.append(f"{where}: {key!r} is not the SHA-256 of its document")
            else:
                documents[digest] = text
        if problems:
            raise ConfigError(problems)
        return cls(documents)

    def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> str:
        """The trusted document this request runs."""
        if query is not None:
            if document_hash(query) in self.documents:
                return query
            raise RequestRefused(
                "this operation is not on the trusted documents list", "UNTRUSTED_DOCUMENT"
            )
        persisted = (extensions or {}).get("persistedQuery")
        digest = persisted.get("sha256Hash") if isinstance(persisted, Mapping) else None
        if isinstance(digest, str):
            document = self.documents.get(digest.removeprefix("sha256:"))
            if document is not None:
                return document
            raise RequestRefused("no trusted document has this hash", "UNTRUSTED_DOCUMENT")
        raise RequestRefused("no GraphQL document in the request")
