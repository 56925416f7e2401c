"""`python manage.py voc_screenshots`: the README's screenshots, taken in a real browser from the demo data.

It serves this database itself (`manage.py runserver` on a free port, in a child process, unless --base-url names
a voc already running on it), logs in as the demo's product manager and customer-success person, and saves each
page at 1440×900: the PM's home, the ranked list, the top theme's explanation, the CS home (the log form) and this
week's digest for the PM, as the preview `voc_demo` writes to var/digest-preview.html. That preview is written
afresh into a temporary folder, not read from var/: a file left by an earlier load (or a test) would show another
database's week beside the other four. The browser is Debian's Chromium (apt-get install chromium), driven by
Playwright (requirements-test.txt); neither is needed by voc itself, so both are looked for only here.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from voc.demo.services import DEFAULT_PASSWORD
from voc.digests.services import digest_preview_write
from voc.ranking.selectors import ranking_read

VIEWPORT = {"width": 1440, "height": 900}
PM_USER, CS_USER = "pm", "cs"
SERVER_START_SECONDS = 60
# A page's charts and fonts are in by the time the network has been quiet this long; more than that is a bug.
PAGE_SECONDS = 30


@dataclass(frozen=True)
class Shot:
    name: str  # the PNG's file name
    user: str  # who is logged in; "" for a file opened on its own
    target: str  # a path on the server, or a file:// URL


def shots_plan(*, top_theme_id: int, digest_preview: Path) -> list[Shot]:
    """The README's screenshots, in the order it shows them."""
    return [
        Shot("pm-home.png", PM_USER, "/"),
        Shot("ranked-list.png", PM_USER, "/admin/ranking/"),
        Shot("explanation.png", PM_USER, f"/admin/ranking/{top_theme_id}/"),
        Shot("cs-form.png", CS_USER, "/"),
        Shot("digest.png", "", digest_preview.resolve().as_uri()),
    ]


def demo_check() -> tuple[User, int]:
    """The demo's product manager and the top theme's id, once the demo's users and ranking are there; else why not."""
    hint = "Load the demo first: python manage.py voc_demo --no-serve"
    users = {user.username: user for user in User.objects.filter(username__in=[PM_USER, CS_USER])}
    if missing := sorted({PM_USER, CS_USER} - set(users)):
        raise CommandError(f"No demo data in this database: no user {' or '.join(missing)}. {hint}")
    top = ranking_read(period_days=90).rows[:1]
    if not top:
        raise CommandError(f"The demo's users are here but no themes are ranked yet. {hint}")
    return users[PM_USER], top[0].theme.pk


def chromium_find(path: str) -> str:
    found = shutil.which(path) if path else shutil.which("chromium") or "/usr/bin/chromium"
    if not found or not Path(found).exists():
        raise CommandError(
            f"Chromium not found{f' at {path}' if path else ''}: install Debian's (apt-get install chromium), "
            "or name one with --chromium"
        )
    return found


def playwright_import():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as missing:
        raise CommandError(
            "Playwright is not installed: pip install -r requirements-test.txt (its browsers are not needed; "
            "Debian's Chromium is used)"
        ) from missing
    return sync_playwright


class Command(BaseCommand):
    help = "Save the README's screenshots of the demo (PM home, ranked list, explanation, CS form, digest) as PNGs."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="docs/screenshots", help="folder for the PNGs (default docs/screenshots)")
        parser.add_argument("--base-url", default="",
                            help="a voc already serving this database, e.g. http://127.0.0.1:8000; default: start one")
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"the demo users' password (default {DEFAULT_PASSWORD})")
        parser.add_argument("--chromium", default="", help="the Chromium to drive (default: chromium on the PATH)")
        parser.add_argument("--full-page", action="store_true", help="the whole page, not just the first 900 pixels")

    def handle(self, *args, **options):
        # Everything that can be wrong is checked before a server or a browser starts.
        product_manager, top_theme_id = demo_check()
        chromium = chromium_find(options["chromium"])
        sync_playwright = playwright_import()
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)

        with tempfile.TemporaryDirectory(prefix="voc-screenshots-") as folder:
            preview = Path(folder) / "digest-preview.html"
            digest_preview_write(product_manager.email, preview)
            shots = shots_plan(top_theme_id=top_theme_id, digest_preview=preview)
            for path in self._take(shots, base_url=options["base_url"].rstrip("/"), chromium=chromium, out=out,
                                   sync_playwright=sync_playwright, password=options["password"],
                                   full_page=options["full_page"]):
                self.stdout.write(f"wrote {path}")

    def _take(self, shots: list[Shot], *, base_url: str, chromium: str, out: Path, sync_playwright, password: str,
              full_page: bool) -> Iterator[Path]:
        with _server(base_url) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            try:
                pages = {}
                for shot in shots:
                    if shot.user not in pages:
                        pages[shot.user] = _page(browser, base_url=base_url, user=shot.user, password=password)
                    page = pages[shot.user]
                    page.goto(shot.target if shot.target.startswith("file:") else f"{base_url}{shot.target}",
                              wait_until="networkidle", timeout=PAGE_SECONDS * 1000)
                    path = out / shot.name
                    page.screenshot(path=str(path), full_page=full_page)
                    yield path
            finally:
                browser.close()


def _page(browser, *, base_url: str, user: str, password: str):
    """A fresh browser context at 1440×900 in the light scheme, logged in as the user (unless none)."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme="light", reduced_motion="reduce")
    page = context.new_page()
    if user:
        page.goto(f"{base_url}/admin/login/", timeout=PAGE_SECONDS * 1000)
        page.fill("#id_username", user)
        page.fill("#id_password", password)
        with page.expect_navigation(timeout=PAGE_SECONDS * 1000):
            page.click("input[type=submit]")
        if "/admin/login/" in page.url:
            raise CommandError(f"Could not log in as {user}: is --password the demo's password?")
    return page


@contextmanager
def _server(base_url: str) -> Iterator[str]:
    """The given voc, or this project's runserver on a free port for the duration (its output kept for errors)."""
    if base_url:
        _wait_healthy(base_url, process=None, log=None)
        yield base_url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    with tempfile.TemporaryFile(mode="w+") as log:
        # --insecure: the admin's and voc's CSS served with DEBUG off too, as voc_demo serves them.
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_healthy(base_url, process=process, log=log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base_url: str, *, process: subprocess.Popen | None, log) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base_url}/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    output = ""
    if log is not None:
        log.seek(0)
        output = "\n" + log.read()[-2000:]
    raise CommandError(f"voc did not answer at {base_url}/health/ within {SERVER_START_SECONDS}s{output}")
