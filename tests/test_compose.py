"""docker-compose.yml, Dockerfile and .env.example, checked as files: no Docker engine runs here.

The stack must hold every service a deployment needs, with pinned images, start in order
(schema and search attributes before the worker), scale the worker, and take every variable the
code reads from the environment, with secrets only in the untracked .env file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
APP_SERVICES = {"migrate", "worker", "web", "schedule-sync"}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD|API_KEY|TOKEN")
CODE_ENV_NAME = re.compile(r"[\"']((?:OPSRHYTHM|SENDGRID)_[A-Z0-9_]+)[\"']")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): value for name, value in pairs}


def test_the_stack_has_every_part_of_a_deployment() -> None:
    assert {
        "postgresql",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        "migrate",
        "worker",
        "web",
        "schedule-sync",
    } == set(services())
    temporal = services()["temporal"]["environment"]
    assert ("postgres12", "postgresql") == (temporal["DB"], temporal["POSTGRES_SEEDS"])


def test_every_image_is_pinned() -> None:
    images = [s["image"] for name, s in services().items() if name not in APP_SERVICES]
    base = re.search(r"^FROM (\S+)", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert base is not None
    for image in [*images, base.group(1)]:
        tag = image.partition(":")[2]
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{image} is not pinned"
    assert {"."} == {services()[name]["build"] for name in APP_SERVICES}


def test_one_shots_run_before_what_needs_them() -> None:
    def waits_for(service: str) -> dict[str, str]:
        depends = services()[service].get("depends_on", {})
        return {name: rule["condition"] for name, rule in depends.items()}

    done = "service_completed_successfully"
    assert {"postgresql": "service_healthy"} == waits_for("migrate")
    assert "service_healthy" == waits_for("temporal")["postgresql"]
    assert {"migrate": done, "temporal-setup": done} == waits_for("worker")
    assert {"migrate": done, "temporal-setup": done} == waits_for("web")
    assert {"temporal-setup": done} == waits_for("schedule-sync")
    assert (["db", "upgrade"], ["schedule", "sync"]) == (
        services()["migrate"]["command"],
        services()["schedule-sync"]["command"],
    )
    assert {"no"} == {services()[name]["restart"] for name in ("migrate", "schedule-sync")}
    assert "healthcheck" in services()["postgresql"] and "healthcheck" in services()["web"]
    setup = " ".join(services()["temporal-setup"]["command"])
    assert "for name in Ritual Period Step" in setup


def test_the_worker_scales() -> None:
    worker = services()["worker"]
    assert ("container_name" not in worker, "ports" not in worker) == (True, True)


def test_secrets_come_from_the_env_file_only() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    for service in services().values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(name):
                assert str(value).startswith("${"), f"{name} has a literal value"
    assert "POSTGRES_PASSWORD:?" in text
    assert {".env"} <= set((REPO / ".gitignore").read_text().split())
    for name in APP_SERVICES:
        assert [{"path": ".env", "required": True}] == services()[name]["env_file"]


def test_every_variable_the_code_reads_is_provided() -> None:
    code = [
        *REPO.glob("opsrhythm/**/*.py"),
        *REPO.glob("activities/*.py"),
        REPO / "worker.py",
        REPO / "starter.py",
    ]
    read = {name for path in code for name in CODE_ENV_NAME.findall(path.read_text())}
    provided = set(services()["worker"]["environment"]) | set(env_example())
    assert read, "no environment variable found in the code: the pattern is wrong"
    assert [] == sorted(read - provided)
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} <= set(services()["worker"]["environment"])
