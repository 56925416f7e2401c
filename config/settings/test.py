"""Test settings: the same as local, with fast hashing and mail kept in memory."""

from config.env import envbool, envstr
from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test process keeps its own cache, emptied before every test (tests/conftest.py): counts such as failed logins
# and API budgets must not carry from one test, or one run, to the next through a shared Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# In memory, unless a test hands a real worker the SMTP backend to send to its local SMTP server.
EMAIL_BACKEND = envstr("VOC_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Tests run tasks in-process unless a test starts a real worker (tests/conftest.py: celery_worker),
# which sets VOC_TEST_EAGER=0 for the worker and switches the test process to the broker itself.
CELERY_TASK_ALWAYS_EAGER = envbool("VOC_TEST_EAGER", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are not collected for tests; serve them from the apps without warning about STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
