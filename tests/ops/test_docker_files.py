"""The production container files, checked without a Docker engine (none runs in development or CI).

`docker compose config` needs the compose plugin, which this machine's docker CLI lacks, so the compose file is
checked here against what the code actually reads; .ci/run additionally runs hadolint on the Dockerfile.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parents[2]
DOCKER = BASE_DIR / "docker"
APP_SERVICES = {"migrate", "web", "worker", "analysis-worker", "beat"}
# Read by boto3 (through django-storages), not by config/settings.py.
BOTO3_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# Read by docker/entrypoint.sh.
ENTRYPOINT_VARIABLES = {"CELERY_QUEUES", "CELERY_CONCURRENCY"}


def settings_variables() -> set[str]:
    source = (BASE_DIR / "config" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def test_compose_has_every_role_and_backing_service(compose):
    assert set(compose["services"]) >= APP_SERVICES | {"postgres", "redis", "minio"}


def test_app_services_run_one_image_in_production_mode(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}, name
        env = service["environment"]
        assert env["TRIBUNAL_MODE"] == "production", name
        assert env["TRIBUNAL_STORAGE"] == "s3", name
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"], name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        # Secrets come from the operator's environment; compose refuses to start without them.
        assert ":?" in env["DJANGO_SECRET_KEY"], name
        assert "EMAIL_URL" in env, name


def test_every_app_variable_is_read_by_something(compose):
    known = settings_variables() | BOTO3_VARIABLES | ENTRYPOINT_VARIABLES
    for name in APP_SERVICES:
        unknown = set(compose["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets variables nothing reads (typo?): {sorted(unknown)}"


def test_workers_cover_both_queues_and_there_is_one_beat(compose, settings):
    services = compose["services"]
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["environment"]["CELERY_QUEUES"] == settings.CELERY_TASK_DEFAULT_QUEUE
    assert services["analysis-worker"]["command"] == ["analysis"]
    assert [name for name, s in services.items() if s.get("command") == ["beat"]] == ["beat"]
    # The analysis role consumes the queue the analysis jobs are routed to, under the same variable and default.
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    analysis_role = entrypoint[entrypoint.index("  analysis)") : entrypoint.index("  beat)")]
    assert 'exec celery -A config worker --queues "${TRIBUNAL_ANALYSIS_QUEUE:-analysis}"' in analysis_role
    assert settings.CELERY_TASK_ROUTES["evidence.tasks.run_job"]["queue"] == settings.TRIBUNAL_ANALYSIS_QUEUE


def test_dependencies_and_volumes_exist(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name} mounts undeclared volume {source}"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_dockerfile_builds_a_non_root_slim_image():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    for package in ("libmagic1", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in dockerfile
    assert "pip install -r requirements.txt" in dockerfile
    assert "pip install --no-deps -r requirements-nodeps.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile


def test_entrypoint_is_valid_posix_shell():
    entrypoint = DOCKER / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    subprocess.run(["sh", "-n", str(entrypoint)], check=True)
    for role in ("web)", "worker)", "analysis)", "beat)", "migrate)", "manage)"):
        assert role in entrypoint.read_text()


def test_static_files_collect_with_the_production_manifest_storage(tmp_path):
    # The image runs this at build time; a template referencing a missing file would break the build there.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRIBUNAL_"))}
    environment.update(
        TRIBUNAL_MODE="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        STATIC_ROOT=str(tmp_path / "static"),
        TRIBUNAL_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "collectstatic", "--noinput"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
