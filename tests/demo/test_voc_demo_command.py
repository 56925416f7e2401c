from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from voc.demo.management.commands import voc_demo
from voc.digests.models import DigestSubscription
from voc.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

# A slice of the sample keeps the test quick; `voc_demo` without --limit loads all of it.
LIMIT = "20"


def run_demo(*args) -> str:
    out = StringIO()
    call_command("voc_demo", "--limit", LIMIT, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def runserver_calls(monkeypatch):
    """Records runserver instead of starting it; other commands (migrate) run for real."""
    calls = []
    real_call_command = voc_demo.call_command

    def fake_call_command(name, *args, **options):
        if name == "runserver":
            calls.append((args, options))
            return None
        return real_call_command(name, *args, **options)

    monkeypatch.setattr(voc_demo, "call_command", fake_call_command)
    return calls


def test_it_loads_the_demo_and_prints_every_summary_section(runserver_calls, django_capture_on_commit_callbacks):
    # Processing runs when the load commits, which inside a test is at the end of this block; the second run
    # then shows what the first one left, as a real run shows at once.
    with django_capture_on_commit_callbacks(execute=True):
        run_demo("--no-serve")
    output = run_demo("--no-serve")
    for heading in (
        "Feedback by source",
        "Feedback by kind",
        "Top 10 accounts by feedback items",
        "Linked to an account:",
        "Log in at http://127.0.0.1:8000/admin/",
    ):
        assert heading in output
    assert "Pebble Studio" in output
    assert "$3,600" in output
    assert "Zendesk" in output
    for username in ("admin", "pm", "cs"):
        assert f"  {username} " in output
    assert "password voc-demo" in output
    assert FeedbackItem.objects.count() > int(LIMIT)
    assert runserver_calls == []


def test_it_writes_a_preview_of_the_weekly_digest_and_says_where(runserver_calls, settings, tmp_path):
    settings.VAR_DIR = tmp_path

    output = run_demo("--no-serve")

    preview = tmp_path / "digest-preview.html"
    assert f"as a preview:\n  {preview}\n" in output
    assert "voc weekly digest" in preview.read_text()
    assert 'src="data:image/png;base64,' in preview.read_text()
    [subscription] = DigestSubscription.objects.all()
    assert f"voc_digest --preview {subscription.recipient}" in output
    assert subscription.recipient.startswith("pm@")


def test_every_line_fits_a_100_column_terminal(runserver_calls):
    output = run_demo("--no-serve")
    assert max(len(line) for line in output.splitlines()) <= 100


def test_a_second_run_reports_everything_as_already_there(runserver_calls):
    first = run_demo("--no-serve")
    again = run_demo("--no-serve")
    assert "0 already there" in first
    assert ", 0 new," in again
    assert "Loaded 60 accounts (0 new)" in again


def test_it_uses_the_password_given(runserver_calls):
    output = run_demo("--no-serve", "--password", "another-pass")
    assert "password another-pass" in output


def test_without_no_serve_it_serves_the_admin_on_the_given_address_without_the_reloader(runserver_calls):
    output = run_demo("--addr", "0.0.0.0", "--port", "8123")
    assert "Log in at http://0.0.0.0:8123/admin/" in output
    assert runserver_calls == [(("0.0.0.0:8123",), {"use_reloader": False, "insecure_serving": True})]


def test_it_refuses_a_negative_limit():
    with pytest.raises(CommandError, match="--limit"):
        call_command("voc_demo", "--no-serve", "--limit", "-1", stdout=StringIO())
