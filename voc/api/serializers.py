"""Serializers that describe the API (OpenAPI schema) and shape its output.

They never validate incoming records: that is record_clean's job, reached through feedback_ingest_batch, so
the API follows the same rules as every other way in. The request serializers mirror RECORD_FIELDS
(tests/api/test_schema.py keeps them in step).
"""

from django.conf import settings
from rest_framework import serializers

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem
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
