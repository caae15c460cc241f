"""With the site down, `users` says so in readable lines: no retry internals."""

from __future__ import annotations

from pathlib import Path

from tests.commands import cli, real_site, write_config
from tests.servers import refused_port


def test_users_with_the_site_down_prints_one_line_per_failed_call(tmp_path: Path) -> None:
    """One `upstream_call_failed` line with the cause and attempts, and none of stamina's."""
    url = f"http://127.0.0.1:{refused_port()}/graphql"
    result = cli("users", "1", "--config", str(write_config(tmp_path, real_site(url))))
    assert result.returncode == 5
    lines = result.stderr.strip().splitlines()
    failed = [line for line in lines if "upstream_call_failed" in line]
    assert len(failed) == 1, result.stderr
    assert "attempts=3" in failed[0]
    assert "cannot be reached (ConnectError)" in failed[0]
    for internal in ("callable=", "<context block>", "kwargs=", "stamina", "Traceback"):
        assert internal not in result.stderr
