"""The suite's npm tools (scripts/npm/<name>), installed by scripts/ensure-npm into a cache,
and the servers node runs from them."""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import stop_process
from tests.support import ROOT

ENSURE = ROOT / "scripts" / "ensure-npm"
# How long a node server may take to say it listens (minutes on a busy two-core machine).
START_SECONDS = 120.0


def npm_tool(name: str, *, timeout: float = 600) -> Path:
    """The folder of the installed tool, or a skip naming why it cannot be installed.

    `timeout` bounds a cold install (the interop matrix's CMSs compile for half an hour on a
    busy two-core machine)."""
    result = subprocess.run(
        [str(ENSURE), name], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"scripts/ensure-npm {name} failed: {result.stderr.strip()[-300:]}")
    return Path(result.stdout.strip().splitlines()[-1])


@dataclass
class NodeServer:
    """A third-party server run by node: the GraphQL URL it printed and its process."""

    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop it by its pid and close its pipe."""
        stop_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def post(
        self, query: str, *, cookie: str | None = None, statuses: tuple[int, ...] = (200,)
    ) -> dict[str, Any]:
        """One operation, as a page's server-side call sends it; the answer's status is one of
        `statuses`."""
        headers = {"Cookie": cookie} if cookie else {}
        response = httpx.post(self.url, json={"query": query}, headers=headers, timeout=30)
        assert response.status_code in statuses, response.text
        body: dict[str, Any] = response.json()
        return body


def start_node(
    folder: Path,
    script: str,
    *args: str,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> NodeServer:
    """Start `node script args` in `folder`; it prints {"url": ...} once it listens."""
    with log.open("wb") as errors:
        process = subprocess.Popen(
            ["node", script, *args],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=errors,
            env={**os.environ, **(env or {})},
        )
    assert process.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([process.stdout], [], [], left)
        line = process.stdout.readline() if ready else b""
        if not line:
            break
        if line.startswith(b"{"):
            return NodeServer(json.loads(line)["url"], process)
    NodeServer("", process).stop()
    raise RuntimeError(f"{script} did not start: {log.read_text(errors='replace')[-2000:]}")
