"""The PM's ranked theme list and a theme's score explanation, inside the admin."""

import csv

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem, Source
from voc.ranking.charts import sparkline_svg, trend_svg
from voc.ranking.selectors import FILTERS, RankedTheme, theme_week_series, themes_ranked
from voc.themes.models import ProductArea, Theme

PERIODS = {"30d": 30, "90d": 90, "180d": 180, "365d": 365}
DEFAULT_PERIOD = "90d"
TREND_WEEKS = 12
# Sortable columns: the query value and how to read it off a row.
SORTS = {
    "rank": lambda row: row.rank,
    "mentions_rank": lambda row: row.rank_by_mentions,
    "score": lambda row: row.score.score,
    "change": lambda row: row.change,
    "accounts": lambda row: row.score.accounts,
    "arr": lambda row: row.score.arr,
    "mentions": lambda row: row.score.mentions,
    "loudness": lambda row: row.score.loudness,
    "theme": lambda row: row.theme.display_name.lower(),
    "status": lambda row: row.theme.status,
}
# (sort key, header, numeric) in the order the list shows them.
COLUMNS = [
    ("rank", "#", True), ("mentions_rank", "By mentions", True), ("theme", "Theme", False),
    ("score", "Score (90% interval)", True), ("change", "Δ week", True), ("accounts", "Accounts", True),
    ("arr", "ARR", True), ("mentions", "Mentions", True), ("loudness", "Loudest", True),
]
CSV_COLUMNS = [
    "rank", "rank_by_mentions", "theme", "score", "low_90", "high_90", "change_vs_last_week", "accounts", "arr",
    "mentions", "loudness", "too_little_evidence", "status", "product_area",
]


@permission_required("themes.view_theme", raise_exception=True)
def ranked_list(request):
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    rows = themes_ranked(period_days=PERIODS[period], **filters)
    sort = request.GET.get("o", "rank")
    key = SORTS.get(sort.lstrip("-"), SORTS["rank"])
    rows.sort(key=key, reverse=sort.startswith("-"))
    if request.GET.get("export") == "csv":
        return _csv(rows, period)

    series = theme_week_series([row.theme.pk for row in rows], weeks=TREND_WEEKS)
    return render(
        request,
        "admin/ranking/ranked_list.html",
        admin.site.each_context(request)
        | {
            "title": "Themes ranked by customer weight",
            "rows": [
                (row, sparkline_svg(series[row.theme.pk].scores, spikes=series[row.theme.pk].spikes)) for row in rows
            ],
            "period": period,
            "periods": list(PERIODS),
            "filters": filters,
            "choices": _filter_choices(),
            "sort": sort,
            "columns": COLUMNS,
            "query": request.GET.urlencode(),
        },
    )


@permission_required("themes.view_theme", raise_exception=True)
def theme_explain(request, theme_id: int):
    theme = get_object_or_404(Theme.objects.select_related("product_area", "merged_into"), pk=theme_id)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else DEFAULT_PERIOD
    row = next((row for row in themes_ranked(period_days=PERIODS[period]) if row.theme.pk == theme.pk), None)
    weekly = theme_week_series([theme.pk], weeks=TREND_WEEKS)[theme.pk]
    items = FeedbackItem.objects.filter(theme=theme).select_related("account", "source").order_by("-occurred_at")
    if request.GET.get("source"):
        items = items.filter(source_id=request.GET["source"])
    if request.GET.get("account"):
        items = items.filter(account_id=request.GET["account"])
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    quotes = FeedbackItem.objects.filter(pk__in=theme.representative_item_ids[:3]).select_related("account")
    return render(
        request,
        "admin/ranking/theme_explain.html",
        admin.site.each_context(request)
        | {
            "title": theme.display_name,
            "theme": theme,
            "row": row,
            "period": period,
            "periods": list(PERIODS),
            "trend": trend_svg([f"{week:%d %b}" for week in weekly.weeks], weekly.scores, spikes=weekly.spikes),
            "quotes": quotes,
            "page": page,
            "sources": Source.objects.filter(items__theme=theme).distinct(),
            "accounts": Account.objects.filter(feedback_items__theme=theme).distinct().order_by("name")[:200],
            "events": theme.events.select_related("other_theme")[:20],
            "selected_source": request.GET.get("source", ""),
            "selected_account": request.GET.get("account", ""),
        },
    )


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


def _csv(rows: list[RankedTheme], period: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="voc-themes-{period}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        score = row.score
        writer.writerow([
            row.rank, row.rank_by_mentions, _csv_safe(row.theme.display_name), f"{score.score:.4f}",
            f"{score.low:.4f}", f"{score.high:.4f}", f"{row.change:.4f}", score.accounts, score.arr, score.mentions,
            f"{score.loudness:.4f}", score.too_little_evidence, row.theme.status,
            _csv_safe(row.theme.product_area.name if row.theme.product_area else ""),
        ])
    return response


def _csv_safe(text: str) -> str:
    """A spreadsheet runs a cell that starts with =, +, - or @ as a formula; a leading quote keeps it text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
