"""Rate limits: failed logins counted in the shared cache, and the REST API's budget per user.

Both count in Django's default cache, which is Redis in production, so every web process sees the same counts
(locally it is one process's memory).
"""

import functools
import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.html import format_html
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)

KEY_PREFIX = "voc:login-failures"


def login_retry_after(*, username: str, address: str, now: float | None = None) -> int:
    """Seconds before this username, and this address, may try to log in again; 0 when they may now."""
    now = time.time() if now is None else now
    waits = []
    for key, limit in _counters(username=username, address=address):
        state = cache.get_many([key, f"{key}:until"])
        if state.get(key, 0) >= limit:
            # The window's end expires with the count; missing, it ended a moment ago.
            waits.append(state.get(f"{key}:until", now) - now)
    return max(1, math.ceil(max(waits))) if waits else 0


def login_failure_record(*, username: str, address: str, now: float | None = None) -> None:
    """Count one failed login against the username and the address."""
    now = time.time() if now is None else now
    window = settings.VOC_LOGIN_WINDOW_SECONDS
    for key, _ in _counters(username=username, address=address):
        # The first failure opens the window; add() leaves an open one as it is, so every process agrees on its end.
        cache.add(f"{key}:until", now + window, timeout=window)
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)  # atomic in Redis; keeps the key's expiry
        except ValueError:  # the window closed between add() and incr()
            cache.set(key, 1, timeout=window)


def login_success_record(*, username: str) -> None:
    """A person who got their password right starts afresh; their address's count stays, or one account an
    attacker owns would wipe the address's record of guesses at others."""
    for key, _ in _counters(username=username, address=""):
        cache.delete_many([key, f"{key}:until"])


def _counters(*, username: str, address: str) -> list[tuple[str, int]]:
    """(cache key, most failures allowed in a window) for each thing failures are counted against."""
    counters = []
    if username.strip():
        # Any text a form sends, hashed into a short key the cache accepts; case does not give more tries.
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        counters.append((f"{KEY_PREFIX}:user:{digest}", settings.VOC_LOGIN_MAX_FAILURES))
    if address:
        counters.append((f"{KEY_PREFIX}:address:{address}", settings.VOC_LOGIN_MAX_FAILURES_PER_IP))
    return counters


def login_rate_limited(login_view):
    """Wrap a login view: past the limits, a login POST is answered 429 before any password is checked."""

    @functools.wraps(login_view)
    def view(request, *args, **kwargs):
        if request.method != "POST":
            return login_view(request, *args, **kwargs)
        username = request.POST.get("username", "")
        # REMOTE_ADDR, never X-Forwarded-For: anyone can send that header, and a new value per try would get a
        # fresh count each time. Behind an HTTP proxy REMOTE_ADDR is the proxy's, so all clients share one count
        # (README: Security).
        address = request.META.get("REMOTE_ADDR", "")
        wait = login_retry_after(username=username, address=address)
        if wait:
            logger.warning("login refused for %d s: too many failures for this username or from %s", wait, address)
            return too_many_logins(request, wait)
        response = login_view(request, *args, **kwargs)
        # Django's login view redirects once it has logged someone in, and shows the form again otherwise.
        if response.status_code == 302 and request.user.is_authenticated:
            login_success_record(username=username)
        else:
            login_failure_record(username=username, address=address)
        return response

    return view


def too_many_logins(request, wait: int) -> HttpResponse:
    minutes = math.ceil(wait / 60)
    body = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too many login attempts</title></head>'
        "<body><h1>Too many login attempts</h1><p>Logging in failed too many times for this username or from "
        "this address. Try again in {} minute{}.</p><p><a href=\"{}\">Back to the login page</a></p></body></html>",
        minutes, "" if minutes == 1 else "s", request.get_full_path(),
    )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response


class ApiUserRateThrottle(UserRateThrottle):
    """VOC_API_RATE requests per user, all of a user's tokens together; 429 with Retry-After above it.

    DRF reads a throttle's rate once, at import; this reads the setting for each request, so it can change.
    """

    def get_rate(self):
        return settings.VOC_API_RATE
