"""Reads for feedback: the lists and pages people browse."""

from django.db.models import QuerySet
from django.db.models.functions import Substr

from voc.feedback.models import FeedbackItem, Source

# Enough for a line of context in a list; the full text (up to VOC_MAX_TEXT_CHARS) stays in the database.
PREVIEW_CHARS = 200


def feedback_list(
    *, source_id: int | None = None, kind: str = "", account_id: int | None = None, status: str = ""
) -> QuerySet[FeedbackItem]:
    """Feedback newest first, optionally filtered; rows carry `text_preview` instead of the full text."""
    items = (
        FeedbackItem.objects.select_related("source", "account")
        .defer("text", "metadata")
        .annotate(text_preview=Substr("text", 1, PREVIEW_CHARS))
        .order_by("-occurred_at", "-id")
    )
    if source_id is not None:
        items = items.filter(source_id=source_id)
    if kind:
        items = items.filter(kind=kind)
    if account_id is not None:
        items = items.filter(account_id=account_id)
    if status:
        items = items.filter(status=status)
    return items


def feedback_get(*, item_id: int) -> FeedbackItem | None:
    """One feedback item with everything its page shows, or None."""
    return (
        FeedbackItem.objects.select_related("source", "account", "contact", "logged_by").filter(pk=item_id).first()
    )


def sources_enabled() -> QuerySet[Source]:
    """Sources that may receive feedback now."""
    return Source.objects.filter(enabled=True).order_by("name")


def sources_all() -> QuerySet[Source]:
    """Every source, for filters over past feedback."""
    return Source.objects.order_by("name")
