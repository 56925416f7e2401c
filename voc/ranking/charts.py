"""Trend charts drawn on the server as inline SVG: no script, no CDN, and they render in email too."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

LINE = "#2563eb"
SPIKE = "#dc2626"
GRID = "#e5e7eb"


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


def _points(values: list[float], width: float, height: float, *, pad: float) -> list[tuple[float, float]]:
    top = max(max(values), 1e-9)
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    return [(pad + index * step, pad + (height - 2 * pad) * (1 - value / top)) for index, value in enumerate(values)]


def _path(points) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _title(text: str) -> SafeString:
    return format_html("<title>{}</title>", text)
