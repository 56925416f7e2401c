"""Line charts drawn on the server as inline SVG: no script, no CDN, and the same in light and dark.

The PM's home page draws its top themes' weekly scores with `weekly_lines_svg`. How it reads, and why:

1. Each line's colour is named in words beside it (the legend lists the themes in rank order, each with its
   swatch), and the colours are Okabe and Ito's, which people who cannot tell red from green still tell apart.
   Light and dark pages get their own shade of each, at least 3:1 against the page (WCAG 2.1, 1.4.11).
2. The axes say what they measure: "weekly score" up the side, from 0 to a round number; the weeks' Mondays along
   the bottom as "16 Nov", as many as fit without touching (one in two when the chart is narrow).
3. The current week is not over, so its score is still growing: drawn like the others it would read as a drop
   every Monday to Saturday. It is drawn apart instead: a dashed segment to a hollow point, in a shaded column
   labelled "so far".
4. Every point carries a tooltip with its theme, week and score, and the chart as a whole a description a screen
   reader reads out, so nothing is known from the picture alone.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito hues: (light page, dark page). The light shades are darkened to keep 3:1 on white.
PALETTE = [
    ("#0b63a8", "#56b4e9"),  # blue
    ("#b35c00", "#e69f00"),  # orange
    ("#00775a", "#2ec4a0"),  # bluish green
    ("#a33d8c", "#e08ccf"),  # reddish purple
    ("#3f3f46", "#d4d4d8"),  # black (grey on a dark page): Okabe and Ito's vermillion is too near the orange here
]
# Room around the plot for the axes' labels, in the SVG's own units (it scales to its box).
LEFT, RIGHT, TOP, BOTTOM = 56, 26, 26, 44
# Week labels closer than this would touch ("16 Nov" is about 36 units wide at 11px).
MIN_LABEL_GAP = 46


@dataclass(frozen=True)
class ChartLine:
    label: str
    values: list[float]  # one per week, oldest first
    url: str = ""


def weekly_lines_svg(
    *, weeks: list[date], lines: list[ChartLine], last_week_partial: bool = True, title: str = "Weekly score",
    width: int = 540, height: int = 300,
) -> SafeString:
    """A figure with one line per ChartLine over the weeks (Mondays, oldest first) and its legend in words; the last
    week drawn apart as unfinished ("so far") when last_week_partial. Empty when there is nothing to draw."""
    if not weeks or not lines:
        return mark_safe("")
    plot_width, plot_height = width - LEFT - RIGHT, height - TOP - BOTTOM
    step = plot_width / max(len(weeks) - 1, 1)
    top, ticks = _scale(max((value for line in lines for value in line.values), default=0.0))
    closed = len(weeks) - 1 if last_week_partial and len(weeks) > 1 else len(weeks)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / top)

    parts = [_style(), format_html("<title>{}</title><desc>{}</desc>", title, _description(weeks, lines, closed))]
    if closed < len(weeks):
        band = x(closed) - step / 2
        parts.append(
            f'<rect class="so-far" x="{band:.1f}" y="{TOP}" width="{LEFT + plot_width - band + RIGHT / 2:.1f}" '
            f'height="{plot_height}"/>'
            f'<text class="tick" x="{x(closed):.1f}" y="{TOP - 8}" text-anchor="middle">so far</text>'
        )
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y(tick):.1f}" x2="{LEFT + plot_width}" y2="{y(tick):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    parts.append(
        f'<text class="axis" transform="translate(14 {TOP + plot_height / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">weekly score</text>'
    )
    for index in _labelled(len(weeks), step):
        parts.append(format_html(
            '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
            f"{x(index):.1f}", TOP + plot_height + 16, day_month(weeks[index]),
        ))
    parts.append(format_html(
        '<text class="axis" x="{}" y="{}" text-anchor="middle">week starting</text>',
        f"{LEFT + plot_width / 2:.1f}", height - 6,
    ))
    # The first line is drawn last, so the top theme lies on top where lines cross.
    for number, line in reversed(list(enumerate(lines))):
        points = [(x(index), y(value)) for index, value in enumerate(line.values[: len(weeks)])]
        colour = f"s{number % len(PALETTE)}"
        solid = points[:closed]
        if len(solid) > 1:
            parts.append(f'<polyline class="line {colour}" points="{svg_points(solid)}"/>')
        if closed < len(points):
            if solid:
                parts.append(f'<polyline class="line unfinished {colour}" points="{svg_points(points[closed - 1:])}"/>')
            parts.append(f'<circle class="point hollow {colour}" cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" '
                         f'r="4">{_tooltip(line, weeks, closed, closed)}</circle>')
        for index, (cx, cy) in enumerate(solid):
            parts.append(f'<circle class="point {colour}" cx="{cx:.1f}" cy="{cy:.1f}" r="2.5">'
                         f'{_tooltip(line, weeks, index, closed)}</circle>')
    legend = format_html_join(
        "", '<li><span class="swatch s{}" aria-hidden="true"></span>{}</li>',
        ((number % len(PALETTE), _linked(line)) for number, line in enumerate(lines)),
    )
    # Safe: numbers, constants and class names are written as they are; every label went through format_html.
    svg = mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>'
    )
    return format_html('<figure class="voc-lines">{}<figcaption><ol>{}</ol></figcaption></figure>', svg, legend)


def _scale(highest: float) -> tuple[float, list[float]]:
    """The axis's top and its ticks from 0: round steps of 1, 2, 2.5 or 5 times a power of ten, about four."""
    if highest <= 0:
        return 1.0, [0.0, 1.0]
    rough = highest / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(factor * power for factor in (1, 2, 2.5, 5, 10) if factor * power >= rough)
    count = math.ceil(highest / step - 1e-9)
    return count * step, [index * step for index in range(count + 1)]


def _labelled(count: int, step: float) -> list[int]:
    """Which weeks get a date: every one that fits, counted back from the current week so that it always has one."""
    every = max(1, math.ceil(MIN_LABEL_GAP / step)) if step else 1
    return sorted(range(count - 1, -1, -every))


def _description(weeks: list[date], lines: list[ChartLine], closed: int) -> str:
    said = []
    for line in lines:
        words = f"{line.label}: {_number(line.values[closed - 1])} in the week of {day_month(weeks[closed - 1])}"
        if closed < len(weeks):
            words += f", {_number(line.values[closed])} so far this week"
        said.append(words)
    return f"{len(weeks)} weeks to {day_month(weeks[-1])}. " + "; ".join(said) + "."


def _tooltip(line: ChartLine, weeks: list[date], index: int, closed: int) -> str:
    so_far = " so far" if index >= closed else ""
    return format_html("<title>{}, week of {}: {}{}</title>", line.label, day_month(weeks[index]),
                       _number(line.values[index]), so_far)


def _linked(line: ChartLine) -> str:
    return format_html('<a href="{}">{}</a>', line.url, line.label) if line.url else format_html("{}", line.label)


def svg_points(points) -> str:
    """(x, y) pairs as an SVG polyline's points attribute; every voc chart draws its lines with it."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") if value < 100 else f"{value:,.0f}"


def day_month(day: date) -> str:
    """A week's date on a chart: "16 Nov", never cut to "16 No"."""
    return f"{day.day} {day:%b}"


def _style() -> str:
    """Scoped to .voc-lines (a style element in inline SVG applies to the whole page), with the page's colour
    variables when it has them and voc's light ones otherwise; dark pages as voc-components.css chooses them."""

    def colours(scope: str, shade: int) -> str:
        return "".join(
            f"{scope}.voc-lines .s{number}{{stroke:{pair[shade]};color:{pair[shade]}}}"
            for number, pair in enumerate(PALETTE)
        )

    return (
        "<style>"
        ".voc-lines{margin:0}.voc-lines svg{width:100%;height:auto;display:block;font:11px system-ui,sans-serif}"
        ".voc-lines .tick{fill:var(--voc-quiet,#4f5969)}"
        ".voc-lines .axis{fill:var(--voc-quiet,#4f5969);font-size:12px}"
        ".voc-lines .grid{stroke:var(--voc-line,#dde1e8);stroke-width:1}"
        ".voc-lines .so-far{fill:var(--voc-quiet,#4f5969);fill-opacity:.08}"
        ".voc-lines .line{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}"
        ".voc-lines .unfinished{stroke-dasharray:4 4;stroke-width:1.6}"
        ".voc-lines .point{fill:currentColor;stroke-width:0}"
        ".voc-lines .point.hollow{fill:var(--voc-surface,#fff);stroke-width:2}"
        ".voc-lines ol{display:flex;flex-wrap:wrap;gap:.2rem 1.4rem;margin:.5rem 0 0;padding:0 0 0 1.2rem}"
        ".voc-lines .swatch{display:inline-block;width:1.1rem;height:.25rem;margin:0 .4rem .2rem 0;"
        "vertical-align:middle;border-radius:2px;background:currentColor}"
        f"{colours('', 0)}"
        f"@media (prefers-color-scheme: dark){{{colours(':root:not([data-theme=light]) ', 1)}}}"
        f"{colours(':root[data-theme=dark] ', 1)}"
        "</style>"
    )
