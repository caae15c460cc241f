"""The interop matrix's driver: a real site on loopback, configured by `init --yes` alone.

Each matrix entry starts a third-party server installed by the project's scripts, seeded with the
20 members of `MEMBERS`, then drives it as a site owner would: `imbachat-adapter init --yes`
through the CLI, the chat's users-info call for 15 ids in a scrambled order served from the
written config (all 15 back, in order, with the right names), and, where the site has a session,
a widget token for a member signed in on the site.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml

from adapter.app import create_app
from adapter.config import load_settings
from tests.commands import environment
from tests.npm import NodeServer, start_node
from tests.servers import ADAPTER_COMMAND
from tests.support import asgi_client, verify_widget_token

__all__ = [
    "ALL_VARIABLE",
    "MEMBERS",
    "SCRAMBLED",
    "Configured",
    "NodeServer",
    "SignedIn",
    "check_config",
    "check_token",
    "check_users",
    "init_site",
    "package_version",
    "record",
    "require_all",
    "run_init",
    "site_post",
    "start_node",
    "tutorial_sign_in",
]

# The seeded members (scripts/npm/sites/users.mjs seeds the same): id -> the name the chat shows.
_NAMES = (
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Frances Allen",
    "John McCarthy",
    "Margaret Hamilton",
    "Dennis Ritchie",
    "Radia Perlman",
    "Ken Thompson",
    "Hedy Lamarr",
    "Tim Berners-Lee",
    "Karen Spärck Jones",
    "Niklaus Wirth",
    "Sophie Wilson",
    "Linus Torvalds",
    "Shafi Goldwasser",
    "Guido van Rossum",
)
MEMBERS = dict(enumerate(_NAMES, 1))
# 15 of the 20, in an order no site stores them in.
SCRAMBLED = (14, 3, 20, 7, 1, 18, 11, 5, 16, 9, 2, 13, 19, 6, 10)

# `make interop` sets it: the entries whose server installs in minutes run only then.
ALL_VARIABLE = "IMBACHAT_INTEROP_ALL"
# Where set, each entry appends its matrix row (one JSON object a line) to this file.
REPORT_VARIABLE = "IMBACHAT_INTEROP_REPORT"

# What the operator sets before serving the config init wrote (never the vendor's samples).
CHAT_LOGIN = "interop-chat"
CHAT_PASSWORD = "interop-chat-password-not-a-sample"
OPERATOR = {
    "IMBACHAT_API_LOGIN": CHAT_LOGIN,
    "IMBACHAT_API_PASSWORD": CHAT_PASSWORD,
    "IMBACHAT_SECRET_KEY": "interop-widget-secret-key-0123456789abcdef",
    "IMBACHAT_WIDGET_ID": "widget-interop",
}
ISSUE = "mutation { issueChatToken { token userId } }"


def require_all(family: str) -> None:
    """Skip an entry whose server installs in minutes, unless `make interop` asked for all."""
    if os.environ.get(ALL_VARIABLE) != "1":
        pytest.skip(f"{family} installs in minutes: `make interop` runs it")


def package_version(folder: Path, package: str) -> str:
    """The version of an npm package installed in `folder`."""
    manifest = folder / "node_modules" / package / "package.json"
    version: str = json.loads(manifest.read_text())["version"]
    return version


@dataclass(frozen=True)
class Configured:
    """What `init --yes` wrote and said."""

    directory: Path
    stdout: str
    config: dict[str, Any] = field(repr=False)

    @property
    def path(self) -> Path:
        return self.directory / "config.yaml"

    @property
    def fetcher(self) -> str:
        """The field init chose to fetch users with, as it printed it (the `*` line)."""
        return next(
            line.strip()[2:].partition("]: ")[0] + "]"
            for line in self.stdout.splitlines()
            if line.strip().startswith("* ")
        )

    @property
    def viewer_mode(self) -> str | None:
        viewer = self.config.get("viewer")
        return None if viewer is None else str(viewer["mode"])


def run_init(
    url: str, directory: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `imbachat-adapter init --upstream URL --yes --output DIRECTORY ARGS` to completion."""
    directory.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*ADAPTER_COMMAND, "init", "--upstream", url, "--yes", "--output", str(directory), *args],
        cwd=directory,
        env=environment(**(env or {})),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def init_site(
    url: str, directory: Path, *args: str, env: Mapping[str, str] | None = None
) -> Configured:
    """Run `init --yes` as a site owner would; it must pass, and its files are read back."""
    done = run_init(url, directory, *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load((directory / "config.yaml").read_text())
    return Configured(directory, done.stdout, config)


def check_config(configured: Configured, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `imbachat-adapter check-config` on the written file, as the operator would."""
    return subprocess.run(
        [*ADAPTER_COMMAND, "check-config", "--config", str(configured.path), *args],
        cwd=configured.directory,
        env=environment(**OPERATOR),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _environ(extra: Mapping[str, str] | None) -> dict[str, str]:
    return {**OPERATOR, **(extra or {})}


async def check_users(
    configured: Configured,
    members: Mapping[Any, str] = MEMBERS,
    ids: Sequence[int | str] = SCRAMBLED,
    environ: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The chat's users-info answer for `ids`: every one back, in order, with its name."""
    settings = load_settings(configured.path, environ=_environ(environ))
    async with asgi_client(create_app(settings)) as client:
        response = await client.get(
            "/imbachat/v1/users",
            params={"user_ids": ",".join(str(i) for i in ids)},
            auth=(CHAT_LOGIN, CHAT_PASSWORD),
        )
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = orjson.loads(response.content)
    got = [(user["user_id"], user["name"]) for user in answer]
    expected = [(number, members[number]) for number in ids]
    assert got == expected, f"the chat got {got}, not {expected}"
    return answer


@dataclass(frozen=True)
class SignedIn:
    """A member signed in on the site: what their page's requests carry."""

    user_id: int
    headers: Mapping[str, str]


async def check_token(
    configured: Configured, viewer: SignedIn, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """issueChatToken for the signed-in member: a widget token carrying their user id."""
    settings = load_settings(configured.path, environ=_environ(environ))
    assert settings.tokens is not None, "init left the token API off"
    async with asgi_client(create_app(settings)) as client:
        anonymous = await client.post("/graphql", json={"query": ISSUE})
        response = await client.post("/graphql", json={"query": ISSUE}, headers=viewer.headers)
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    issued: dict[str, Any] = body["data"]["issueChatToken"]
    assert issued["userId"] == str(viewer.user_id)
    claims = verify_widget_token(settings.tokens, issued["token"])
    assert claims["user_id"] == viewer.user_id
    return claims


TUTORIAL_LOGIN = """mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"""


def tutorial_sign_in(url: str, number: int) -> SignedIn:
    """Sign member `number` in on a tutorial-schema site (scripts/npm/sites: yoga, Apollo); the
    page then sends the bearer token it got."""
    variables = {"email": f"user{number}@example.org", "password": "demo"}
    token = site_post(url, TUTORIAL_LOGIN, variables).json()["data"]["login"]["token"]
    return SignedIn(number, {"Authorization": f"Bearer {token}"})


def site_post(url: str, query: str, variables: Mapping[str, Any] | None = None) -> httpx.Response:
    """One GraphQL request to the site itself, as its own pages send them."""
    response = httpx.post(url, json={"query": query, "variables": dict(variables or {})})
    response.raise_for_status()
    return response


def record(family: str, version: str, configured: Configured, result: str) -> None:
    """Append this entry's matrix row to the report file `make interop` names, if any."""
    report = os.environ.get(REPORT_VARIABLE)
    if not report:
        return
    row = {
        "family": family,
        "version": version,
        "fetcher": configured.fetcher,
        "chat_ids": configured.config["chat"].get("ids", {}).get("type", "int"),
        "viewer": configured.viewer_mode,
        "result": result,
    }
    with Path(report).open("a") as out:
        out.write(json.dumps(row) + "\n")
