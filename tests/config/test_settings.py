import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# Variables that would otherwise leak from the test run (or the developer's shell) into the processes under test.
CONFIG_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")


def run_django(args: list[str], *, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name not in CONFIG_VARIABLES}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "VOC_VAR_DIR": str(tmp_path / "var")})
    env.update(variables)
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def django_setup(*, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    return run_django(["-c", "import django; django.setup()"], tmp_path=tmp_path, **variables)


def real_secret() -> str:
    return secrets.token_urlsafe(64)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = django_setup(
        tmp_path=tmp_path, REDIS_URL="redis://127.0.0.1:6379/0", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "secret",
    ["short-secret", "insecure-change-me-" + "x" * 60, "ab" * 40],
    ids=["too short", "the insecure example", "too few distinct characters"],
)
def test_production_refuses_a_placeholder_secret_key(tmp_path, secret):
    result = django_setup(
        tmp_path=tmp_path,
        SECRET_KEY=secret,
        REDIS_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_broker(tmp_path):
    result = django_setup(tmp_path=tmp_path, SECRET_KEY=real_secret(), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Production needs a broker" in result.stderr


def test_production_refuses_to_fall_back_to_the_embedded_database(tmp_path):
    result = django_setup(tmp_path=tmp_path, SECRET_KEY=real_secret(), CELERY_BROKER_URL="redis://127.0.0.1:6379/0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Production needs DATABASE_URL" in result.stderr


def test_production_starts_with_a_secret_a_broker_and_a_database(tmp_path):
    result = django_setup(
        tmp_path=tmp_path,
        SECRET_KEY=real_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )

    assert result.returncode == 0, result.stderr


def test_production_passes_the_deployment_checklist_without_warnings(tmp_path):
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path=tmp_path,
        SECRET_KEY=real_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_bad_boolean_setting_stops_start_up_with_its_name(tmp_path):
    result = django_setup(
        tmp_path=tmp_path,
        SECRET_KEY=real_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        SECURE_SSL_REDIRECT="sometimes",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECURE_SSL_REDIRECT='sometimes' is not a boolean" in result.stderr


def test_a_ranking_refresh_interval_beat_cannot_keep_stops_start_up(tmp_path):
    result = django_setup(
        tmp_path=tmp_path,
        SECRET_KEY=real_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        VOC_RANKING_REFRESH_MINUTES="0",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: VOC_RANKING_REFRESH_MINUTES=0 must be 1 to 59" in result.stderr


def settings_read_from_the_environment() -> set[str]:
    names = set()
    for path in [*(PROJECT_ROOT / "config" / "settings").glob("*.py"), PROJECT_ROOT / "config" / "gunicorn.py"]:
        source = path.read_text()
        names.update(re.findall(r"\benv(?:str|bool|int|float|list)\(\s*\"([A-Z0-9_]+)\"", source))
        names.update(re.findall(r"os\.environ\.get\(\s*['\"]([A-Z0-9_]+)['\"]", source))
    return names


def test_env_example_lists_every_setting_read_from_the_environment():
    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    read = settings_read_from_the_environment()

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PORT"} <= read
    assert read - listed == set()


def test_env_example_cannot_start_production_as_it_is(tmp_path):
    example = dict(
        re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (PROJECT_ROOT / ".env.example").read_text(), flags=re.MULTILINE)
    )

    result = django_setup(tmp_path=tmp_path, **example)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr
