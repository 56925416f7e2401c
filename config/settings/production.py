"""Production: refuses to start with a missing secret, without a broker or without a database."""

from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envstr
from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_TASK_ALWAYS_EAGER as NO_BROKER_CONFIGURED

DEBUG = False

SECRET_KEY = envstr("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure") or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
if NO_BROKER_CONFIGURED:
    raise ImproperlyConfigured(
        "Production needs a broker: set CELERY_BROKER_URL or REDIS_URL. "
        "Running tasks in-process is only for the local embedded default."
    )
if not envstr("DATABASE_URL", ""):
    # base.py would fall back to the embedded SQLite file, which in a container is lost on every restart.
    raise ImproperlyConfigured(
        "Production needs DATABASE_URL (e.g. postgres://voc:password@postgres:5432/voc); "
        "the embedded SQLite default is only for local use."
    )
CELERY_TASK_ALWAYS_EAGER = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
