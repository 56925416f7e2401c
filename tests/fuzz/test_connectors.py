"""Each connector's reading of one API record: a record record_clean takes or refuses with a reason, or a skip
with its reason; never an exception that would take the rest of the page down with it.

Records are shaped like each API's: the fields it always sends (ids) are there with their documented type;
every other field may be missing, null, or hold odd text, HTML, control characters, huge text or odd dates.
"""

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from ingest.hubspot.connector import note_record
from ingest.intercom.connector import conversation_record
from ingest.reddit.connector import post_record as reddit_post_record
from ingest.salesforce.connector import task_record
from ingest.twitter.connector import post_record as x_post_record
from ingest.typeform.connector import TypeformConnector
from ingest.zendesk.connector import ticket_record
from tests.fuzz.checks import record_or_reason
from tests.fuzz.strategies import api_object, epoch_seconds, iso_dates, json_values, maybe, texts
from voc.feedback.models import Source
from voc.feedback.records import RECORD_FIELDS

ids = st.integers(min_value=1, max_value=2**53) | st.text("0123456789abcdefABCDEF", min_size=1, max_size=20)
emails = st.emails() | texts(huge=False)


def read_or_reason(record, *, kind: str) -> None:
    assert set(record) <= RECORD_FIELDS
    assert record["external_id"] not in ("None", "t3_None")  # a null id must not become one shared id
    record_or_reason(record, kind=kind)


tickets = api_object(
    {"id": ids},
    {
        "subject": maybe(texts()), "description": maybe(texts()), "created_at": maybe(iso_dates()),
        "updated_at": maybe(iso_dates()), "status": maybe(st.sampled_from(["new", "open", "pending", "solved"])),
        "tags": maybe(st.lists(texts(huge=False), max_size=3)), "organization_id": maybe(ids),
    },
)
requesters = api_object({}, {"email": maybe(emails), "name": maybe(texts())})


@given(ticket=tickets, requester=requesters)
def test_a_zendesk_ticket_is_a_record_or_a_reason(ticket, requester):
    read_or_reason(ticket_record(ticket, requester, base_url="https://acme.zendesk.com"), kind=Source.Kind.ZENDESK)


conversations = api_object(
    {
        "id": ids.map(str),
        "created_at": maybe(epoch_seconds()),
        "source": api_object(
            {"author": api_object(
                {"type": st.sampled_from(["user", "lead", "contact", "admin", "bot"])},
                {"email": maybe(emails), "name": maybe(texts())},
            )},
            {"subject": maybe(texts()), "body": maybe(texts()), "url": maybe(texts(huge=False)),
             "delivered_as": maybe(st.sampled_from(["customer_initiated", "admin_initiated"]))},
        ),
    },
    {
        "title": maybe(texts()), "updated_at": maybe(epoch_seconds()),
        "state": maybe(st.sampled_from(["open", "closed", "snoozed"])), "priority": maybe(texts(huge=False)),
        "tags": maybe(api_object({}, {"tags": maybe(st.lists(api_object({}, {"name": maybe(texts(huge=False))})))})),
    },
)


@given(conversation=conversations)
def test_an_intercom_conversation_is_a_record_or_a_reason(conversation):
    record, reason = conversation_record(conversation, workspace="ws")

    if record is None:
        assert reason
    else:
        read_or_reason(record, kind=Source.Kind.INTERCOM)


answers = st.one_of(
    api_object({"field": api_object({"type": st.sampled_from(["nps", "opinion_scale", "rating"])},
                                    {"ref": maybe(texts(huge=False))})},
               {"type": st.just("number"), "number": maybe(st.integers(-5, 15) | st.floats() | st.integers())}),
    api_object({"field": api_object({"type": st.sampled_from(["long_text", "short_text"])},
                                    {"ref": maybe(texts(huge=False))})},
               {"type": st.just("text"), "text": maybe(texts())}),
    api_object({"field": api_object({"type": st.just("email")}, {})},
               {"type": st.just("email"), "email": maybe(emails)}),
)
responses = api_object(
    {"token": st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=32)},
    {
        "submitted_at": maybe(iso_dates()), "landed_at": maybe(iso_dates()),
        "answers": maybe(st.lists(answers, max_size=4)),
        "hidden": maybe(st.dictionaries(st.sampled_from(["email", "account_id", "plan"]), maybe(texts()))),
    },
)


@given(response=responses)
def test_a_typeform_response_is_a_record_or_skipped(response):
    # The connector's reading without an API client, as the Typeform webhook reads a response too.
    reader = SimpleNamespace(settings={}, form_id="AbCdEf", _answer=TypeformConnector._answer)

    record = TypeformConnector.response_record(reader, response)

    if record is not None:
        read_or_reason(record, kind=Source.Kind.TYPEFORM)


# fetch_page passes on only posts with an author, not removed, and newer than the last run (created_utc > 0).
reddit_posts = api_object(
    {"id": st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8),
     "author": st.text(min_size=1, max_size=20).filter(lambda author: author != "[deleted]"),
     "created_utc": epoch_seconds().filter(lambda seconds: seconds > 0)},
    {"name": st.text(min_size=1, max_size=12), "title": maybe(texts()), "selftext": maybe(texts()),
     "permalink": maybe(texts(huge=False)), "subreddit": maybe(texts(huge=False)),
     "score": maybe(st.integers()), "num_comments": maybe(st.integers())},
)


@given(post=reddit_posts)
def test_a_reddit_post_is_a_record_or_a_reason(post):
    read_or_reason(reddit_post_record(post), kind=Source.Kind.REDDIT)


# fetch_page passes on only posts with an id and text.
x_posts = api_object(
    {"id": st.text("0123456789", min_size=1, max_size=19), "text": texts().filter(bool)},
    {"created_at": maybe(iso_dates()), "lang": maybe(st.sampled_from(["en", "de", "und", "zxx"]) | texts(huge=False)),
     "conversation_id": maybe(st.text("0123456789", max_size=19)), "author_id": maybe(st.text("0123456789"))},
)
x_users = api_object({}, {"username": maybe(texts(huge=False)), "name": maybe(texts())})


@given(post=x_posts, author=x_users)
def test_an_x_post_is_a_record_or_a_reason(post, author):
    read_or_reason(x_post_record(post, author), kind=Source.Kind.TWITTER)


notes = api_object(
    {"id": ids.map(str)},
    {
        "archived": maybe(st.booleans()),
        "properties": maybe(api_object({}, {
            "hs_note_body": maybe(texts()), "hs_timestamp": maybe(iso_dates()), "hs_createdate": maybe(iso_dates()),
            "hs_lastmodifieddate": maybe(iso_dates()),
        })),
    },
)


@given(note=notes, company_id=maybe(ids.map(str)))
def test_a_hubspot_note_is_a_record_or_skipped(note, company_id):
    record = note_record(note, company_id)

    if record is not None:
        read_or_reason(record, kind=Source.Kind.HUBSPOT)


tasks = api_object(
    {"Id": st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=15, max_size=18)},
    {"Subject": maybe(texts()), "Description": maybe(texts()), "AccountId": maybe(st.text(max_size=18)),
     "CreatedDate": maybe(iso_dates()), "ActivityDate": maybe(iso_dates()), "Type": maybe(json_values())},
)


@given(task=tasks)
def test_a_salesforce_task_is_a_record_or_skipped(task):
    record = task_record(task)

    if record is not None:
        read_or_reason(record, kind=Source.Kind.SALESFORCE)
