import os
import subprocess
import sys
from pathlib import Path

from config.celery_app import _redact

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def manage_py_check(tmp_path: Path, **variables: str) -> str:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    # The embedded default would create var/voc.sqlite3 in the project; keep it in the test's folder.
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", "VOC_VAR_DIR": str(tmp_path / "var")})
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_start_up_says_tasks_run_in_process_when_no_broker_is_set(tmp_path):
    output = manage_py_check(tmp_path)

    assert "Tasks run in-process: no CELERY_BROKER_URL or REDIS_URL is set" in output
    assert "Tasks go to the broker" not in output


def test_start_up_names_the_broker_without_its_password(tmp_path):
    output = manage_py_check(tmp_path, CELERY_BROKER_URL="redis://:s3cret-broker-pass@127.0.0.1:6379/0")

    assert "Tasks go to the broker at redis://:***@127.0.0.1:6379/0." in output
    assert "s3cret-broker-pass" not in output
    assert "Tasks run in-process" not in output


def test_the_broker_falls_back_to_redis_url(tmp_path):
    output = manage_py_check(tmp_path, REDIS_URL="redis://cache.internal:6379/2")

    assert "Tasks go to the broker at redis://cache.internal:6379/2." in output


def test_redact_keeps_the_user_and_hides_the_password():
    assert _redact("amqp://voc:hunter2@rabbit:5672/vhost") == "amqp://voc:***@rabbit:5672/vhost"


def test_redact_leaves_a_url_without_credentials_alone():
    assert _redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_a_worker_knows_every_task_beat_sends(settings):
    from config.celery_app import app

    app.loader.import_default_modules()  # what a worker does at start-up: autodiscovery
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks)
