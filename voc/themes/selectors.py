"""Reads about themes that more than one page needs."""

from voc.feedback.models import FeedbackUnit
from voc.themes.models import Theme

QUOTES_SHOWN = 3


def theme_quotes(*, theme: Theme) -> list[FeedbackUnit]:
    """The theme's representative quotes (feedback units), best first, with their items and accounts: the same on
    its page and in the digest. A unit's `words` is the quote; its item links to the whole feedback."""
    quote_ids = list(theme.representative_unit_ids or [])[:QUOTES_SHOWN]
    found = FeedbackUnit.objects.filter(pk__in=quote_ids, theme=theme).select_related("item__account").in_bulk()
    return [found[unit_id] for unit_id in quote_ids if unit_id in found]
