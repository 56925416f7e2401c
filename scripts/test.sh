#!/usr/bin/env bash
# Runs the suite twice: against PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (.ci/run sets
# them), then on the embedded default (SQLite, no Redis, tasks in-process), where tests marked 'services' skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  echo "== voc tests on PostgreSQL and Redis ($DATABASE_URL, $REDIS_URL)"
  python -m pytest "$@"
else
  echo "== DATABASE_URL and REDIS_URL are not both set: skipping the PostgreSQL/Redis pass (.ci/run sets them)"
fi

echo "== voc tests on the embedded default (SQLite, tasks in-process)"
env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL python -m pytest "$@"
