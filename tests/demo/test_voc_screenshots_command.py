"""`voc_screenshots` refuses clearly before starting anything when the demo, Chromium or Playwright is missing, and
with all of them saves the README's five screenshots."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.digests.conftest import week  # noqa: F401 (a week of ranked themes, as the digest tests use)
from tests.e2e.conftest import CHROMIUM
from tests.factories import UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.demo.management.commands import voc_screenshots
from voc.demo.services import demo_users_ensure

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


def screenshots(*args) -> str:
    out = StringIO()
    call_command("voc_screenshots", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_refuses_clearly_when_the_demo_was_not_loaded():
    with pytest.raises(CommandError, match=r"no user cs or pm\. Load the demo first: python manage.py voc_demo"):
        screenshots()


@pytest.mark.django_db
def test_it_refuses_when_the_demo_users_are_there_but_nothing_is_ranked():
    UserFactory(username="pm", roles=[PRODUCT])
    UserFactory(username="cs", roles=[CUSTOMER_SUCCESS])

    with pytest.raises(CommandError, match="no themes are ranked yet"):
        screenshots()


@pytest.mark.usefixtures("week")
def test_the_digest_is_this_database_s_week_written_afresh_not_a_file_left_in_var(settings, tmp_path, monkeypatch):
    demo_users_ensure(password="voc-demo")
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    (settings.VAR_DIR / "digest-preview.html").write_text("another database's week")
    seen = {}

    def take(self, shots, **options):
        seen["digest"] = Path(shots[-1].target.removeprefix("file://")).read_text()
        return []

    monkeypatch.setattr(voc_screenshots.Command, "_take", take)
    screenshots("--out", str(tmp_path / "shots"))

    assert "Card delivery delays" in seen["digest"]
    assert (settings.VAR_DIR / "digest-preview.html").read_text() == "another database's week"


def test_it_refuses_clearly_when_chromium_is_missing(tmp_path):
    with pytest.raises(CommandError, match="Chromium not found at .*apt-get install chromium"):
        voc_screenshots.chromium_find(str(tmp_path / "no-chromium"))


def test_the_plan_is_the_readme_s_five_screenshots_pm_then_cs_then_the_digest(tmp_path):
    plan = voc_screenshots.shots_plan(top_theme_id=7, digest_preview=tmp_path / "digest-preview.html")

    assert [(shot.name, shot.user, shot.target) for shot in plan] == [
        ("pm-home.png", "pm", "/"),
        ("ranked-list.png", "pm", "/admin/ranking/"),
        ("explanation.png", "pm", "/admin/ranking/7/"),
        ("cs-form.png", "cs", "/"),
        ("digest.png", "", (tmp_path / "digest-preview.html").as_uri()),
    ]


@needs_chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("week")
def test_it_saves_each_screenshot_at_1440_by_900(live_server, tmp_path, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the command reads the database before it starts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    demo_users_ensure(password="voc-demo")
    out = tmp_path / "shots"

    printed = screenshots("--base-url", live_server.url, "--out", str(out))

    names = ["pm-home.png", "ranked-list.png", "explanation.png", "cs-form.png", "digest.png"]
    assert sorted(path.name for path in out.iterdir()) == sorted(names)
    for name in names:
        assert f"wrote {out / name}" in printed
        png = (out / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1440, 900)


@needs_chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("week")
def test_a_wrong_password_is_said_as_such(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    demo_users_ensure(password="voc-demo")

    with pytest.raises(CommandError, match="Could not log in as pm: is --password the demo's password"):
        screenshots("--base-url", live_server.url, "--out", str(tmp_path), "--password", "wrong")
