"""One table of every reliability figure: faults survived, items lost or doubled, inputs fuzzed, load held.

    python -m bench.report [--seconds 60] [--clients 4] [--backlog 100000] [--workers 2]

Runs the fault suite (real worker processes, a broker restarted, database connections cut: tests/faults and the
other real-process scenarios), the fuzz suite (Hypothesis properties and Schemathesis; examples counted from
Hypothesis' statistics), then bench.load's sustained API load and backlog drain, and prints what each proved.
Needs PostgreSQL and Redis like the fault suite: DATABASE_URL and REDIS_URL (defaults as in bench.load).
"""

import argparse
import os
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ElementTree

from bench import django_setup, print_table
from bench.load import DEFAULT_DATABASE, DEFAULT_REDIS, PROJECT_ROOT, _drain, _feedback_delete, _load
from bench.pages import _database_create

# Every scenario that breaks something real on purpose and checks nothing was lost or done twice.
FAULT_TESTS = [
    "tests/faults",
    "tests/ingest/zendesk/test_worker.py",  # a worker killed between the pages of a sync
    "tests/ingest/test_worker_families.py",  # 429 and 500 mid-sync, for every family of connector
    "tests/digests/test_worker.py",  # beat twice, a worker killed mid-send
    "tests/feedback/test_tasks.py",  # poison items parked; redelivered tasks
]
FUZZ_TESTS = ["tests/fuzz"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=3_000)
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    tests_database = os.environ.get("DATABASE_URL", DEFAULT_DATABASE).rsplit("/", 1)[0] + "/voc_bench_report"

    rows = []
    faults = _pytest(FAULT_TESTS, "faults", database=tests_database)
    rows += [
        ["faults", "scenarios run with real processes", faults["tests"]],
        ["faults", "scenarios survived", faults["passed"]],
        ["faults", "items lost or done twice", "0" if faults["passed"] == faults["tests"] else "see failures"],
    ]
    fuzz = _pytest(FUZZ_TESTS, "fuzz", database=tests_database, extra=["--hypothesis-show-statistics"])
    rows += [
        ["fuzzing", "properties and API checks", fuzz["tests"]],
        ["fuzzing", "held", fuzz["passed"]],
        ["fuzzing", "generated inputs", fuzz["examples"]],
    ]

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    _database_create(os.environ["DATABASE_URL"])
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _feedback_delete()
    queue = f"bench-report-{uuid.uuid4().hex[:6]}"
    load = dict(_load(args, queue))
    rows += [
        ["load", f"API items/s held for {args.seconds:.0f} s ({args.clients} clients)", load["items/s accepted"]],
        ["load", "latency p50 / p99 (ms)",
         f"{load['latency p50 (ms)']:,.0f} / {load['latency p99 (ms)']:,.0f}"],
        ["load", "errors", load["errors (non-2xx or connection)"]],
        ["load", "accepted but lost", load["accepted but not stored"]],
        ["load", "stored but never accepted (duplicates)", load["stored but not accepted"]],
    ]
    if args.backlog:
        drain = dict(_drain(args, queue))
        rows += [
            ["drain", f"backlog of {drain['backlog (items)']:,} items, {args.workers} workers: items/s",
             drain["items/s"]],
            ["drain", f"the {drain['units made']:,} units they were cut into: units/s", drain["units/s"]],
            ["drain", "time to empty (s)", drain["time to empty (s)"]],
            ["drain", "failed items", drain["failed"]],
        ]
    print("\nReliability")
    print_table(["measure", "value"], [[f"{area}: {measure}", value] for area, measure, value in rows])


def _pytest(paths: list[str], name: str, *, database: str, extra: list[str] | None = None) -> dict:
    """Run tests in a process of their own; how many ran and passed, and the examples Hypothesis generated."""
    _database_create(database)
    report = PROJECT_ROOT / "var" / f"report-{name}.xml"
    env = {**os.environ, "DATABASE_URL": database}
    print(f"running the {name} suite: {' '.join(paths)}", flush=True)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
         *(extra or [])],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
    )
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    broken = int(suite.get("failures")) + int(suite.get("errors"))
    if broken:
        print(completed.stdout[-4000:])
    # Hypothesis' statistics: "- 150 passing, 0 failing, and 2 invalid test cases" per phase of each property.
    examples = sum(int(count) for count in re.findall(r"- (\d+) passing", completed.stdout))
    return {"tests": tests - skipped, "passed": tests - skipped - broken, "examples": examples}


if __name__ == "__main__":
    main()
