"""docker-compose.yml, checked as a file everywhere and, with PostgreSQL and Redis, run: the web, worker and beat
commands start as local processes with the compose environment, against the test database and the local Redis."""

import contextlib
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
import yaml
from django.conf import settings
from django.shortcuts import resolve_url

from tests.factories import ContactFactory, SourceFactory
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.services import feedback_ingest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
RESTARTING = {"always", "unless-stopped", "on-failure"}


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def environment_of(service: str) -> dict[str, str]:
    environment = SERVICES[service].get("environment") or {}
    if isinstance(environment, list):
        environment = dict(entry.split("=", 1) for entry in environment)
    return {name: str(value) for name, value in environment.items()}


# --- The file --------------------------------------------------------------------------------------------------


def test_the_stack_has_every_service():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"] == "postgres:16-alpine"
    assert SERVICES["redis"]["image"] == "redis:7-alpine"


def test_long_running_services_restart_and_the_one_shot_migration_does_not():
    for name, service in SERVICES.items():
        if name == "migrate":
            assert service.get("restart", "no") == "no"
        else:
            assert service.get("restart") in RESTARTING, f"{name} has no restart policy"


def test_services_others_wait_for_have_a_healthcheck():
    assert "pg_isready" in " ".join(SERVICES["postgres"]["healthcheck"]["test"])
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "/health/" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_the_migration_runs_manage_py_migrate_once_postgres_is_healthy():
    assert command_of("migrate") == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_app_processes_start_after_the_migration_succeeded_and_redis_is_healthy(service):
    assert SERVICES[service]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "redis": {"condition": "service_healthy"},
    }


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_run_production_settings_from_the_env_file(service):
    assert SERVICES[service]["env_file"] == ".env"
    assert environment_of(service)["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_beat_keeps_its_schedule_on_a_volume():
    schedule = Path(environment_of("beat")["CELERY_BEAT_SCHEDULE_FILENAME"])
    mounted = [volume.split(":")[1] for volume in SERVICES["beat"]["volumes"]]
    assert str(schedule.parent) in mounted


# --- The processes (PostgreSQL + Redis) ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def queue(redis_url):
    name = f"voc-compose-{uuid.uuid4().hex[:8]}"
    yield name
    # Beat may have sent a periodic task that nobody consumed; leave no stray queue behind in Redis.
    client = redis.Redis.from_url(redis_url)
    client.delete(name)
    client.close()


@pytest.fixture
def service_env(transactional_db, redis_url, queue, tmp_path):
    """What a compose service sees, pointed at the test database, the local Redis and a queue of this test."""
    from tests.conftest import _database_url

    def env_for(service: str) -> dict[str, str]:
        # Only what a process needs from this machine; everything else comes from the compose file.
        base = {name: os.environ[name] for name in ("HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
        # The venv's bin first, so that `gunicorn`, `celery` and `python` are the project's.
        base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return {
            **base,
            **environment_of(service),
            "DATABASE_URL": _database_url(settings.DATABASES["default"]),
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "WEB_CONCURRENCY": "1",
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
            # gunicorn's control socket, otherwise ~/.gunicorn/gunicorn.ctl shared with any other gunicorn here.
            "XDG_RUNTIME_DIR": str(tmp_path),
        }

    return env_for


@pytest.fixture
def start_service(service_env, tmp_path):
    """Start a compose service's command from the repository root; every one is stopped at the end of the test."""
    started: list[subprocess.Popen] = []

    def start(service: str) -> tuple[dict[str, str], Path]:
        env = service_env(service)
        log_path = tmp_path / f"{service}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                command_of(service),
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn and celery fork children
            )
        started.append(process)
        return env, log_path

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_get(url: str) -> tuple[int, dict[str, str]]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def answers_health(url: str) -> bool:
    try:
        return http_get(url)[0] == 200
    except OSError:
        return False


@pytest.mark.services
def test_the_migrate_command_runs_against_the_database(service_env):
    result = subprocess.run(
        command_of("migrate"), cwd=PROJECT_ROOT, env=service_env("migrate"), capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No migrations to apply." in result.stdout


@pytest.mark.services
def test_web_answers_health_and_sends_visitors_to_the_login_page(start_service, wait_for):
    env, log = start_service("web")
    base_url = f"http://127.0.0.1:{env['PORT']}"

    wait_for(lambda: answers_health(f"{base_url}/health/"), timeout=60, what="gunicorn to answer /health/", log=log)
    status, headers = http_get(f"{base_url}/")

    assert status == 302
    assert headers["Location"] == f"{resolve_url(settings.LOGIN_URL)}?next=/"
    assert "Tasks go to the broker at" in log.read_text()


@pytest.mark.services
def test_the_web_healthcheck_passes_against_the_running_web_process(start_service, wait_for):
    env, log = start_service("web")
    wait_for(lambda: answers_health(f"http://127.0.0.1:{env['PORT']}/health/"), timeout=60, what="gunicorn", log=log)
    healthcheck = SERVICES["web"]["healthcheck"]["test"]
    assert healthcheck[0] == "CMD"

    result = subprocess.run(healthcheck[1:], env=env, capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stderr


@pytest.fixture
def broker_queue(queue, redis_url):
    """Send tasks from this process to the broker on the test's queue (as tests/conftest.py celery_worker does)."""
    from config.celery_app import app

    previous = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    app.conf.broker_url = redis_url
    yield queue
    app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url = previous


@pytest.mark.services
def test_the_worker_processes_feedback_enqueued_by_the_ingest_service(start_service, broker_queue, wait_for):
    _, log = start_service("worker")
    wait_for(lambda: "ready." in log.read_text(), timeout=60, what="the celery worker", log=log)
    contact = ContactFactory(email="lee@shop.example")
    source = SourceFactory(name="chat", kind=Source.Kind.INTERCOM)

    result = feedback_ingest(source=source, record={"text": "Checkout times out", "author_email": "lee@shop.example"})

    wait_for(
        lambda: FeedbackItem.objects.filter(pk=result.item_id, status=FeedbackItem.Status.PROCESSED).exists(),
        timeout=60,
        what="the worker to process the item",
        log=log,
    )
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert (item.attempts, item.account) == (1, contact.account)
    assert f"{broker_queue}" in log.read_text()


@pytest.mark.services
def test_beat_starts_with_its_schedule_file_from_the_environment(start_service, wait_for):
    env, log = start_service("beat")

    wait_for(lambda: "beat: Starting..." in log.read_text(), timeout=60, what="celery beat", log=log)
    wait_for(
        lambda: any(Path(env["CELERY_BEAT_SCHEDULE_FILENAME"]).parent.glob("celerybeat-schedule*")),
        timeout=30,
        what="beat to write its schedule file",
        log=log,
    )
