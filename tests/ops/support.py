"""The adapter served by its own command, as a process."""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.commands import environment
from tests.servers import ADAPTER_COMMAND, spawn_on_free_port

__all__ = ["Served", "serve"]


@dataclass
class Served:
    """`python -m adapter serve` running on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return the exit code and everything it wrote to stderr."""
        self.process.terminate()
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return code, self.stderr.read_text()


_SERVED = itertools.count()


def serve(config: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start `serve` with `config` (stderr to a file beside it) and wait until it listens."""
    stderr = config.with_name(f"serve-{next(_SERVED)}.log")
    with stderr.open("wb") as sink:
        process, port = spawn_on_free_port(
            lambda port: [*ADAPTER_COMMAND, "serve", "-c", str(config), "--port", str(port), *args],
            stderr=sink,
            env=env if env is not None else environment(),
        )
    return Served(process, port, stderr)
