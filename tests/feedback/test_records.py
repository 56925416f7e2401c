import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from voc.feedback.models import Source
from voc.feedback.records import RecordRejected, content_hash, record_clean

API = Source(name="api", kind=Source.Kind.API)
ZENDESK = Source(name="zendesk", kind=Source.Kind.ZENDESK)


def clean(source=API, **raw):
    raw.setdefault("kind", "ticket")
    return record_clean(raw, source=source)


def rejection(source=API, **raw):
    with pytest.raises(RecordRejected) as caught:
        clean(source, **raw)
    return caught.value.errors


def test_it_accepts_a_minimal_record():
    record = clean(text="  My card never arrived  ")
    assert record.text == "My card never arrived"
    assert record.kind == "ticket"
    assert record.external_id.startswith("auto:")


def test_it_rejects_an_empty_text():
    assert rejection(text="")["text"] == "is empty"


def test_it_rejects_a_whitespace_only_text():
    assert rejection(text=" \n\t ")["text"] == "is empty"


def test_it_requires_a_text():
    assert rejection()["text"] == "is required"


def test_it_keeps_the_first_20000_characters_of_a_long_text_and_flags_it():
    record = clean(text="x" * 25_000)
    assert len(record.text) == 20_000
    assert record.text_truncated
    assert record.original_length == 25_000
    assert "25,000" in record.warnings[0]


def test_it_names_every_unknown_field():
    assert rejection(text="hi", colour="red", size=3)["record"] == "unknown field(s): colour, size"


def test_it_rejects_text_that_came_from_invalid_utf8():
    assert "UTF-8" in rejection(text="bad \udc80 byte")["text"]


def test_it_drops_nul_characters_that_postgres_cannot_store():
    assert clean(text="a\x00b").text == "ab"


def test_it_keeps_html_and_script_verbatim_as_text():
    html = "<script>alert(1)</script><b>bold</b>"
    assert clean(text=html).text == html


def test_it_rejects_a_javascript_url():
    assert rejection(text="hi", url="javascript:alert(1)")["url"] == "must be an http or https URL"


def test_it_rejects_a_malformed_email():
    assert "not an email" in rejection(text="hi", author_email="nobody")["author_email"]


def test_it_lowercases_the_author_email():
    assert clean(text="hi", author_email="Jane@Acme.COM").author_email == "jane@acme.com"


def test_it_rejects_a_date_in_the_future():
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    assert "future" in rejection(text="hi", occurred_at=future)["occurred_at"]


def test_it_reads_a_plain_date_as_midnight_utc():
    assert clean(text="hi", occurred_at="2026-01-05").occurred_at == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def test_it_rejects_a_date_it_cannot_read():
    assert "ISO 8601" in rejection(text="hi", occurred_at="last tuesday")["occurred_at"]


@pytest.mark.parametrize("score", [-1, 11, 7.5, "ten", True])
def test_it_rejects_an_nps_score_outside_0_to_10(score):
    assert "nps_score" in rejection(text="hi", nps_score=score)


def test_it_accepts_an_nps_score_given_as_a_string():
    assert clean(text="hi", nps_score="9").nps_score == 9


def test_it_rounds_a_rating_to_cents():
    assert clean(text="hi", rating="4.256").rating == Decimal("4.26")


def test_it_rejects_metadata_that_is_not_an_object():
    assert rejection(text="hi", metadata=[1, 2])["metadata"] == "must be a JSON object"


def test_it_rejects_huge_metadata():
    assert "limit" in rejection(text="hi", metadata={"blob": "x" * 20_000})["metadata"]


def test_it_takes_the_kind_from_the_source_when_the_record_has_none():
    assert record_clean({"text": "hi"}, source=ZENDESK).kind == "ticket"


def test_it_needs_a_kind_when_the_source_implies_none():
    with pytest.raises(RecordRejected) as caught:
        record_clean({"text": "hi"}, source=API)
    assert "is required" in caught.value.errors["kind"]


def test_it_reports_every_problem_at_once():
    errors = rejection(text="", url="ftp://x", nps_score=99)
    assert set(errors) == {"text", "url", "nps_score"}


def test_it_derives_the_same_external_id_for_the_same_feedback():
    first = clean(text="hi", author_email="a@b.example", occurred_at="2026-01-01")
    again = clean(text="hi", author_email="a@b.example", occurred_at="2026-01-01")
    other = clean(text="hi", author_email="c@b.example", occurred_at="2026-01-01")
    assert first.external_id == again.external_id != other.external_id


def test_it_accepts_a_numeric_external_id():
    assert clean(text="hi", external_id=12345).external_id == "12345"


def test_content_hash_ignores_whitespace_differences():
    assert content_hash("card  not\narrived ") == content_hash("card not arrived")
