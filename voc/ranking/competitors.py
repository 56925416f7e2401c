"""Competitor mentions per theme: which rival products the customers who raised a theme name, and how many accounts
do ("8 accounts mention Zendesk"). PMs raise a feature's priority when customers say a competitor has it.

Units are tagged with the competitors they name as they are processed (voc.feedback.competitors). Here a theme's
mentions of a competitor over a period are its units that name it: how many distinct accounts wrote them, and in
how many items. Accounts, as the score counts them: ten tickets from one customer are one account that mentions
Zendesk. Like sentiment, this is shown beside the score and never changes it; the snapshots keep it
(ThemeRanking.competitors) so the ranked list filters by it without reading the tags.
"""

from dataclasses import dataclass

from django.db.models import Count

from voc.feedback.models import Competitor, FeedbackUnit

# Quotes per competitor on a theme's page: enough to see what customers say it does better.
QUOTES_PER_COMPETITOR = 3


@dataclass(frozen=True)
class CompetitorMention:
    competitor_id: int
    name: str
    accounts: int  # distinct accounts whose units name it
    mentions: int  # distinct items, with or without an account

    @property
    def phrase(self) -> str:
        """ "8 accounts mention Zendesk", or "3 mentions of Zendesk" when no account is known."""
        if self.accounts:
            noun = "account mentions" if self.accounts == 1 else "accounts mention"
            return f"{self.accounts} {noun} {self.name}"
        return f"{self.mentions} mention{'' if self.mentions == 1 else 's'} of {self.name}"


def competitor_counts(units, *, by: str | None = None) -> dict[tuple, dict[int, tuple[int, int]]]:
    """The units' competitor tags added up by the database: {(theme id, value of `by`): {competitor id: (accounts,
    mentions)}}, the value None when `by` (a unit lookup) is not given."""
    rows = (
        units.filter(competitors__isnull=False)
        .values("theme_id", *([by] if by else []), "competitors")
        .order_by()
        .annotate(accounts=Count("item__account_id", distinct=True), mentions=Count("item_id", distinct=True))
    )
    counts: dict[tuple, dict[int, tuple[int, int]]] = {}
    for row in rows:
        key = (row["theme_id"], row[by] if by else None)
        counts.setdefault(key, {})[row["competitors"]] = (row["accounts"], row["mentions"])
    return counts


def competitor_mentions(counts: dict, names: dict[int, str]) -> tuple[CompetitorMention, ...]:
    """Counts as stored ({competitor id: (accounts, mentions)}, or the snapshot's JSON), named, most accounts
    first; a competitor deleted since the counts were taken is left out."""
    mentions = []
    for competitor_id, figures in counts.items():
        accounts, mentioned = (figures["accounts"], figures["mentions"]) if isinstance(figures, dict) else figures
        name = names.get(int(competitor_id))
        if name is not None:
            mentions.append(CompetitorMention(int(competitor_id), name, accounts, mentioned))
    return tuple(sorted(mentions, key=lambda mention: (-mention.accounts, -mention.mentions, mention.name.lower())))


def competitor_names() -> dict[int, str]:
    """Every competitor's name by id: a short list, read once per page."""
    return dict(Competitor.objects.values_list("pk", "name"))


@dataclass(frozen=True)
class CompetitorQuotes:
    mention: CompetitorMention
    units: list[FeedbackUnit]  # the latest first, with their items and accounts


def competitor_quotes(units, mentions) -> list[CompetitorQuotes]:
    """For one theme's units and the competitors they name (CompetitorMentions), the latest units naming each."""
    quotes = []
    for mention in mentions:
        latest = (
            units.filter(competitors=mention.competitor_id)
            .select_related("item__account")
            .order_by("-item__occurred_at", "-item_id", "position")[:QUOTES_PER_COMPETITOR]
        )
        quotes.append(CompetitorQuotes(mention=mention, units=list(latest)))
    return quotes
