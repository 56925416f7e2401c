"""Trend charts drawn on the server as inline SVG: no script, no CDN, and they render in email too."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from voc.ranking.sentiment import SENTIMENTS, TREND_WORDS

LINE = "#2563eb"
SPIKE = "#dc2626"
GRID = "#e5e7eb"
QUIET = "#6b7280"
# Sentiment, in the order of voc.ranking.sentiment.SENTIMENTS: red and blue apart from grey, told apart by people
# who cannot tell red from green; every chart also says which is which in words.
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#2563eb"}


def sparkline_svg(values: list[float], *, width: int = 100, height: int = 22, spikes: list[bool] | None = None) -> str:
    """A small line of the values, oldest first; the last point (and any spike) marked."""
    if not values:
        return ""
    points = _points(values, width, height, pad=2)
    marks = [points[-1]] + [point for point, spike in zip(points, spikes or [], strict=False) if spike]
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{SPIKE if index else LINE}"/>'
        for index, (x, y) in enumerate(marks)
    )
    label = f"Weekly score, last {len(values)} weeks: " + ", ".join(f"{value:.1f}" for value in values)
    # Safe: only numbers and constants go in, and the label is escaped by _title.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title(label)}<polyline fill="none" stroke="{LINE}" stroke-width="1.5" '
        f'points="{_path(points)}"/>{dots}</svg>'
    )


def trend_svg(labels: list[str], values: list[float], *, spikes: list[bool] | None = None,
              width: int = 640, height: int = 180) -> str:
    """A larger chart for the detail page: the weekly score with its week labels and the scale's maximum."""
    if not values:
        return ""
    left, bottom = 36, 22
    inner = _points(values, width - left - 8, height - bottom - 8, pad=4)
    points = [(x + left, y + 8) for x, y in inner]
    top = max(values) or 1.0
    ticks = "".join(
        format_html('<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#6b7280">{}</text>',
                    f"{x:.1f}", height - 6, label)
        for index, ((x, _), label) in enumerate(zip(points, labels, strict=True))
        if index % max(1, len(labels) // 6) == 0 or index == len(labels) - 1
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 if spike else 2.5}" fill="{SPIKE if spike else LINE}"/>'
        for (x, y), spike in zip(points, spikes or [False] * len(points), strict=True)
    )
    # Safe: numbers and constants; the week labels went through format_html.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{_title("Weekly score by week")}'
        f'<line x1="{left}" y1="8" x2="{width - 8}" y2="8" stroke="{GRID}"/>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" stroke="{GRID}"/>'
        f'<text x="{left - 4}" y="12" font-size="10" text-anchor="end" fill="#6b7280">{top:.0f}</text>'
        f'<text x="{left - 4}" y="{height - bottom}" font-size="10" text-anchor="end" fill="#6b7280">0</text>'
        f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="{_path(points)}"/>{dots}{ticks}</svg>'
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


def sentiment_weeks_svg(labels: list[str], weeks: list, *, width: int = 640, height: int = 210) -> str:
    """Each week's shares of negative, neutral and positive units (SentimentCounts, oldest first) as columns
    stacked to 100%, negative on the axis so it compares week to week; under each, how many units were measured.
    A week with none measured stays empty rather than drawn as 0%."""
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
        column = []
        y = top + plot_height
        for name, _, share in week.shares:
            column.append(f'<rect x="{x:.1f}" y="{y - share * plot_height:.1f}" width="{bar:.1f}" '
                          f'height="{share * plot_height:.1f}" fill="{SENTIMENT_COLOURS[name]}"/>')
            y -= share * plot_height
        tick = (index % max(1, len(labels) // 6) == 0) or index == len(labels) - 1
        parts.append(
            format_html('<g>{}', _title(f"Week of {label}: {_sentiment_label(week)}"))
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


def _points(values: list[float], width: float, height: float, *, pad: float) -> list[tuple[float, float]]:
    top = max(max(values), 1e-9)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    return [(pad + index * step, pad + (height - 2 * pad) * (1 - value / top)) for index, value in enumerate(values)]


def _path(points) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _title(text: str) -> SafeString:
    return format_html("<title>{}</title>", text)
