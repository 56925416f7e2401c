import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = os.environ.get("REDIS_URL") or "not set (tests marked 'services' are skipped)"
    return [f"voc: database engine {engine}; REDIS_URL {redis}"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres and os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL; embedded default run")
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def pm(client):
    """A client logged in as a product manager."""
    from tests.factories import UserFactory
    from voc.core.roles import PRODUCT

    client.force_login(UserFactory(roles=[PRODUCT]))
    return client


@pytest.fixture
def cs(client):
    """A client logged in as customer-success staff."""
    from tests.factories import UserFactory
    from voc.core.roles import CUSTOMER_SUCCESS

    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    return client


@pytest.fixture(autouse=True)
def cache_empty():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def redis_url():
    return os.environ["REDIS_URL"]


@pytest.fixture
def celery_worker(transactional_db, redis_url):
    """A real `celery worker` process on Redis, on a queue of its own, against the test database.

    The test process sends to the broker for the duration (no in-process execution).
    """
    queue = f"voc-test-{uuid.uuid4().hex[:8]}"
    with broker_used(redis_url, queue):
        process, _ = worker_start(redis_url, queue)
        try:
            yield process
        finally:
            worker_stop(process)


@contextmanager
def broker_used(broker_url: str, queue: str):
    """Send this process's tasks to a real broker and queue for the duration, instead of running them in-process."""
    from config.celery_app import app

    previous = (app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    app.conf.broker_url = broker_url
    _producer_pool_reset(app)
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue, app.conf.broker_url = previous
        _producer_pool_reset(app)


def _producer_pool_reset(app) -> None:
    """Celery caches its connection and producer pools for the broker it first sent to; forget them so the next
    send connects to the broker configured now (kombu keeps one pool per broker URL)."""
    app._pool = None
    app.amqp._producer_pool = None


def worker_start(broker_url: str, queue: str, *, name: str = "worker", **env_extra) -> tuple[subprocess.Popen, Path]:
    """Start a `celery worker` process (solo pool) on the queue, against the test database; returns it once ready,
    with its log file."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(settings.DATABASES["default"]),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "VOC_TEST_EAGER": "0",
        **env_extra,
    }
    # var/<queue>.log for the queue's first worker, which tests read; others by their name.
    log_path = PROJECT_ROOT / "var" / (f"{queue}.log" if name == "worker" else f"{queue}-{name}.log")
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "INFO", "-Q", queue,
             "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_for(lambda: "ready." in log_path.read_text(), timeout=60, what="celery worker start", log=log_path)
    return process, log_path


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _database_url(db: dict) -> str:
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, *, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    detail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{detail}")


@pytest.fixture
def wait_for():
    return _wait_for
