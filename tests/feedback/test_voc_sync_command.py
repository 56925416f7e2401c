"""voc_sync runs a sync in the foreground: a backfill from a date, or a sync on demand."""

import pytest
from django.core.management import CommandError, call_command

from tests.factories import SourceFactory
from tests.ingest.fake_api import FakeApi, Reply, payload
from voc.feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db


def test_a_backfill_from_a_date_stores_every_page(monkeypatch, capsys):
    monkeypatch.setenv("ZENDESK_TEST_TOKEN", "t")
    with FakeApi() as api:
        export = "/api/v2/incremental/tickets/cursor.json"
        api.add(export, Reply(payload("zendesk_tickets_page1.json")), when=("start_time", "1761955200"))
        api.add(export, Reply(payload("zendesk_tickets_end.json")), when=("cursor", "MTc2MjA3NDc2NC4wfHwxMDAzfA=="))
        SourceFactory(name="Support desk", kind=Source.Kind.ZENDESK, settings={
            "subdomain": "acme", "email": "bot@acme.example", "token_env": "ZENDESK_TEST_TOKEN",
            "base_url": api.url, "requests_per_minute": 0,
        })
        call_command("voc_sync", "Support desk", "--since", "2025-11-01")
    assert "Done: 2 pages, 2 new, 0 updated, 1 failed" in capsys.readouterr().out
    assert FeedbackItem.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [(["Nowhere"], "no source 'Nowhere'"), (["Support desk", "--since", "yesterday"], "use a date like"),
     (["Support desk", "--since", "2999-01-01"], "in the future")],
)
def test_bad_arguments_get_a_clear_error(args, message):
    SourceFactory(name="Support desk", kind=Source.Kind.ZENDESK)
    with pytest.raises(CommandError, match=message):
        call_command("voc_sync", *args)


def test_a_failed_sync_says_why(capsys):
    SourceFactory(name="Support desk", kind=Source.Kind.ZENDESK, settings={})
    with pytest.raises(CommandError, match="needs the setting 'subdomain'"):
        call_command("voc_sync", "Support desk")
