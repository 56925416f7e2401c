"""Reads for feedback: the lists and pages people browse, and where an item's feedback went."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Substr

from voc.feedback.models import FeedbackItem, FeedbackUnit, Source

if TYPE_CHECKING:  # for annotations only: feedback reads themes through its units, never imports the app
    from voc.themes.models import Theme

# Enough for a line of context in a list; the full text (up to VOC_MAX_TEXT_CHARS) stays in the database.
PREVIEW_CHARS = 200
# A call transcript can join a dozen themes; a confirmation names the first few and counts the rest.
THEMES_NAMED = 5


def feedback_list(**filters) -> QuerySet[FeedbackItem]:
    """Feedback newest first, filtered as feedback_filter does; rows carry `text_preview` instead of the full text."""
    items = (
        FeedbackItem.objects.select_related("source", "account")
        .defer("text", "metadata")
        .annotate(text_preview=Substr("text", 1, PREVIEW_CHARS))
        .order_by("-occurred_at", "-id")
    )
    return feedback_filter(items, **filters)


def feedback_themes_attach(*, items: Iterable[FeedbackItem]) -> None:
    """Give each item of a page `themes`: every theme its units joined, in the order it raised them, each once.

    One query for the page; an item's `theme` is only the first of them, and a list that filters by a theme shows
    items that raised it second."""
    items = list(items)
    units = (
        FeedbackUnit.objects.filter(item_id__in=[item.pk for item in items], theme__isnull=False)
        .select_related("theme")
        .only("item_id", "position", "theme__name", "theme__human_name", "theme__emerging")
        .order_by("item_id", "position")
    )
    themes_by_item: dict[int, dict[int, Theme]] = {}
    for unit in units:
        themes_by_item.setdefault(unit.item_id, {}).setdefault(unit.theme_id, unit.theme)
    for item in items:
        item.themes = list(themes_by_item.get(item.pk, {}).values())


def feedback_filter(
    items: QuerySet[FeedbackItem],
    *,
    source_id: int | None = None,
    kind: str = "",
    account_id: int | None = None,
    status: str = "",
    theme_id: int | None = None,
    segment: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    sentiment: str = "",
) -> QuerySet[FeedbackItem]:
    """Items narrowed by the filters the list, the search and the API share; since is inclusive, until exclusive.

    theme_id keeps every item that raised the theme in any of its units, not only those it leads.
    """
    if source_id is not None:
        items = items.filter(source_id=source_id)
    if kind:
        items = items.filter(kind=kind)
    if account_id is not None:
        items = items.filter(account_id=account_id)
    if status:
        items = items.filter(status=status)
    if theme_id is not None:
        # A subquery, not a join: an item with two units in the theme is listed once.
        items = items.filter(pk__in=FeedbackUnit.objects.filter(theme_id=theme_id).values("item_id"))
    if segment:
        items = items.filter(account__segment=segment)
    if since is not None:
        items = items.filter(occurred_at__gte=since)
    if until is not None:
        items = items.filter(occurred_at__lt=until)
    if sentiment:
        items = items.filter(sentiment=sentiment)
    return items


def feedback_get(*, item_id: int) -> FeedbackItem | None:
    """One feedback item with everything its page shows, or None."""
    return (
        FeedbackItem.objects.select_related("source", "account", "contact", "logged_by").filter(pk=item_id).first()
    )


def items_without_content() -> QuerySet[FeedbackItem]:
    """Processed items that held nothing but pleasantries ("@acme thanks!"): kept and counted, in no theme."""
    return FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED).exclude(
        Exists(FeedbackUnit.objects.filter(item=OuterRef("pk")))
    )


def sources_enabled() -> QuerySet[Source]:
    """Sources that may receive feedback now."""
    return Source.objects.filter(enabled=True).order_by("name")


def sources_all() -> QuerySet[Source]:
    """Every source, for filters over past feedback."""
    return Source.objects.order_by("name")


@dataclass(frozen=True)
class PlacedUnit:
    """One problem an item raises, in its words, and the theme it joined (None: Unsorted)."""

    number: int  # 1 for the item's first unit, as pages count them
    words: str
    start: int | None
    end: int | None
    theme: "Theme | None"
    unit_id: int | None = None  # its FeedbackUnit, for links to it ("more like this")
    sentiment: str = ""  # Sentiment value; blank: not measured
    sentiment_score: float | None = None


@dataclass(frozen=True)
class TextPart:
    """A stretch of an item's text: one unit's words (with that unit), or the words between units (unit None)."""

    text: str
    unit: PlacedUnit | None = None


@dataclass(frozen=True)
class Placement:
    """Where an item's feedback went: each of its units and its theme, as far as processing has got."""

    status: str  # the item's FeedbackItem.Status
    units: tuple[PlacedUnit, ...]

    @property
    def processed(self) -> bool:
        return self.status == FeedbackItem.Status.PROCESSED

    @property
    def themes(self) -> list["Theme"]:
        """The themes its units joined, each once, in the order the item raises them."""
        themes = {unit.theme.pk: unit.theme for unit in self.units if unit.theme is not None}
        return list(themes.values())

    @property
    def has_unsorted(self) -> bool:
        return any(unit.theme is None for unit in self.units)

    @property
    def no_content(self) -> bool:
        """Processed and found to hold no problem at all: greetings, thanks, sign-offs only."""
        return self.processed and not self.units

    @property
    def summary(self) -> str:
        """Where it went, in a few words: what the person who logged it is told."""
        if self.status == FeedbackItem.Status.PENDING:
            return "being sorted — its page will show where it went"
        if self.status == FeedbackItem.Status.FAILED:
            return "could not be sorted — its page says why"
        if self.no_content:
            return "no feedback content (greetings or thanks only)"
        themes = self.themes
        if not themes:
            return "Unsorted for now"
        names = ", ".join(theme.display_name for theme in themes[:THEMES_NAMED])
        if len(themes) > THEMES_NAMED:
            names += f" and {len(themes) - THEMES_NAMED} more"
        return f"joined {names}" + ("; the rest is Unsorted for now" if self.has_unsorted else "")

    def text_parts(self, text: str) -> list[TextPart]:
        """The item's text cut at its units' offsets, so that a page can mark each unit where it stands.

        Only a processed item's units are marked (a pending one's are about to be replaced). A unit without
        offsets (an HTML body's) is not in the text verbatim and is left out, as is one that would overlap the one
        before it or run past the text, which the splitter never writes, so a bad row cannot garble the page.
        """
        parts, at = [], 0
        for unit in self.units if self.processed else ():
            if unit.start is None or unit.end is None or unit.start < at or not unit.start < unit.end <= len(text):
                continue
            if unit.start > at:
                parts.append(TextPart(text[at : unit.start]))
            parts.append(TextPart(text[unit.start : unit.end], unit))
            at = unit.end
        if at < len(text):
            parts.append(TextPart(text[at:]))
        return parts


def feedback_placement(*, item_id: int) -> Placement | None:
    """Where an item's feedback went: its units in order with their themes, in two queries; None if no such item."""
    item = FeedbackItem.objects.only("status", "text").filter(pk=item_id).first()
    if item is None:
        return None
    units = (
        FeedbackUnit.objects.filter(item_id=item_id)
        .select_related("theme")
        .only(
            "position", "start", "end", "text", "sentiment", "sentiment_score",
            "theme__name", "theme__human_name", "theme__emerging",
        )
        .order_by("position")
    )
    return Placement(
        status=item.status,
        units=tuple(
            PlacedUnit(
                number=number,
                # FeedbackUnit.words, from the text read once here rather than an item load per unit.
                words=unit.text if unit.start is None else item.text[unit.start : unit.end],
                start=unit.start,
                end=unit.end,
                theme=unit.theme,
                unit_id=unit.pk,
                sentiment=unit.sentiment,
                sentiment_score=unit.sentiment_score,
            )
            for number, unit in enumerate(units, start=1)
        ),
    )
