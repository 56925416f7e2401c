"""Local development and the demo: debug on, everything else from the environment."""

from config.env import envbool, envstr
from config.settings.base import *  # noqa: F403

DEBUG = envbool("DEBUG", True)
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
