"""The processes a benchmark measures: each started on its own loopback port and stopped after."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["ROOT", "Service", "free_port", "peak_rss_mb", "start_service"]

ROOT = Path(__file__).resolve().parent.parent
_START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


@dataclass
class Service:
    """One started process and where it listens."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    peak_rss: float = field(default=0.0)
    group: bool = False  # started in a session of its own; stopped as a process group

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sample_rss(self) -> float:
        """Peak RSS so far (kept after the process is gone)."""
        with contextlib.suppress(OSError):
            self.peak_rss = max(self.peak_rss, peak_rss_mb(self.process.pid))
        return self.peak_rss

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.sample_rss()
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        if self.group:
            # Workers the server forked (PHP's built-in server) outlive their parent otherwise.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, number)
        else:
            self.process.send_signal(number)


def start_service(
    name: str,
    argv: Sequence[str],
    *,
    port: int,
    ready_path: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    executable: str = sys.executable,
    group: bool = False,
    start_seconds: float = _START_TIMEOUT,
) -> Service:
    """Start `argv` (a Python module command line, unless another `executable` is given) and
    wait until `ready_path` answers."""
    log = log_dir / f"{name}.log"
    environ = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [executable, *argv],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=group,
        )
    service = Service(name, port, process, log, group=group)
    deadline = time.monotonic() + start_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(service.url + ready_path, timeout=1).status_code < 500:
                return service
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"{name} did not answer on {service.url}{ready_path}; see {log}")
