"""Typeform responses come in by submission time: the NPS score with the comment, each response once."""

import datetime as dt

import pytest

from ingest.sync import source_sync
from tests.factories import SourceFactory
from tests.ingest.fake_api import Reply, payload
from voc.feedback.models import FeedbackItem, Source, SyncRun

pytestmark = pytest.mark.django_db
RESPONSES = "/forms/AbCdEf/responses"


@pytest.fixture
def typeform(api, monkeypatch):
    monkeypatch.setenv("TYPEFORM_TEST_TOKEN", "tfp_secret")
    return SourceFactory(
        name="NPS survey", kind=Source.Kind.TYPEFORM,
        settings={"form_id": "AbCdEf", "token_env": "TYPEFORM_TEST_TOKEN", "base_url": api.url,
                  "requests_per_minute": 0, "page_size": 2},
    )


def test_responses_become_survey_feedback_with_their_score_and_comment(api, typeform):
    api.add(RESPONSES, Reply(payload("typeform_responses_page1.json")), when=("since", "2026-11-01T00:00:00Z"))
    page2 = payload("typeform_responses_page2.json")
    api.add(RESPONSES, Reply(page2), when=("since", "2026-11-20T11:00:05Z"))
    # A full page: the next starts again at its last second, sees t3 again, and is the last.
    api.add(RESPONSES, Reply(page2 | {"items": page2["items"][1:]}), when=("since", "2026-11-21T09:30:05Z"))
    run = source_sync(source_id=typeform.pk, since=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))

    assert (run.status, run.pages, run.items_new) == (SyncRun.Status.DONE, 3, 2)
    assert run.items_failed == 2  # the score-only response, seen on both pages
    fees = FeedbackItem.objects.get(external_id="t1")
    assert (fees.kind, fees.nps_score, fees.author_email) == ("survey", 3, "lena@pebble.example")
    login = FeedbackItem.objects.get(external_id="t3")
    assert (login.text, login.author_email, login.metadata["account_crm_id"]) == (
        "Die App stürzt beim Login ab", "max@acme.example", "CRM-42")
    assert api.requests[0]["headers"]["Authorization"] == "Bearer tfp_secret"
    assert api.requests[0]["query"]["sort"] == "submitted_at,asc"
    typeform.refresh_from_db()
    assert typeform.cursor == {"since": "2026-11-21T09:30:05Z"}
