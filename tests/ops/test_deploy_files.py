"""docker/: the Dockerfile, compose.yaml and the Kubernetes manifests parse and agree with the code
on the image, the port, the probes and the environment variable names."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from adapter.app import create_app
from adapter.cli import app as cli_app
from adapter.config import (
    CONFIG_ENV_VAR,
    OVERRIDE_PREFIX,
    Settings,
    interpolate,
    load_settings,
    sample_value_problems,
)
from tests.commands import cli, environment
from tests.support import ROOT, SettingsFactory, asgi_client, reference_data

DOCKER = ROOT / "docker"
K8S = DOCKER / "k8s"
PORT = 8000
LIVENESS, READINESS = "/healthz", "/readyz"
SECRET_WORDS = ("PASSWORD", "SECRET", "LOGIN", "TOKEN", "REDIS_URL")


def k8s_documents() -> dict[tuple[str, str], dict[str, Any]]:
    """Every Kubernetes object in docker/k8s, by kind and name."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return data


def adapter_container() -> dict[str, Any]:
    deployment = k8s_documents()[("Deployment", "imbachat-adapter")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def final_stage(dockerfile: str) -> str:
    return re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)[-1]


def image() -> str:
    """The image name and tag the files must use: the package's name and version."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return f"{project['name']}:{project['version']}"


def cli_envvars() -> set[str]:
    """Environment variables the command line reads (its options' envvar names)."""
    commands: dict[str, Any] = getattr(typer.main.get_command(cli_app), "commands", {})
    assert commands
    names: set[str] = set()
    for command in commands.values():
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            names.update([envvar] if isinstance(envvar, str) else envvar or [])
    return names


def override_exists(name: str) -> bool:
    """`IMBACHAT__SECTION__KEY` names a setting of the Settings model."""
    model: Any = Settings
    for part in name.removeprefix(OVERRIDE_PREFIX).lower().split("__"):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return False
        annotation = fields[part].annotation
        model = next(
            (
                arg
                for arg in getattr(annotation, "__args__", (annotation,))
                if hasattr(arg, "model_fields")
            ),
            annotation,
        )
    return True


def references(data: Any) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    interpolate(data, {}, [], names=names)
    return names


def test_every_file_parses_and_kustomization_lists_them() -> None:
    """compose.yaml and every manifest are YAML with a kind and a name; kustomize applies them."""
    assert set(compose()["services"]) == {"adapter", "demo-upstream", "redis"}
    kinds = {kind for kind, _ in k8s_documents()}
    assert {"Deployment", "Service", "ConfigMap", "Secret"} <= kinds
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    on_disk = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk


def test_one_image_everywhere() -> None:
    """compose and the Deployment run the image named after the package and its version."""
    services = compose()["services"]
    assert services["adapter"]["image"] == image()
    assert services["demo-upstream"]["image"] == image()
    assert adapter_container()["image"] == image()
    assert services["adapter"]["build"]["dockerfile"] == "docker/Dockerfile"


def test_one_port_everywhere() -> None:
    """The Dockerfile, compose, the Deployment and the Service all use the serving port."""
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert f"EXPOSE {PORT}" in dockerfile
    assert f'"--port", "{PORT}"' in final_stage(dockerfile)
    adapter = compose()["services"]["adapter"]
    assert adapter["ports"] == [f"{PORT}:{PORT}"]
    assert adapter["command"][adapter["command"].index("--port") + 1] == str(PORT)
    container = adapter_container()
    assert container["ports"] == [{"name": "http", "containerPort": PORT}]
    assert f"--port={PORT}" in container["args"]
    service = k8s_documents()[("Service", "imbachat-adapter")]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    deployment = k8s_documents()[("Deployment", "imbachat-adapter")]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(PORT)


async def test_probes_are_the_apps_health_routes(make_settings: SettingsFactory) -> None:
    """The probes in the Dockerfile and the Deployment are routes the app answers with 200."""
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert f"http://127.0.0.1:{PORT}{LIVENESS}" in final_stage(dockerfile)
    container = adapter_container()
    assert container["livenessProbe"]["httpGet"] == {"path": LIVENESS, "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": READINESS, "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == LIVENESS
    deployment = k8s_documents()[("Deployment", "imbachat-adapter")]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    async with asgi_client(create_app(make_settings())) as client:
        for path in (LIVENESS, READINESS, annotations["prometheus.io/path"]):
            assert (await client.get(path)).status_code == 200, path


def test_graceful_shutdown_fits_the_grace_period() -> None:
    """Kubernetes waits longer than preStop plus serve's graceful timeout before killing."""
    container = adapter_container()
    graceful = next(int(a.split("=")[1]) for a in container["args"] if "graceful-timeout" in a)
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    pod = k8s_documents()[("Deployment", "imbachat-adapter")]["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > graceful + pre_stop


def test_compose_environment_is_what_the_code_reads() -> None:
    """Every variable compose sets is read by config.yaml, the CLI, or overrides a setting."""
    known = set(references(reference_data())) | cli_envvars() | {CONFIG_ENV_VAR}
    for service in ("adapter",):
        for name in compose()["services"][service]["environment"]:
            assert name in known or override_exists(name), name


def test_compose_points_the_adapter_at_its_services() -> None:
    """With compose's environment the reference config asks the demo service and shares Redis."""
    services = compose()["services"]
    environ = {
        name: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for name, value in services["adapter"]["environment"].items()
    }
    settings = load_settings(ROOT / "config.yaml", environ=environ)
    demo = services["demo-upstream"]["command"]
    port = demo[demo.index("--port") + 1]
    assert settings.upstream.url == f"http://demo-upstream:{port}/graphql"
    assert settings.cache.backend == "redis"
    assert settings.cache.redis.url.get_secret_value().startswith("redis://redis:6379/")
    assert services["adapter"]["depends_on"].keys() == {"redis", "demo-upstream"}
    assert sample_value_problems(settings) == []  # a separate site: no sample secrets


def materialize(configmap: dict[str, Any], volume: dict[str, Any], into: Path) -> Path:
    """Write the ConfigMap's items where the Deployment mounts them; the config file's path."""
    for item in volume["configMap"]["items"]:
        target = into / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(configmap["data"][item["key"]])
    return into / "config.yaml"


def k8s_environment() -> tuple[dict[str, str], dict[str, str]]:
    """The Deployment's plain variables and the Secret's, as the container gets them."""
    plain = {e["name"]: e["value"] for e in adapter_container()["env"]}
    secret = k8s_documents()[("Secret", "imbachat-adapter-secrets")]["stringData"]
    return plain, secret


def test_k8s_variables_are_what_the_code_reads() -> None:
    """The Deployment provides every variable its config needs, secrets only from the Secret."""
    configmap = k8s_documents()[("ConfigMap", "imbachat-adapter-config")]
    needed = references(yaml.safe_load(configmap["data"]["config.yaml"]))
    plain, secret = k8s_environment()
    known = set(needed) | cli_envvars() | {CONFIG_ENV_VAR}
    for name in [*plain, *secret]:
        assert name in known or override_exists(name), name
    for name, default in needed.items():
        if default is None:
            assert name in plain or name in secret, f"{name} is not provided"
    for name in plain:
        assert not any(word in name for word in SECRET_WORDS), f"{name} belongs in the Secret"
    assert plain[CONFIG_ENV_VAR] == "/etc/imbachat-adapter/config.yaml"


def test_k8s_configuration_passes_check_config_once_the_placeholders_are_filled(
    tmp_path: Path,
) -> None:
    """The ConfigMap as mounted fails `check-config` on each `REPLACE-` value, then passes."""
    configmap = k8s_documents()[("ConfigMap", "imbachat-adapter-config")]
    pod = k8s_documents()[("Deployment", "imbachat-adapter")]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    mount = next(m for m in adapter_container()["volumeMounts"] if m["name"] == "config")
    plain, secret = k8s_environment()
    assert Path(plain[CONFIG_ENV_VAR]).parent == Path(mount["mountPath"])
    config = materialize(configmap, volume, tmp_path)
    as_shipped = cli(
        "check-config",
        "--offline",
        env=environment(**{**plain, **secret, CONFIG_ENV_VAR: str(config)}),
    )
    assert as_shipped.returncode == 2, as_shipped.stdout + as_shipped.stderr
    for setting in ("chat.api_login", "chat.api_password", "chat.widget_id", "tokens.secret_key"):
        assert f"{setting}: is a placeholder" in as_shipped.stdout
    filled = {
        name: value.replace("REPLACE-", "filled-in-") for name, value in {**plain, **secret}.items()
    }
    result = cli(
        "check-config", "--offline", env=environment(**{**filled, CONFIG_ENV_VAR: str(config)})
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_k8s_documents_are_the_repositorys() -> None:
    """The documents in the ConfigMap are the repository's, so they change together."""
    data = k8s_documents()[("ConfigMap", "imbachat-adapter-config")]["data"]
    assert data["users.graphql"] == (ROOT / "resolvers/users.graphql").read_text()
    assert data["viewer.graphql"] == (ROOT / "resolvers/viewer.graphql").read_text()
    manifest = (ROOT / "examples/spa/trusted-documents.json").read_text()
    assert data["trusted-documents.json"].strip() == manifest.strip()


def dockerfile_copies(dockerfile: str) -> Iterator[str]:
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            yield from line.split()[1:-1]


def test_dockerfile_is_multi_stage_slim_and_unprivileged() -> None:
    """Two stages on a slim base; the final one runs as a non-root user with no build tools."""
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert dockerfile.count("\nFROM ") == 2
    assert "slim" in re.search(r"PYTHON_IMAGE=(\S+)", dockerfile).group(1)  # type: ignore[union-attr]  # the ARG is there or the test fails here
    final = final_stage(dockerfile)
    assert "COPY --from=build /opt/venv /opt/venv" in final
    user = re.search(r"^USER (\S+)", final, flags=re.MULTILINE)
    assert user is not None
    assert user.group(1).split(":")[0] not in ("0", "root")
    assert not re.search(r"apt-get|gcc|build-essential|pip install", final)
    assert "HEALTHCHECK" in final
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert f'ENTRYPOINT ["{next(iter(script))}"]' in final


def test_every_dependency_is_pinned_and_the_image_installs_the_pins() -> None:
    """Each dependency pyproject names has an exact pin, and the image's pip uses the pins."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    named = [*project["dependencies"], *(r for extra in extras for r in extra)]
    wanted = {canonicalize_name(Requirement(r).name) for r in named}
    wanted.discard(canonicalize_name(project["name"]))
    pinned = {
        canonicalize_name(Requirement(line).name)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert wanted <= pinned, f"not in constraints.txt (run `make lock`): {wanted - pinned}"
    build = (DOCKER / "Dockerfile").read_text().split("\nFROM ")[1]
    assert re.search(r"pip install -c constraints\.txt ", build)


def test_dockerignore_keeps_what_the_dockerfile_copies() -> None:
    """Everything the Dockerfile copies is let into the build context."""
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = set(dockerfile_copies((DOCKER / "Dockerfile").read_text()))
    assert {c.rstrip("/") for c in copied if not c.startswith("/")} <= allowed
    for name in allowed:
        assert (ROOT / name).exists(), name


@pytest.mark.parametrize("name", ["IMBACHAT__CACHE__BACKEND", "IMBACHAT__UPSTREAM__URL"])
def test_override_names_are_recognised(name: str) -> None:
    """The helper that vets IMBACHAT__ names knows real settings..."""
    assert override_exists(name)


def test_unknown_override_names_are_not() -> None:
    """...and refuses made-up ones, so the variable checks above can fail."""
    assert not override_exists("IMBACHAT__CACHE__NO_SUCH_KEY")
