"""record_clean is the one gate every way in goes through: any JSON it is handed is taken or refused with a reason.

A record it takes must also be storable, or the batch it came in with fails at the database instead.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import SourceFactory
from tests.fuzz.checks import record_or_reason
from tests.fuzz.strategies import iso_dates, json_values, texts
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.records import RECORD_FIELDS
from voc.feedback.services import IngestStatus, feedback_ingest_batch

# Per field: plausible values, odd ones, and any JSON at all. NaN is in: webhook bodies are parsed by json.loads.
anything = json_values(nan=True)
odd_numbers = st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324]) | st.floats()
FIELD_VALUES = {
    "external_id": st.one_of(texts(), st.integers(), st.floats(), anything),
    "kind": st.one_of(st.sampled_from(FeedbackItem.Kind.values), texts(), anything),
    "title": st.one_of(texts(), anything),
    "text": st.one_of(texts(), anything),
    "url": st.one_of(st.sampled_from(["https://x.example/a?b=1", "javascript:alert(1)", "http://[::1", "ftp://x"]),
                     texts(), anything),
    "author_email": st.one_of(st.emails(), texts(), anything),
    "author_handle": st.one_of(texts(), anything),
    "author_name": st.one_of(texts(), anything),
    "account_id": st.one_of(st.integers(), odd_numbers, st.sampled_from(["1", "1.0", "1e400", " 7 "]), anything),
    "account_crm_id": st.one_of(texts(), anything),
    "occurred_at": st.one_of(iso_dates(), anything),
    "rating": st.one_of(st.decimals().map(str), odd_numbers, st.integers(), anything),
    "nps_score": st.one_of(st.integers(-3, 13), st.integers(), odd_numbers, texts(huge=False), anything),
    "language": st.one_of(texts(), anything),
    "metadata": st.one_of(
        st.dictionaries(texts(huge=False), anything, max_size=6),
        st.dictionaries(texts(huge=False), odd_numbers, min_size=1, max_size=3),
        anything,
    ),
}
GOOD = {"kind": "ticket", "text": "Exports time out on big workspaces", "author_email": "ana@customer.example"}
records = st.one_of(
    st.sampled_from(sorted(FIELD_VALUES)).flatmap(lambda name: FIELD_VALUES[name].map(lambda v: {**GOOD, name: v})),
    st.fixed_dictionaries({}, optional=FIELD_VALUES),
    st.dictionaries(texts(huge=False) | st.sampled_from(sorted(RECORD_FIELDS)), anything, max_size=6),
)


# One field at a time on an otherwise good record, so each field's odd values reach the checks after validation.
@pytest.mark.parametrize("name", sorted(FIELD_VALUES))
@given(data=st.data())
def test_any_value_of_a_field_is_stored_or_refused_with_a_reason(name, data):
    record_or_reason({**GOOD, name: data.draw(FIELD_VALUES[name], label=name)}, kind=Source.Kind.API)


@given(record=records | anything, kind=st.sampled_from(Source.Kind.values))
def test_any_json_is_a_storable_record_or_a_refusal_with_reasons(record, kind):
    record_or_reason(record, kind=kind)


@pytest.mark.django_db
@given(bad=st.lists(records, min_size=1, max_size=3))
def test_no_record_takes_the_rest_of_its_batch_down(bad):
    source = SourceFactory(name="fuzz api", kind=Source.Kind.API)

    results = feedback_ingest_batch(source=source, records=[*bad, GOOD])

    assert [result.index for result in results] == list(range(len(bad) + 1))
    for result in results:
        assert result.status in (IngestStatus.CREATED, IngestStatus.DUPLICATE, IngestStatus.REJECTED)
        assert bool(result.errors) == (result.status == IngestStatus.REJECTED)
    assert results[-1].status != IngestStatus.REJECTED
    stored = [result.item_id for result in results if result.item_id]
    # What was stored reads back: PostgreSQL keeps a few things (years before 1 in UTC) psycopg cannot return.
    assert len(list(FeedbackItem.objects.filter(pk__in=stored).values())) == len(set(stored))
