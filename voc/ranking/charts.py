"""Trend charts drawn on the server as inline SVG: no script, no CDN, and they render in email too."""

import math
from datetime import date
from typing import TYPE_CHECKING

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from voc.core.charts import day_month, svg_points
from voc.ranking.sentiment import SENTIMENTS, TREND_WORDS

if TYPE_CHECKING:
    from voc.ranking.selectors import WeekSeries

LINE = "#2563eb"
SPIKE = "#dc2626"
GRID = "#e5e7eb"
QUIET = "#6b7280"
# Sentiment, in the order of voc.ranking.sentiment.SENTIMENTS: red and blue apart from grey, told apart by people
# who cannot tell red from green; every chart also says which is which in words.
PALE = ' fill-opacity="0.45"'  # the unfinished week's sentiment column
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#2563eb"}


def week_sparkline_svg(series: "WeekSeries") -> str:
    """A theme's weekly score as a sparkline, the unfinished week drawn apart."""
    return sparkline_svg(series.scores, spikes=series.spikes, weeks=series.weeks, partial_last=series.partial_last)


def week_trend_svg(series: "WeekSeries") -> str:
    """A theme's weekly score as the detail page's trend chart, the unfinished week drawn apart."""
    return trend_svg([day_month(week) for week in series.weeks], series.scores, spikes=series.spikes,
                     partial_last=series.partial_last)


def week_sentiment_svg(series: "WeekSeries") -> str:
    """A theme's weekly sentiment shares as stacked columns, the unfinished week drawn apart."""
    return sentiment_weeks_svg([day_month(week) for week in series.weeks], series.sentiments,
                               partial_last=series.partial_last)


def sparkline_svg(values: list[float], *, width: int = 100, height: int = 22, spikes: list[bool] | None = None,
                  weeks: list[date] | None = None, partial_last: bool = False) -> str:
    """A small line of the weekly values, oldest first; the last point (and any spike) marked. partial_last: the
    last week is not over, so it is drawn apart, dashed into a hollow point, rather than read as a drop.
    weeks: the Mondays, for the title's dates."""
    if not values:
        return ""
    points = _points(values, width, height, pad=3)
    spikes = list(spikes or [False] * len(values))
    line = _line(points, partial_last=partial_last, width=1.5, dash="2 2")
    dots = "".join(
        _dot(point, radius=2, colour=SPIKE if spike else LINE, hollow=partial_last and index == len(points) - 1)
        for index, (point, spike) in enumerate(zip(points, spikes, strict=False))
        if spike or index == len(points) - 1
    )
    # Safe: only numbers and constants go in, and the label is escaped by _title.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title(_sparkline_label(values, weeks, partial_last))}{line}{dots}</svg>'
    )


def trend_svg(labels: list[str], values: list[float], *, spikes: list[bool] | None = None,
              partial_last: bool = False, width: int = 640, height: int = 200) -> str:
    """A larger chart for the detail page: the weekly score against labelled axes (the score, 0 to the top week; the
    weeks by their Monday). partial_last: the last week is not over, so it is dashed into a hollow point labelled
    "so far" rather than read as a drop."""
    if not values:
        return ""
    left, right, top, bottom = 52, 12, 14, 40  # room for the score axis, the last date and the week axis
    plot_width, plot_height = width - left - right, height - top - bottom
    inner = _points(values, plot_width, plot_height, pad=6)
    points = [(x + left, y + top) for x, y in inner]
    highest = max(values)
    # The score axis at 0, half the top week and the top week: where _points puts those values.
    scale = "".join(
        f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="{QUIET}">{_tick(value)}</text>'
        for value, y in [(highest * level, top + 6 + (plot_height - 12) * (1 - level))
                         for level in ((0.0, 0.5, 1.0) if highest else (0.0,))]
    )
    axes = (
        f'<text x="12" y="{top + plot_height / 2:.1f}" font-size="11" fill="{QUIET}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_height / 2:.1f})">weekly score</text>'
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 4}" font-size="11" fill="{QUIET}" '
        f'text-anchor="middle">week starting (Monday, UTC)</text>'
    )
    # A date under every few weeks and the last; the last ends at its point so it is never cut at the edge, and the
    # one before it is left out when the two would overlap.
    step = max(1, len(labels) // 6)
    last = len(labels) - 1
    ticks = "".join(
        format_html('<text x="{}" y="{}" font-size="10" text-anchor="{}" fill="{}">{}</text>',
                    f"{x:.1f}", height - 22, "end" if index == last and last else "middle", QUIET, label)
        for index, ((x, _), label) in enumerate(zip(points, labels, strict=True))
        if index == last or (index % step == 0 and last - index >= step)
    )
    spikes = list(spikes or [False] * len(points))
    dots = "".join(
        _dot(point, radius=4 if spike else 2.5, colour=SPIKE if spike else LINE,
             hollow=partial_last and index == last)
        for index, (point, spike) in enumerate(zip(points, spikes, strict=True))
    )
    so_far = ""
    if partial_last:
        x, y = points[-1]
        # Beside the point, on the side away from the dashed line coming into it, so it never covers it.
        comes_from_above = len(points) > 1 and points[-2][1] < y
        label_y = min(y + 15, top + plot_height) if comes_from_above else max(y - 8, 10)
        so_far = (f'<text x="{x - 2:.1f}" y="{label_y:.1f}" font-size="10" text-anchor="end" fill="{LINE}" '
                  f'class="so-far">so far</text>')
    title = "Weekly score by week" + (f", {labels[0]} to {labels[-1]}" if labels else "") + (
        "; the last week is not over, its score so far" if partial_last else "")
    # Safe: numbers and constants; the week labels and the title went through format_html.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title(title)}{scale}{axes}'
        f'{_line(points, partial_last=partial_last, width=2, dash="4 3")}{dots}{so_far}{ticks}</svg>'
    )


def sentiment_bar_svg(counts, *, width: int = 96, height: int = 10) -> str:
    """A bar split into the shares of negative, neutral and positive units (a SentimentCounts); "" when none is
    measured. Its title says the shares and how many units they are of."""
    if not counts.measured:
        return ""
    rects, x = [], 0.0
    for name, _, share in counts.shares:
        rects.append(f'<rect x="{x:.1f}" y="0" width="{share * width:.1f}" height="{height}" '
                     f'fill="{SENTIMENT_COLOURS[name]}"/>')
        x += share * width
    # Safe: numbers and constants; the label is escaped by _title.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title(_sentiment_label(counts))}{"".join(rects)}</svg>'
    )


def sentiment_cell(counts, *, trend: str = "") -> str:
    """A ranked list's sentiment cell: the bar, the three shares in words ("62% neg · 25% neu · 13% pos", each
    abbreviation spelled out for screen readers) and the trend when it moved; or that nothing is measured yet."""
    if not counts.measured:
        return mark_safe('<span class="quiet">not measured yet</span>')
    shares = " · ".join(f'{counts.percent(name)}% <abbr title="{name}">{name[:3]}</abbr>' for name in SENTIMENTS)
    moved = (
        f'<br><span class="mood-{trend}" title="Negative share of the last 4 weeks against the 8 before">'
        f"{TREND_WORDS[trend]}</span>" if trend in ("worse", "better") else ""
    )
    # Safe: numbers and the constant names of sentiments and trends; a hundred rows a page, so no format_html here.
    return mark_safe(f'{sentiment_bar_svg(counts)}<span class="mood-shares">{shares}</span>{moved}')


def sentiment_weeks_svg(labels: list[str], weeks: list, *, partial_last: bool = False, width: int = 640,
                        height: int = 210) -> str:
    """Each week's shares of negative, neutral and positive units (SentimentCounts, oldest first) as columns
    stacked to 100%, negative on the axis so it compares week to week; under each, how many units were measured.
    A week with none measured stays empty rather than drawn as 0%. partial_last: the last week is not over, so its
    column is pale in a dashed outline, labelled "so far"."""
    if not any(week.measured for week in weeks):
        return ""
    left, right, top, bottom = 44, 8, 26, 40  # room for the % axis, the legend, week labels and counts
    plot_height = height - top - bottom
    step = (width - left - right) / len(weeks)
    bar = step * 0.7
    parts = [
        # The scale: 0, 50 and 100% of the week's measured units.
        *(f'<line x1="{left}" y1="{top + plot_height * (1 - level):.1f}" x2="{width - right}" '
          f'y2="{top + plot_height * (1 - level):.1f}" stroke="{GRID}"/>'
          f'<text x="{left - 4}" y="{top + plot_height * (1 - level) + 3:.1f}" font-size="10" text-anchor="end" '
          f'fill="{QUIET}">{round(level * 100)}%</text>' for level in (0.0, 0.5, 1.0)),
        f'<text x="4" y="{top + plot_height / 2:.1f}" font-size="10" fill="{QUIET}" text-anchor="middle" '
        f'transform="rotate(-90 8 {top + plot_height / 2:.1f})">share of units</text>',
    ]
    x = left + 4
    for name, colour in SENTIMENT_COLOURS.items():  # the legend, in words
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="15" font-size="11" fill="#374151">{name}</text>')
        x += 90
    for index, (label, week) in enumerate(zip(labels, weeks, strict=True)):
        x = left + index * step + (step - bar) / 2
        middle = x + bar / 2
        so_far = partial_last and index == len(weeks) - 1
        column = []
        y = top + plot_height
        for name, _, share in week.shares:
            column.append(f'<rect x="{x:.1f}" y="{y - share * plot_height:.1f}" width="{bar:.1f}" '
                          f'height="{share * plot_height:.1f}" fill="{SENTIMENT_COLOURS[name]}"'
                          f'{PALE if so_far else ""}/>')
            y -= share * plot_height
        if so_far:
            column.append(f'<rect x="{x:.1f}" y="{top}" width="{bar:.1f}" height="{plot_height}" fill="none" '
                          f'stroke="{QUIET}" stroke-dasharray="3 2"/><text x="{middle:.1f}" y="{top - 3}" '
                          f'font-size="9" text-anchor="middle" fill="{QUIET}" class="so-far">so far</text>')
        tick = (index % max(1, len(labels) // 6) == 0) or index == len(labels) - 1
        parts.append(
            format_html('<g>{}', _title(f"Week of {label}{' (not over: so far)' if so_far else ''}: "
                                        f"{_sentiment_label(week)}"))
            + mark_safe("".join(column))
            + (format_html('<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                           f"{middle:.1f}", height - bottom + 14, QUIET, label) if tick else "")
            + format_html('<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="{}">{}</text></g>',
                          f"{middle:.1f}", height - bottom + 28, QUIET, f"n={week.measured}")
        )
    # Safe: numbers and constants; labels and titles went through format_html.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title("Share of measured units by sentiment, per week")}{"".join(parts)}</svg>'
    )


def _sentiment_label(counts) -> str:
    if not counts.measured:
        return "no units measured"
    shares = ", ".join(f"{counts.percent(name)}% {name}" for name, _, _ in counts.shares)
    return f"{counts.measured} unit{'s' if counts.measured != 1 else ''} measured: {shares}"


def _line(points, *, partial_last: bool, width: float, dash: str) -> str:
    """The line through the points; with partial_last, solid through the finished weeks and dashed into the last,
    stopping at the hollow point's edge."""
    if not partial_last or len(points) < 2:
        return (f'<polyline fill="none" stroke="{LINE}" stroke-width="{width}" points="{svg_points(points)}"/>'
                if len(points) > 1 else "")
    (x1, y1), (x2, y2) = points[-2], points[-1]
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    keep = max(length - 2.5 - width, 0.0) / length  # short of the point's rim
    solid = (f'<polyline fill="none" stroke="{LINE}" stroke-width="{width}" points="{svg_points(points[:-1])}"/>'
             if len(points) > 2 else "")
    return solid + (
        f'<line class="so-far" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x1 + (x2 - x1) * keep:.1f}" '
        f'y2="{y1 + (y2 - y1) * keep:.1f}" stroke="{LINE}" stroke-width="{width}" stroke-dasharray="{dash}"/>'
    )


def _dot(point, *, radius: float, colour: str, hollow: bool) -> str:
    x, y = point
    if hollow:
        return (f'<circle class="so-far" cx="{x:.1f}" cy="{y:.1f}" r="{radius + 0.5}" fill="none" stroke="{colour}" '
                f'stroke-width="1.5"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"/>'


def _sparkline_label(values: list[float], weeks: list[date] | None, partial_last: bool) -> str:
    span = f"the {len(values)} weeks from {day_month(weeks[0])} to {day_month(weeks[-1])} {weeks[-1].year}" if (
        weeks) else f"last {len(values)} weeks"
    so_far = ", the last not over (so far)" if partial_last else ""
    return f"Weekly score, {span}{so_far}: " + ", ".join(f"{value:.1f}" for value in values)


def _tick(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".") or "0"


def _points(values: list[float], width: float, height: float, *, pad: float) -> list[tuple[float, float]]:
    top = max(max(values), 1e-9)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    return [(pad + index * step, pad + (height - 2 * pad) * (1 - value / top)) for index, value in enumerate(values)]


def _title(text: str) -> SafeString:
    return format_html("<title>{}</title>", text)
