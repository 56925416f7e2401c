"""Real worker processes, a real broker and a real database, broken on purpose mid-work: a worker killed while it
splits and embeds, the broker restarted (losing what it held) while the API takes feedback, PostgreSQL
connections cut in the middle of a task. Every accepted item ends processed exactly once: none lost, none done twice."""

import datetime as dt
import socket
import subprocess
import time
import uuid

import pytest
import redis
from django.db import connection

from tests.conftest import broker_used, worker_start, worker_stop
from tests.factories import SourceFactory
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.feedback.pipeline import feedback_sweep
from voc.feedback.services import feedback_ingest_batch
from voc.themes.models import Embedding

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ITEMS = 300


class RedisServer:
    """A Redis server of the test's own, so that it can be stopped and started; it keeps nothing on disk, so a
    restart loses every queued message, as a crashed broker without persistence would."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def broker():
    server = RedisServer()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def queue():
    return f"voc-faults-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def workers():
    """Start workers as the test needs them; all are stopped at the end."""
    started = []

    def start(broker_url: str, queue: str, name: str = "worker"):
        process, log = worker_start(broker_url, queue, name=name)
        process.log_path = log
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            worker_stop(process)


def feedback(prefix: str, count: int) -> list[dict]:
    return [
        {"external_id": f"{prefix}-{n}", "kind": "ticket", "text": f"{prefix} case {n}: the export times out"}
        for n in range(count)
    ]


def worker_backends() -> list[int]:
    """Database backends of other processes: the worker's connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def task_received(worker) -> bool:
    return "received" in worker.log_path.read_text()


def assert_each_processed_once(expected: int):
    items = FeedbackItem.objects.all()
    assert items.count() == expected
    assert items.filter(status=FeedbackItem.Status.PROCESSED).count() == expected
    # One committed attempt each: the interrupted attempt left nothing behind.
    assert set(items.values_list("attempts", flat=True)) == {1}
    units = FeedbackUnit.objects.all()
    assert units.values("item").distinct().count() == expected
    assert not units.filter(embedding__isnull=True).exists()
    # The interrupted attempt left no vector behind: one per distinct unit text, each in use.
    assert Embedding.objects.count() == units.values("embedding").distinct().count()


def test_a_worker_killed_mid_embedding_leaves_every_item_processed_exactly_once(redis_url, queue, workers, wait_for):
    source = SourceFactory()
    with broker_used(redis_url, queue):
        feedback_ingest_batch(source=source, records=feedback("K", ITEMS))
        first = workers(redis_url, queue, name="first")
        wait_for(lambda: task_received(first), timeout=120, what="the worker to take the chunk")
        # Splitting and embedding come first, before any row lock (loading the model alone takes seconds).
        time.sleep(0.5)
        first.kill()  # SIGKILL: no cleanup, no ack
        first.wait(timeout=20)

        # Nothing of the chunk was written; vectors it may have cached are reused by the next worker.
        assert FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING, attempts=0).count() == ITEMS
        assert not FeedbackUnit.objects.exists()

        workers(redis_url, queue, name="second")
        feedback_sweep(older_than=dt.timedelta(0))
        wait_for(lambda: FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == ITEMS,
                 timeout=240, what="every item processed")

    assert_each_processed_once(ITEMS)


def test_feedback_accepted_while_the_broker_restarts_is_all_processed(broker, queue, workers, api_client, wait_for):
    SourceFactory(name="api")

    def post(records):
        response = api_client.post("/api/v1/feedback", {"source": "api", "items": records}, format="json")
        assert response.status_code == 200
        return [result["external_id"] for result in response.json()["results"] if result["status"] == "created"]

    with broker_used(broker.url, queue):
        worker = workers(broker.url, queue)
        accepted = post(feedback("before", 40))
        wait_for(lambda: FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == 40,
                 timeout=180, what="the first batch processed")

        # The broker goes away: the API still stores and acknowledges what it is sent.
        broker.stop()
        accepted += post(feedback("during", 40))
        # Work queued while no worker runs, then the broker restarts empty: those messages are gone.
        worker_stop(worker)
        broker.start()
        accepted += post(feedback("queued", 40))
        broker.stop()
        broker.start()

        workers(broker.url, queue, name="after-restart")
        # Beat's sweeper reads the database, not the broker's memory.
        feedback_sweep(older_than=dt.timedelta(0))
        wait_for(lambda: FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == 120,
                 timeout=240, what="every accepted item processed")

    assert sorted(accepted) == sorted(FeedbackItem.objects.values_list("external_id", flat=True))
    assert_each_processed_once(120)


def test_database_connections_cut_mid_task_are_retried_and_nothing_is_half_written(
    redis_url, queue, workers, wait_for
):
    source = SourceFactory()
    with broker_used(redis_url, queue):
        feedback_ingest_batch(source=source, records=feedback("D", ITEMS))
        worker = workers(redis_url, queue)
        wait_for(lambda: task_received(worker), timeout=120, what="the worker to take the chunk")
        # Cut its connections for a while, whatever it is doing: reading the chunk, embedding, or writing.
        with connection.cursor() as cursor:
            for _ in range(10):
                for pid in worker_backends():
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                time.sleep(0.1)

        # Nothing of the cut transaction stays: the chunk is whole or not at all.
        done = FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count()
        assert done in (0, ITEMS)
        # The task retries by itself on a new connection (OperationalError, with backoff): no sweep needed.
        wait_for(lambda: FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).count() == ITEMS,
                 timeout=240, what="every item processed after the cut")
        assert "retry: Retry in" in worker.log_path.read_text()

    assert_each_processed_once(ITEMS)
