"""Serializers that describe the API (OpenAPI schema) and shape its output.

They never validate incoming records: that is record_clean's job, reached through feedback_ingest_batch, so
the API follows the same rules as every other way in. The request serializers mirror RECORD_FIELDS
(tests/api/test_schema.py keeps them in step).
"""

import datetime as dt

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem, Sentiment
from voc.feedback.records import MAX_METADATA_BYTES, MAX_TITLE_CHARS
from voc.feedback.services import IngestStatus

API_SOURCE_NAME = "api"


class FeedbackRecordSerializer(serializers.Serializer):
    """One feedback record. Unknown fields reject the record."""

    external_id = serializers.CharField(
        required=False,
        max_length=255,
        help_text="Your id for the item; sending it again answers 'duplicate'. Without it an id is derived "
        "from the text, author and occurred_at, so a retried request creates nothing new.",
    )
    kind = serializers.ChoiceField(
        choices=FeedbackItem.Kind.choices, required=False, help_text="Required unless the source implies one."
    )
    title = serializers.CharField(
        required=False, help_text=f"Kept up to {MAX_TITLE_CHARS} characters; longer titles are cut with a warning."
    )
    text = serializers.CharField(
        help_text=f"The feedback, stored verbatim as plain text (HTML is not interpreted). Longer than "
        f"{settings.VOC_MAX_TEXT_CHARS:,} characters: the start is kept, text_truncated is set and a warning "
        "says so. NUL characters are removed."
    )
    url = serializers.URLField(required=False, help_text="http or https.")
    author_email = serializers.EmailField(required=False)
    author_handle = serializers.CharField(required=False, max_length=100)
    author_name = serializers.CharField(required=False, help_text="Kept up to 200 characters.")
    account_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="A voc account id; unknown ids reject the record."
    )
    account_crm_id = serializers.CharField(
        required=False, help_text="The account's id in the CRM; used to find the account, now or after a CRM import."
    )
    occurred_at = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date or date-time (UTC if no offset); defaults to now. More than a day ahead rejects.",
    )
    rating = serializers.DecimalField(
        required=False, allow_null=True, max_digits=4, decimal_places=2, min_value=0, max_value=10,
        coerce_to_string=False, help_text="e.g. CSAT 1-5.",
    )
    nps_score = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    language = serializers.CharField(required=False, max_length=16, help_text="e.g. 'en'.")
    metadata = serializers.DictField(
        required=False, help_text=f"Any JSON object up to {MAX_METADATA_BYTES // 1024} KiB, stored as given."
    )


class FeedbackSingleRequestSerializer(FeedbackRecordSerializer):
    """One item: a record, optionally with the name of its source."""

    source = serializers.CharField(
        required=False,
        help_text=f"Name of an existing source; defaults to '{API_SOURCE_NAME}'. Unknown names are refused.",
    )


class FeedbackBatchRequestSerializer(serializers.Serializer):
    """A batch: records sharing one source, answered item by item. No other keys are allowed."""

    source = serializers.CharField(
        required=False,
        help_text=f"Name of an existing source; defaults to '{API_SOURCE_NAME}'. Unknown names are refused.",
    )
    items = serializers.ListField(
        child=FeedbackRecordSerializer(), max_length=settings.VOC_API_MAX_BATCH,
        help_text="Each item is answered on its own; a bad item never stops the others.",
    )


class IngestResultSerializer(serializers.Serializer):
    """What became of one item."""

    index = serializers.IntegerField(help_text="Position of the item in the request (0 for a single item).")
    status = serializers.ChoiceField(
        choices=[IngestStatus.CREATED, IngestStatus.DUPLICATE, IngestStatus.REJECTED],
        help_text="created; duplicate (the item was stored before, or earlier in this batch); rejected.",
    )
    id = serializers.IntegerField(required=False, help_text="The stored item's id (new, or the existing one).")
    external_id = serializers.CharField(required=False)
    errors = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="Rejected items: field name to message."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Accepted with changes, e.g. a truncated text."
    )


class IngestCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class IngestResponseSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="The source the items were stored under.")
    counts = IngestCountsSerializer()
    results = IngestResultSerializer(many=True, help_text="One per item, in request order.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AccountRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name"]


class FeedbackItemSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)
    # Plain strings, not the model's URL and email formats: most items have neither, and "" is no URL or email.
    url = serializers.CharField(read_only=True, help_text="An http or https URL, or empty.")
    author_email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    account = AccountRefSerializer(read_only=True, allow_null=True)
    rating = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=10, coerce_to_string=False, allow_null=True,
        read_only=True,
    )
    metadata = serializers.DictField(read_only=True)

    class Meta:
        model = FeedbackItem
        fields = [
            "id", "source", "external_id", "kind", "title", "text", "text_truncated", "url",
            "author_email", "author_handle", "author_name", "account", "resolved_by",
            "occurred_at", "received_at", "rating", "nps_score", "language", "metadata", "status",
        ]
        read_only_fields = fields


# The largest id a bigint primary key holds: a bigger number is refused here, not by the database as a 500.
MAX_ID = 2**63 - 1
# Pages of 20 past the newest (or best) 1,000 items: narrow with the filters instead of paging further.
MAX_PAGE = 50


@extend_schema_field({"type": "string", "example": "2025-03-01"})
class DayOrMomentField(serializers.Field):
    """An ISO 8601 date or date-time; a date is a whole UTC day, and a date-time without an offset is UTC."""

    default_error_messages = {
        "invalid": "Give an ISO 8601 date (2025-03-01) or date-time (2025-03-01T09:00:00Z).",
        "range": "The date is out of range.",
    }

    def __init__(self, *, day_end: bool = False, **kwargs):
        self.day_end = day_end  # a date as `until` includes that day: the bound is the next midnight
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            # A date first: parse_datetime takes "2025-03-01" too, as its midnight, which would end `until` early.
            day = parse_date(data.strip())
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.min) + dt.timedelta(days=1 if self.day_end else 0)
            else:
                moment = parse_datetime(data.strip())
            if moment is None:
                self.fail("invalid")
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            # Here rather than in the database driver, where an offset that crosses year 1 or 9999 raises.
            return moment.astimezone(dt.UTC)
        except ValueError:
            self.fail("invalid")
        except OverflowError:
            self.fail("range")

    def to_representation(self, value):
        return value.isoformat()


class FeedbackListParamsSerializer(serializers.Serializer):
    """The query string of GET /api/v1/feedback: a search and the filters the feedback list shares."""

    q = serializers.CharField(
        required=False, allow_blank=True,
        help_text='Full-text search of titles and texts: words (all must appear), "a phrase", -word to leave out, '
        "OR between alternatives. Results are then best match first, with snippets. Longer than 500 characters: "
        "the start is searched, and `notes` says so.",
    )
    theme = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                     help_text="A theme id: items any of whose problems joined it.")
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="An account id.")
    segment = serializers.ChoiceField(choices=Account.Segment.choices, required=False,
                                      help_text="The account's segment.")
    source = serializers.CharField(required=False, help_text="The name of a source.")
    since = DayOrMomentField(required=False, help_text="Said at or after this date or date-time.")
    until = DayOrMomentField(required=False, day_end=True,
                             help_text="Said before this date-time, or on or before this date.")
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=1)


class FeedbackListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    source = serializers.CharField(source="item.source.name")
    external_id = serializers.CharField(source="item.external_id")
    kind = serializers.CharField(source="item.kind", help_text=", ".join(FeedbackItem.Kind.values) + ".")
    title = serializers.CharField(source="item.title")
    text_preview = serializers.CharField(source="item.text_preview",
                                         help_text="The start of the text; GET /api/v1/feedback/{id} has all of it.")
    account = AccountRefSerializer(source="item.account", allow_null=True)
    occurred_at = serializers.DateTimeField(source="item.occurred_at")
    sentiment = serializers.CharField(source="item.sentiment", help_text="negative, neutral, positive, or empty.")
    status = serializers.CharField(source="item.status", help_text=", ".join(FeedbackItem.Status.values) + ".")
    rank = serializers.FloatField(allow_null=True, help_text="With q: higher is a better match. Otherwise null.")
    title_highlighted = serializers.SerializerMethodField(help_text="With q: the title as HTML, matches in <mark>.")
    snippet = serializers.SerializerMethodField(
        help_text="With q: the passage of the text that matched, as HTML: escaped, the matches in <mark>."
    )

    @extend_schema_field({"type": "string", "nullable": True})
    def get_title_highlighted(self, hit) -> str | None:
        return None if hit.rank is None else str(hit.title_html)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_snippet(self, hit) -> str | None:
        return None if hit.rank is None else str(hit.snippet_html)


class FeedbackListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching items, counted up to 1,000.")
    count_capped = serializers.BooleanField(
        help_text="More than 1,000 match: the results are the best matches among the newest 1,000 (the newest "
        "1,000 without q). Narrow with more words or filters."
    )
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="The next page's URL, or null.")
    previous = serializers.CharField(allow_null=True, help_text="The previous page's URL, or null.")
    query = serializers.CharField(help_text="The search as run: the terms that counted. Empty without q.")
    notes = serializers.ListField(child=serializers.CharField(), help_text="What was changed in the query.")
    results = FeedbackListItemSerializer(many=True)
