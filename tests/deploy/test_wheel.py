"""A built wheel works on its own: installed into a fresh venv, with no clone beside it, `init`
writes a configuration for the demo site from an empty folder and `serve` answers with the
GraphiQL page, the browser client module and the files the package ships."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers import DemoUpstream, ServerExited, spawn_on_free_port, stop_process
from tests.support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# What a wheel is built from (the Dockerfile copies the same).
_SOURCES = ("pyproject.toml", "README.md", "adapter")
_SECRETS = {
    "IMBACHAT_API_LOGIN": "wheel-test-login",
    "IMBACHAT_API_PASSWORD": "wheel-test-password",
    "IMBACHAT_SECRET_KEY": "wheel-test-widget-secret-key-0123456789abcdef",
    "IMBACHAT_WIDGET_ID": "wheel-test",
}


@dataclass
class Installed:
    wheel: Path
    venv: Path

    @property
    def command(self) -> str:
        return str(self.venv / "bin" / "imbachat-adapter")


def _run(argv: list[str], *, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        argv, capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False, env=_env()
    )
    assert result.returncode == 0, f"{argv}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def _env(**extra: str) -> dict[str, str]:
    """This environment without the adapter's variables and without this venv on any path."""
    dropped = ("IMBACHAT", "REDIS_", "OTEL_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    return {**env, **extra}


def _installed_dependencies(work: Path) -> Path:
    """A folder of links to what this venv has installed, but the adapter's editable install."""
    folder = work / "dependencies"
    folder.mkdir()
    ours = ("imbachat_adapter", "__editable__", "__pycache__")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(ours) and entry.suffix != ".pth":
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel built from a copy of the package's sources, installed into a new venv.

    The venv sees the dependencies this one has installed (the versions constraints.txt pins)
    through a .pth file rather than installing them again (a minute and a half of the suite);
    `pip check` then proves that the wheel's declared requirements are all met by them.
    """
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in _SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    # "./source", not "source": a bare name is a project on the index. No build isolation: the
    # build backend is this venv's (a dev extra), not one fetched from the index each run.
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work / "dist")]
    _run([*build, "./source"], cwd=work)
    (wheel,) = (work / "dist").glob("imbachat_adapter-*.whl")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=work)
    python = str(venv / "bin/python")
    site_packages = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work
    )
    dependencies = _installed_dependencies(work)
    (Path(site_packages.stdout.strip()) / "dependencies.pth").write_text(f"{dependencies}\n")
    _run(
        [*pip, "--python", python, "install", "-q", "--no-deps", "--no-index", str(wheel)], cwd=work
    )
    _run([*pip, "--python", python, "check"], cwd=work)
    return Installed(wheel, venv)


def test_the_wheel_holds_every_file_the_package_has(installed: Installed) -> None:
    """Every file under adapter/ (GraphiQL's build, the client module, the demo's pages, py.typed)
    is in the wheel."""
    with zipfile.ZipFile(installed.wheel) as archive:
        packed = set(archive.namelist())
    expected = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "adapter").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "adapter/web/static/client/imbachat.js" in expected
    assert expected - packed == set()


def test_the_package_runs_from_the_venv_not_the_clone(installed: Installed, tmp_path: Path) -> None:
    """From an empty folder the venv's python imports the adapter from its site-packages."""
    result = _run(
        [str(installed.venv / "bin/python"), "-c", "import adapter; print(adapter.__file__)"],
        cwd=tmp_path,
    )
    location = Path(result.stdout.strip())
    assert location.is_relative_to(installed.venv)
    assert not location.is_relative_to(ROOT)


def test_init_then_serve_from_an_empty_folder(
    installed: Installed, demo_upstream: DemoUpstream, tmp_path: Path
) -> None:
    """`init --yes` against the demo site writes a configuration that `serve` runs; its users-info
    answer, GraphiQL (page and build) and the client module are served from the wheel."""
    done = _run(
        [installed.command, "init", "--upstream", demo_upstream.graphql_url, "--yes"], cwd=tmp_path
    )
    assert (tmp_path / "config.yaml").is_file(), done.stdout
    # The variables serve needs are the ones .env.example asks for.
    asked = (tmp_path / ".env.example").read_text()
    assert all(f"\n{name}=\n" in asked for name in _SECRETS), asked
    env = _env(**_SECRETS, IMBACHAT__GRAPHQL__GRAPHIQL="true")
    log = tmp_path / "serve.log"
    try:
        with log.open("wb") as sink:
            process, port = spawn_on_free_port(
                lambda port: [installed.command, "serve", "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stderr=sink,
            )
    except ServerExited:
        pytest.fail(f"serve exited: {log.read_text()[-2000:]}")
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            users = http.get(
                "/imbachat/v1/users?user_ids=1,2",
                auth=(_SECRETS["IMBACHAT_API_LOGIN"], _SECRETS["IMBACHAT_API_PASSWORD"]),
            )
            page = http.get("/graphql", headers={"Accept": "text/html"})
            build = http.get("/graphql/graphiql/graphiql.min.js")
            module = http.get("/graphql/client/imbachat.js")
            types = http.get("/graphql/client/imbachat.d.ts")
    finally:
        stop_process(process)
    assert users.status_code == 200, log.read_text()[-2000:]
    assert [user["user_id"] for user in users.json()] == [1, 2]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/graphql/graphiql/graphiql.min.js" in page.text
    assert build.status_code == 200
    assert build.content == (ROOT / "adapter/web/static/graphiql/graphiql.min.js").read_bytes()
    assert module.status_code == 200
    assert module.content == (ROOT / "adapter/web/static/client/imbachat.js").read_bytes()
    assert types.status_code == 200


def test_serve_with_no_configuration_says_how_to_get_one(
    installed: Installed, tmp_path: Path
) -> None:
    """In an empty folder `serve` exits 2, naming where it looked and the `init` that writes one."""
    result = subprocess.run(
        [installed.command, "serve"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert str(tmp_path / "config.yaml") in result.stderr
    assert "imbachat-adapter init --upstream" in result.stderr
    assert "Traceback" not in result.stderr
