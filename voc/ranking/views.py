"""The PM's ranked theme list and a theme's score explanation, inside the admin."""

import csv
from collections.abc import Iterable

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from voc.accounts.models import Account
from voc.feedback.models import FeedbackUnit, Source
from voc.ranking.charts import sentiment_cell, week_sentiment_svg, week_sparkline_svg, week_trend_svg
from voc.ranking.competitors import CompetitorMention, competitor_names
from voc.ranking.explanation import policy_terms, theme_explanation
from voc.ranking.scoring import WeightPolicy
from voc.ranking.selectors import (
    FILTERS,
    RANKING_PERIODS,
    ItemThemes,
    RankedTheme,
    items_with_themes,
    ranking_read,
    theme_competitor_quotes,
    theme_explained,
    theme_week_series,
    unsorted_weighed,
)
from voc.ranking.sentiment import SENTIMENTS, sentiment_phrase, sentiment_trend
from voc.themes.models import ProductArea, Theme, ThemeEvent
from voc.themes.selectors import theme_quotes

PERIODS = {f"{days}d": days for days in RANKING_PERIODS}
DEFAULT_PERIOD = "90d"
TREND_WEEKS = 12
THEMES_PER_PAGE = 100
# The explanation lists the biggest accounts; the rest fold into one line that keeps their total, as do the people
# we could not tie to an account (?voices=all: all of both).
VOICES_SHOWN = 100
ACCOUNT_CHOICES = 200
# The list's header cells in the order shown: whether the cell holds figures, and its lines, each a sort key ("" for
# words without a link), the words and what they mean (the link's title, with the formula where there is one).
HEADERS = [
    (True, [("rank", "Rank", "Place by score, the customer weight: 1 is the heaviest")]),
    (False, [("theme", "Theme", "Sort by name"),
             ("status", "status", "Sort by status: new, acknowledged, planned, shipped, won't fix"),
             ("", "product area", "")]),
    (True, [("score", "Score", "Customer weight: Σ over distinct accounts and unresolved authors of "
                               "value × reliability × freshness × repeat (how it is computed: above the filters)"),
            ("", "90% interval", "")]),
    (True, [("change", "Change, week", "Score now − score of the same period ending a week ago"),
            ("change_4_weeks", "4 weeks", "Score now − score of the same period ending four weeks ago")]),
    (True, [("accounts", "Accounts", "Distinct accounts that raised the theme in the period"),
            ("arr", "ARR", "Annual recurring revenue of those accounts, added up")]),
    (True, [("mentions", "Mentions", "Feedback items that raised the theme; two units of one item are one mention"),
            ("mentions_rank", "rank by mentions", "The place a count of mentions would give, beside the place by "
                                                  "weight"),
            ("loudness", "loudest account", "Share of mentions from the single loudest account: its mentions ÷ "
                                            "all mentions")]),
    (False, [("negative", "Sentiment", "Shares of the units measured negative, neutral and positive; sorts by the "
                                       "negative share")]),
]
CSV_COLUMNS = [
    "rank", "rank_by_mentions", "theme", "emerging", "score", "low_90", "high_90", "change_vs_last_week",
    "change_vs_4_weeks_ago",
    "accounts", "arr", "mentions", "loudness", "too_little_evidence", "status", "product_area",
    "negative_units", "neutral_units", "positive_units", "competitors",
]
# The list names a theme's top competitors; the rest are counted, and named in the cell's tooltip.
COMPETITORS_SHOWN = 2


@permission_required("themes.view_theme", raise_exception=True)
def ranked_list(request):
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    # A filter given more than once matches any of its values (the digest links to such lists).
    filters = {name: [value for value in request.GET.getlist(name) if value] for name in FILTERS}
    # Beside the score: ?sentiment=negative keeps the themes whose units are mostly negative (voc.ranking.sentiment),
    # ?competitor=<id> those with a unit naming that competitor in the period. An unknown value filters nothing.
    sentiment = request.GET.get("sentiment") if request.GET.get("sentiment") in SENTIMENTS else ""
    competitor = int(request.GET["competitor"]) if request.GET.get("competitor", "").isdigit() else None
    sort = request.GET.get("o", "rank")
    ranking = ranking_read(
        period_days=PERIODS[period], order=sort, sentiment=sentiment, competitor=competitor, **filters
    )
    if request.GET.get("export") == "csv":
        return _csv(ranking.rows, period)
    if request.GET.get("export") == "items":
        return _items_csv(items_with_themes(period_days=PERIODS[period], **filters), period)

    page = Paginator(ranking.rows, THEMES_PER_PAGE).get_page(request.GET.get("page"))
    # The trends follow the filters, so a row's sparkline is the same measure as its score.
    series = theme_week_series([row.theme.pk for row in page], weeks=TREND_WEEKS, **filters)
    query_but_competitor = _without(request.GET, "page", "competitor")
    return render(
        request,
        "admin/ranking/ranked_list.html",
        admin.site.each_context(request)
        | {
            "title": "Themes ranked by customer weight",
            "rows": [(row, week_sparkline_svg(series[row.theme.pk])) for row in page],
            # Built here, not in the template: a hundred rows of loops and filters cost 40 ms there.
            "beside": {
                row.theme.pk: (
                    sentiment_cell(row.sentiment, trend=sentiment_trend(series[row.theme.pk].sentiments)),
                    _competitor_cell(row.competitors, competitor, query_but_competitor),
                )
                for row in page
            },
            "sentiment": sentiment,
            "sentiment_choices": [(name, f"mostly {name}") for name in SENTIMENTS],
            "competitor": competitor,
            "competitor_choices": sorted(competitor_names().items(), key=lambda choice: choice[1].lower()),
            "page": page,
            "computed_at": ranking.computed_at,
            "unsorted": unsorted_weighed(period_days=PERIODS[period], **filters),
            "policy": WeightPolicy.from_settings(),
            "period": period,
            "periods": list(PERIODS),
            "filters": filters,
            "choices": _filter_choices(),
            "sort": sort,
            "headers": HEADERS,
            "query": _without(request.GET, "page"),
        },
    )


@permission_required("themes.view_theme", raise_exception=True)
def theme_explain(request, theme_id: int):
    theme = get_object_or_404(Theme.objects.select_related("product_area", "merged_into"), pk=theme_id)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    now = timezone.now()
    row = theme_explained(theme=theme, period_days=PERIODS[period], now=now)
    policy = WeightPolicy.from_settings()
    explanation = theme_explanation(
        row=row, period_days=PERIODS[period], now=now, policy=policy,
        shown=None if request.GET.get("voices") == "all" else VOICES_SHOWN,
    )
    weekly = theme_week_series([theme.pk], weeks=TREND_WEEKS)[theme.pk]
    voices = row.score.contributions if row else ()
    units = (
        FeedbackUnit.objects.filter(theme=theme)
        .select_related("item__account", "item__source")
        .order_by("-item__occurred_at", "-item_id", "position")
    )
    if request.GET.get("source"):
        units = units.filter(item__source_id=request.GET["source"])
    if request.GET.get("account"):
        units = units.filter(item__account_id=request.GET["account"])
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    quotes = theme_quotes(theme=theme)
    return render(
        request,
        "admin/ranking/theme_explain.html",
        admin.site.each_context(request)
        | {
            "title": theme.display_name,
            "theme": theme,
            "row": row,
            "explanation": explanation,
            "policy": policy,
            "terms": policy_terms(policy),
            "period": period,
            "periods": list(PERIODS),
            "trend": week_trend_svg(weekly),
            "sentiment_chart": week_sentiment_svg(weekly),
            "sentiment_phrase": sentiment_phrase(row.sentiment, sentiment_trend(weekly.sentiments)) if row else "",
            "competitor_quotes": theme_competitor_quotes(
                theme=theme, mentions=row.competitors, period_days=PERIODS[period]
            ) if row else [],
            "quotes": quotes,
            "page": page,
            # Filter choices without scanning the theme's items: every source, and the accounts behind the biggest
            # contributions in the period (a select of thousands helps nobody; the account page lists the rest).
            "sources": Source.objects.order_by("name"),
            "accounts": sorted(
                ((voice.account_id, voice.label) for voice in voices[:ACCOUNT_CHOICES] if voice.account_id is not None),
                key=lambda account: account[1].lower(),
            ),
            # Both sides of the lineage: what became of this theme, and what other themes did into it.
            "events": ThemeEvent.objects.filter(Q(theme=theme) | Q(other_theme=theme))
            .select_related("theme", "other_theme")
            .order_by("-created_at", "-pk")[:30],
            "selected_source": request.GET.get("source", ""),
            "selected_account": request.GET.get("account", ""),
        },
    )


def _without(params, *names: str) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _competitor_cell(mentions: tuple[CompetitorMention, ...], competitor: int | None, query: str) -> str:
    """The top competitors a row's customers name, each a link that filters the list by it (the one filtered by
    first); the rest counted, and named in the tooltip."""
    if not mentions:
        return mark_safe('<span class="quiet">—</span>')
    mentions = sorted(mentions, key=lambda mention: mention.competitor_id != competitor)
    links = format_html_join(
        mark_safe(" · "), '<a href="?{}" title="Themes whose customers name {}">{}</a>',
        ((f"{query}&competitor={mention.competitor_id}" if query else f"competitor={mention.competitor_id}",
          mention.name, mention.phrase) for mention in mentions[:COMPETITORS_SHOWN]),
    )
    rest = mentions[COMPETITORS_SHOWN:]
    if not rest:
        return links
    return format_html('{} <span class="quiet" title="{}">and {} more</span>', links,
                       "; ".join(mention.phrase for mention in rest), len(rest))


def _filter_choices() -> dict[str, list[tuple[str, str]]]:
    return {
        "segment": list(Account.Segment.choices),
        "tier": list(Account.Tier.choices),
        "region": [(region, region) for region in
                   Account.objects.exclude(region="").values_list("region", flat=True).distinct().order_by("region")],
        "source_kind": list(Source.Kind.choices),
        "product_area": [(name, name) for name in ProductArea.objects.values_list("name", flat=True)],
        "status": list(Theme.Status.choices),
    }


def _csv(rows: Iterable[RankedTheme], period: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="voc-themes-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        score = row.score
        writer.writerow([
            row.rank, row.rank_by_mentions, _csv_safe(row.theme.display_name), row.theme.emerging, f"{score.score:.4f}",
            f"{score.low:.4f}", f"{score.high:.4f}", f"{row.change:.4f}", f"{row.change_4_weeks:.4f}",
            score.accounts, score.arr, score.mentions,
            f"{score.loudness:.4f}", score.too_little_evidence, row.theme.status,
            _csv_safe(row.theme.product_area.name if row.theme.product_area else ""),
            row.sentiment.negative, row.sentiment.neutral, row.sentiment.positive,
            _csv_safe(" | ".join(mention.phrase for mention in row.competitors)),
        ])
    return response


ITEMS_CSV_COLUMNS = ["item_id", "occurred_at", "account", "theme_ids", "themes"]


def _items_csv(items: Iterable[ItemThemes], period: str) -> StreamingHttpResponse:
    """One row per item with every theme it raised ("|" between them), streamed: the export can be large."""

    def lines():
        buffer = _LineBuffer()
        writer = csv.writer(buffer)
        yield writer.writerow(ITEMS_CSV_COLUMNS)
        for item in items:
            yield writer.writerow([
                item.item_id, item.occurred_at.isoformat(), _csv_safe(item.account),
                "|".join(str(theme_id) for theme_id, _ in item.themes),
                _csv_safe(" | ".join(name for _, name in item.themes)),
            ])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="voc-items-themes-{period}.csv"'
    return response


class _LineBuffer:
    """csv.writer's file: hands each written row back instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def _csv_safe(text: str) -> str:
    """A spreadsheet runs a cell that starts with =, +, - or @ as a formula, and may skip a leading tab or carriage
    return to find one (OWASP's CSV injection list); a leading quote keeps it text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
