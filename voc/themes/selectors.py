"""Reads about themes that more than one page needs."""

from voc.feedback.models import FeedbackItem
from voc.themes.models import Theme

QUOTES_SHOWN = 3


def theme_quotes(*, theme: Theme) -> list[FeedbackItem]:
    """The theme's representative quotes, best first, with their accounts: the same on its page and in the digest."""
    quote_ids = list(theme.representative_item_ids or [])[:QUOTES_SHOWN]
    found = FeedbackItem.objects.filter(pk__in=quote_ids, theme=theme).select_related("account").in_bulk()
    return [found[item_id] for item_id in quote_ids if item_id in found]
