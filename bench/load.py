"""Sustained API load from other processes, then a processing backlog drained by Celery workers, on PostgreSQL.

    python -m bench.load [--seconds 60] [--clients 4] [--batch 50] [--backlog 100000] [--workers 2]

1. Load: gunicorn serves the app (production settings, 2 workers) on 127.0.0.1; `--clients` processes post
   batches of new feedback to /api/v1/feedback as fast as they are answered for `--seconds`. It reports items/s,
   request latency (p50, p99) and errors, then checks that the items stored for the benchmark's source are
   exactly the ones the clients were told were created: same count, same keys.
2. Drain: a theme model is fitted on a sample first (so new items are assigned, as in production); the backlog is
   topped up to `--backlog` pending items with distinct texts (BANKING77 texts, numbered), and `--workers` Celery
   worker processes split, embed and assign them from Redis. It reports items/s, units/s (the units the items were
   cut into, one per problem) and the time until none is pending.

Needs PostgreSQL and Redis: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/voc_bench_load, created when
missing; emptied of feedback first) and REDIS_URL (default redis://127.0.0.1:6379/3).
"""

import argparse
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

from bench import django_setup, print_table
from bench.pages import _database_create, feedback_truncate

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/voc_bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"
SOURCE = "bench-load"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4, help="client processes posting at once (default 4)")
    parser.add_argument("--batch", type=int, default=50, help="items per request (default 50)")
    parser.add_argument("--backlog", type=int, default=100_000, help="pending items to drain; 0 skips the drain")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes for the drain (default 2)")
    parser.add_argument("--sample", type=int, default=3_000, help="items clustered first for the theme model")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    _database_create(os.environ["DATABASE_URL"])
    django_setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _feedback_delete()
    queue = f"bench-load-{uuid.uuid4().hex[:6]}"
    load = _load(args, queue)
    print(f"\nAPI load: {args.clients} client processes, batches of {args.batch}, {args.seconds:.0f} s, gunicorn with "
          "2 workers, PostgreSQL")
    print_table(["measure", "value"], load)
    if args.backlog:
        print(f"\nDrain: at least {args.backlog:,} pending items (what the load left, topped up), {args.workers} "
              "Celery worker processes (split, embed and assign)")
        print_table(["measure", "value"], _drain(args, queue))


# --- load ------------------------------------------------------------------------------------------------------


def _load(args, queue: str) -> list[list]:
    from django.contrib.auth import get_user_model

    from voc.api.services import api_token_create
    from voc.feedback.models import FeedbackItem, Source

    source, _ = Source.objects.get_or_create(name=SOURCE, defaults={"kind": Source.Kind.API})
    user, _ = get_user_model().objects.get_or_create(username="bench-load", defaults={"is_superuser": True})
    _, token = api_token_create(user=user, name=f"bench {queue}")
    port = _free_port()
    server = _gunicorn(port, queue)
    try:
        # Warm each server worker's first request (database connection, template and URL caches) off the clock.
        _client(-1, f"http://127.0.0.1:{port}", token, 1, time.time() + 3)
        deadline = time.time() + args.seconds
        with multiprocessing.get_context("spawn").Pool(args.clients) as pool:
            results = pool.starmap(
                _client, [(n, f"http://127.0.0.1:{port}", token, args.batch, deadline) for n in range(args.clients)]
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies = sorted(latency for result in results for latency in result["latencies"])
    accepted = {key for result in results for key in result["created"]}
    errors = sum(result["errors"] for result in results)
    sent = sum(result["sent"] for result in results)
    stored = set(FeedbackItem.objects.filter(source=source).exclude(external_id__startswith="c-1-")
                 .values_list("external_id", flat=True))
    elapsed = max(result["elapsed"] for result in results)
    return [
        ["requests", len(latencies)],
        ["items sent", sent],
        ["items accepted (created)", len(accepted)],
        ["items/s accepted", len(accepted) / elapsed],
        ["latency p50 (ms)", statistics.median(latencies) * 1000],
        ["latency p99 (ms)", latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] * 1000],
        ["errors (non-2xx or connection)", errors],
        ["stored for the source", len(stored)],
        ["accepted but not stored", len(accepted - stored)],
        ["stored but not accepted", len(stored - accepted)],
    ]


def _client(number: int, base_url: str, token: str, batch: int, deadline: float) -> dict:
    """One client process: post batches of new items until the deadline; what it was told, item by item."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    created, latencies, errors, sent, sequence = [], [], 0, 0, 0
    started = time.time()
    while time.time() < deadline:
        items = [
            {"external_id": f"c{number}-{sequence + n}", "kind": "ticket",
             "text": f"Client {number} ticket {sequence + n}: the card payment was declined twice"}
            for n in range(batch)
        ]
        sequence += batch
        sent += batch
        began = time.perf_counter()
        try:
            response = session.post(f"{base_url}/api/v1/feedback", json={"source": SOURCE, "items": items},
                                    timeout=30)
        except requests.RequestException:
            errors += 1
            continue
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            errors += 1
            continue
        created += [r["external_id"] for r in response.json()["results"] if r["status"] == "created"]
    return {"created": created, "latencies": latencies, "errors": errors, "sent": sent,
            "elapsed": time.time() - started}


def _gunicorn(port: int, queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # The benchmark measures what the machine holds, not the per-client limit.
        "VOC_API_RATE": "1000000/minute",
    }
    log = open(PROJECT_ROOT / "var" / "bench-load-gunicorn.log", "w")  # noqa: SIM115 (kept open for the server)
    # --preload: the app is imported once, before the workers fork, so no request pays for the imports.
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py",
                               "--access-logfile", "/dev/null", "--preload"], cwd=PROJECT_ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start; see {log.name}")


# --- drain -----------------------------------------------------------------------------------------------------


def _drain(args, queue: str) -> list[list]:
    from unittest import mock

    from bench.themes import load_dataset
    from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
    from voc.feedback.pipeline import PROCESS_CHUNK, feedback_process
    from voc.feedback.services import feedback_ingest_batch
    from voc.feedback.tasks import feedback_process_task
    from voc.themes.services import themes_recluster

    texts, _, _ = load_dataset(SimpleNamespace(csv=None, text_col="text", label_col=None, limit=None))
    source, _ = Source.objects.get_or_create(name=f"{SOURCE}-backlog", defaults={"kind": Source.Kind.API})

    def stored(records) -> list[int]:
        """Ingest without sending tasks (no broker traffic here); returns the new items' ids."""
        queued = []
        with mock.patch.object(feedback_process_task, "delay", side_effect=queued.extend):
            for start in range(0, len(records), 1_000):
                feedback_ingest_batch(source=source, records=records[start : start + 1_000])
        return queued

    # The theme model new items are assigned to: a sample, processed and clustered in this process.
    sample = stored([{"external_id": f"s{n}", "kind": "ticket", "text": texts[n % len(texts)]}
                     for n in range(args.sample)])
    for start in range(0, len(sample), 500):
        feedback_process(item_ids=sample[start : start + 500])
    themes_recluster(seed=0)

    pending = FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING)
    missing = max(args.backlog - pending.count(), 0)
    stored([{"external_id": f"b{n}", "kind": "ticket", "text": f"{texts[n % len(texts)]} (case {n})"}
            for n in range(missing)])
    backlog = pending.count()

    # Hand every pending item to the workers through Redis in chunks, as ingestion and the sweeper do; what the load
    # phase queued is dropped first, so that each item is queued once.
    from config.celery_app import app

    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(queue)
    pending_ids = list(pending.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pending_ids), PROCESS_CHUNK):
        feedback_process_task.delay(pending_ids[start : start + PROCESS_CHUNK])
    workers = [_worker(queue, n) for n in range(args.workers)]
    try:
        started = time.perf_counter()
        while pending.exists():
            time.sleep(2)
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
    drained = FeedbackItem.objects.filter(pk__in=pending_ids)
    # Each item is cut into units (one per problem it raises), and each unit is embedded and assigned.
    units = FeedbackUnit.objects.filter(item__in=drained).count()
    return [
        ["backlog (items)", backlog],
        ["time to empty (s)", seconds],
        ["items/s", backlog / seconds],
        ["units made", units],
        ["units/s", units / seconds],
        ["processed", drained.filter(status=FeedbackItem.Status.PROCESSED).count()],
        ["processed more than once", drained.exclude(attempts=1).count()],
        ["assigned to a theme", drained.filter(theme__isnull=False).count()],
        ["failed", drained.filter(status=FeedbackItem.Status.FAILED).count()],
    ]


def _worker(queue: str, number: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "0",
           "CELERY_TASK_DEFAULT_QUEUE": queue}
    log = open(PROJECT_ROOT / "var" / f"bench-load-worker{number}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "WARNING", "-Q", queue,
         "-n", f"bench{number}@%h"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def _feedback_delete() -> None:
    from voc.themes.models import ClusterRun, Theme

    feedback_truncate()
    Theme.objects.all().delete()
    ClusterRun.objects.all().delete()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
