"""What every parser's output must be: a record record_clean takes, or a refusal that says why."""

import datetime as dt
import json

from django.conf import settings

from voc.feedback.models import FeedbackItem, Source
from voc.feedback.records import RECORD_FIELDS, CleanRecord, RecordRejected, record_clean

# The largest id a bigint primary key holds.
BIGINT_MAX = 2**63 - 1


def reason_given(errors: dict[str, str]) -> None:
    assert errors, "a refusal without a reason"
    for name, message in errors.items():
        assert name in RECORD_FIELDS | {"record"}, name
        assert isinstance(message, str), (name, message)
        assert message.strip(), name
        message.encode("utf-8")  # shown in the admin and written to reject files


def storable(clean: CleanRecord) -> None:
    """Everything a database column and a JSON column will take, as both PostgreSQL and SQLite see it."""
    assert clean.text.strip()
    assert len(clean.text) <= settings.VOC_MAX_TEXT_CHARS
    assert clean.kind in FeedbackItem.Kind.values
    assert 0 < len(clean.external_id) <= 255
    for value in (clean.text, clean.title, clean.external_id, clean.author_email, clean.author_name,
                  clean.author_handle, clean.account_crm_id, clean.language, clean.url):
        assert "\x00" not in value
        value.encode("utf-8")  # no lone surrogates
    # The database keeps times in UTC, from year 1 on; PostgreSQL reads an offset to the second, no finer.
    assert clean.occurred_at.tzinfo is not None
    assert clean.occurred_at.utcoffset().microseconds == 0
    clean.occurred_at.astimezone(dt.UTC)
    assert clean.account_id is None or 1 <= clean.account_id <= BIGINT_MAX
    assert clean.nps_score is None or 0 <= clean.nps_score <= 10
    assert clean.rating is None or 0 <= clean.rating <= 10
    # Neither jsonb nor SQLite's JSON takes NaN or Infinity.
    json.dumps(clean.metadata, allow_nan=False).encode("utf-8")


def record_or_reason(record, *, kind: str) -> CleanRecord | None:
    """record_clean's answer for a source of this kind: a storable record, or None after a reasoned refusal."""
    try:
        clean = record_clean(record, source=Source(name="fuzz", kind=kind))
    except RecordRejected as rejected:
        reason_given(rejected.errors)
        return None
    storable(clean)
    return clean
