"""Trusted documents: with the switch on, only operations on the SHA-256 allow-list run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from adapter.app import create_app
from adapter.errors import ConfigError
from adapter.web.graphql.trusted import document_hash
from tests.graphql.support import manifest, session_cookie
from tests.support import ROOT, SettingsFactory

Api = Any
CLIENT_DOCUMENTS = ROOT / "adapter" / "web" / "static" / "client" / "documents.js"
TRUSTED = {"graphql": {"trusted_documents": {"enabled": True}}}


def documents_in_the_code() -> list[str]:
    """Every document the client module sends, exactly as sent."""
    return CLIENT_DOCUMENTS.read_text().split("`")[1::2]


def test_the_manifest_lists_exactly_what_the_client_sends() -> None:
    """The shipped manifest holds the SHA-256 of each document the client sends, and no other."""
    expected = {document_hash(text): text for text in documents_in_the_code()}
    assert manifest() == expected, json.dumps(expected, indent=2)


def test_the_stand_in_widget_sends_one_of_the_clients_documents() -> None:
    """The demo's stand-in widget asks chatUsers with the client's own document."""
    widget = (ROOT / "adapter" / "demo" / "static" / "widget.js").read_text()
    match = re.search(r'var CHAT_USERS = (".*?");\n', widget)
    assert match is not None
    assert json.loads(match.group(1)) in documents_in_the_code()


async def test_listed_documents_run(api: Api) -> None:
    """A document on the list runs as usual."""
    widget = next(t for t in manifest().values() if "chatWidget" in t)
    async with api(TRUSTED) as client:
        response = await client.post("/graphql", json={"query": widget}, headers=session_cookie(6))
    assert response.json()["data"]["chatWidget"]["userId"] == "6"


async def test_a_hash_alone_runs_its_document(api: Api) -> None:
    """A request may send only the hash (Apollo's persistedQuery extension)."""
    digest, _ = next((h, t) for h, t in manifest().items() if "issueChatToken" in t)
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    async with api(TRUSTED) as client:
        response = await client.post("/graphql", json=body, headers=session_cookie(6))
    assert response.json()["data"]["issueChatToken"]["userId"] == "6"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ chatWidget { userId } }"}, "UNTRUSTED_DOCUMENT"),
        ({"query": "{ __schema { types { name } } }"}, "UNTRUSTED_DOCUMENT"),
        ({"extensions": {"persistedQuery": {"sha256Hash": "0" * 64}}}, "UNTRUSTED_DOCUMENT"),
        ({"extensions": {"persistedQuery": "nope"}}, "BAD_REQUEST"),
        ({}, "BAD_REQUEST"),
    ],
    ids=["unlisted", "introspection", "unknown-hash", "malformed", "nothing"],
)
async def test_anything_else_is_refused(api: Api, body: dict[str, Any], code: str) -> None:
    """Unlisted documents and unknown hashes are refused with a 400 before parsing."""
    async with api(TRUSTED) as client:
        response = await client.post("/graphql", json=body, headers=session_cookie(6))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        ("{", "not JSON"),
        ("[]", "must be an object"),
        ('{"abc": "{ x }"}', "is not a SHA-256 hex key"),
        (json.dumps({"0" * 64: "{ x }"}), "is not the SHA-256 of its document"),
    ],
)
def test_a_bad_manifest_stops_start_up(
    make_settings: SettingsFactory, tmp_path: Path, content: str | None, problem: str
) -> None:
    """A manifest that is missing, malformed or whose hashes lie stops create_app."""
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    settings = make_settings(
        {"graphql": {"trusted_documents": {"enabled": True, "manifest": str(path)}}}
    )
    with pytest.raises(ConfigError, match=problem):
        create_app(settings)


def test_prefixed_hashes_are_accepted(make_settings: SettingsFactory, tmp_path: Path) -> None:
    """Keys may carry a `sha256:` prefix, as some manifest generators write them."""
    text = "{ chatWidget { userId } }"
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({f"sha256:{document_hash(text)}": text}))
    settings = make_settings(
        {"graphql": {"trusted_documents": {"enabled": True, "manifest": str(path)}}}
    )
    create_app(settings)
