"""The `init` command's refusals and failures, through the command line."""

from __future__ import annotations

from pathlib import Path

from tests.init.schemas import RELAY_TOKEN, CountingSite, product_site
from tests.init.support import InitRunner, SiteServer
from tests.servers import DemoUpstream, refused_port


def test_refuses_to_overwrite_config(
    run_init: InitRunner, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """An existing config.yaml is left alone without --force, before the site is even asked."""
    (tmp_path / "config.yaml").write_text("# mine\n")
    done = run_init("--upstream", demo_upstream.graphql_url, "--yes")
    assert done.returncode == 2
    assert "not overwriting" in done.stderr
    assert "--force" in done.stderr
    assert (tmp_path / "config.yaml").read_text() == "# mine\n"
    assert demo_upstream.requests() == 0


def test_refuses_to_overwrite_a_document(
    run_init: InitRunner, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """An existing operation document stops the whole write: no file is written at all."""
    (tmp_path / "resolvers").mkdir()
    (tmp_path / "resolvers/users.graphql").write_text("# mine\n")
    done = run_init("--upstream", demo_upstream.graphql_url, "--yes")
    assert done.returncode == 2
    assert "resolvers/users.graphql" in done.stderr
    assert not (tmp_path / "config.yaml").exists()
    assert (tmp_path / "resolvers/users.graphql").read_text() == "# mine\n"


def test_force_overwrites(
    run_init: InitRunner, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """With --force the files are replaced and the new configuration works."""
    (tmp_path / "config.yaml").write_text("# mine\n")
    done = run_init("--upstream", demo_upstream.graphql_url, "--yes", "--force")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "written by `imbachat-adapter init`" in (tmp_path / "config.yaml").read_text()
    assert "No terminal attached: taking every guess" not in done.stdout


def test_unreachable_upstream(run_init: InitRunner, tmp_path: Path) -> None:
    """A site nobody answers for gives one clear line, exit 1, no traceback and no files."""
    url = f"http://127.0.0.1:{refused_port()}/graphql"
    done = run_init("--upstream", url, "--yes")
    assert done.returncode == 1
    assert f"cannot connect to {url}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []


def test_schema_without_users(run_init: InitRunner, serve_site: SiteServer) -> None:
    """A schema with no user-like type is explained: what was looked for, and what is there."""
    done = run_init("--upstream", serve_site(product_site()), "--yes")
    assert done.returncode == 1
    assert "found no user-like type" in done.stderr
    assert "object types: Product" in done.stderr
    assert "Traceback" not in done.stderr


def test_site_wanting_credentials(
    run_init: InitRunner, serve_site: SiteServer, relay: CountingSite
) -> None:
    """A 401 says the site wants credentials and how to give them."""
    done = run_init("--upstream", serve_site(relay), "--yes")
    assert done.returncode == 1
    assert "answered HTTP 401" in done.stderr
    assert "--header" in done.stderr


def test_malformed_header_hides_its_value(run_init: InitRunner) -> None:
    """A header without a colon is a usage error whose message does not repeat the value."""
    done = run_init("--upstream", "http://127.0.0.1:9/graphql", "-H", f"Bearer {RELAY_TOKEN}")
    assert done.returncode == 2
    assert "Name: value" in done.stderr
    assert RELAY_TOKEN not in done.stderr + done.stdout
