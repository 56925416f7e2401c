"""Sparklines as small PNG files, for email: mail clients show inline PNG attachments, and many refuse SVG.

Drawn with NumPy (each pixel's distance to the line gives its ink, so edges are smooth) and written as PNG with
zlib: no imaging library needed for a 12-point line.
"""

import struct
import zlib

import numpy as np

LINE = (37, 99, 235)  # the admin's sparkline blue
FILL = (219, 234, 254)
SPIKE = (220, 38, 38)


def sparkline_png(values: list[float], *, spikes: list[bool] | None = None, partial_last: bool = False,
                  width: int = 120, height: int = 32, scale: int = 2) -> bytes:
    """A line of the values, oldest first, on white, with the area under it tinted, the last point marked and
    spikes in red. Drawn at `scale` times the size for sharp high-density screens; show it at width × height.

    partial_last: the last week is not over, so it is drawn apart as the admin's sparkline draws it
    (voc.ranking.charts): the line dashed into a hollow point, nothing tinted under it, never read as a drop."""
    w, h, pad = width * scale, height * scale, 3 * scale
    top = max(max(values, default=0.0), 1e-9)
    xs = np.linspace(pad, w - pad, num=max(len(values), 2))
    ys = [h - pad - (value / top) * (h - 2 * pad) for value in values] or [h - pad, h - pad]
    if len(ys) == 1:
        ys = ys * 2
    points = np.column_stack([xs, ys])
    apart = partial_last and len(values) >= 2

    grid_x, grid_y = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    pixels = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    image = np.full((h * w, 3), 255.0)
    # The area under the line, up to the last finished week.
    line_y = np.interp(pixels[:, 0], points[:, 0], points[:, 1])
    under = np.clip(pixels[:, 1] - line_y, 0.0, 1.0)
    if apart:
        under *= pixels[:, 0] <= points[-2, 0]
    _paint(image, FILL, under)
    # The line: ink falls off over one pixel past its half-width.
    half_width = 0.75 * scale + 0.5
    solid = list(zip(points[:-2 if apart else -1], points[1:-1 if apart else None], strict=True))
    if solid:
        distance = np.min([_distance(pixels, a, b) for a, b in solid], axis=0)
        _paint(image, LINE, np.clip(half_width - distance, 0.0, 1.0))
    radius = 2.0 * scale
    if apart:
        a, b = points[-2], points[-1]
        along = _along(pixels, a, b) * np.hypot(*(b - a))
        dashes = (along // (2.5 * scale)) % 2 == 0  # 2.5 px on, 2.5 px off, as the admin's "2 2" at its size
        _paint(image, LINE, np.clip(half_width - _distance(pixels, a, b), 0.0, 1.0) * dashes)
    marks = [(point, SPIKE) for point, spike in zip(points, spikes or [], strict=False) if spike]
    if not apart:
        marks.insert(0, (points[-1], LINE))
    for center, color in marks:
        _paint(image, color, np.clip(radius + 0.5 - np.hypot(*(pixels - center).T), 0.0, 1.0))
    if apart:  # hollow: white inside a ring, red when the week so far is already a spike
        color = SPIKE if (spikes or [False])[-1:] == [True] else LINE
        from_center = np.hypot(*(pixels - points[-1]).T)
        _paint(image, (255, 255, 255), np.clip(radius + 0.5 - from_center, 0.0, 1.0))
        _paint(image, color, np.clip(0.75 * scale + 0.5 - np.abs(from_center - radius), 0.0, 1.0))
    return _png(image.reshape(h, w, 3).round().astype(np.uint8))


def _along(pixels: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far along the segment from a to b (0 to 1) each pixel's nearest point is."""
    segment = b - a
    return np.clip(((pixels - a) @ segment) / max(segment @ segment, 1e-12), 0.0, 1.0)


def _distance(pixels: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(*(pixels - (a + _along(pixels, a, b)[:, None] * (b - a))).T)


def _paint(image: np.ndarray, color: tuple[int, int, int], coverage: np.ndarray) -> None:
    image[:] = image * (1 - coverage[:, None]) + np.array(color, dtype=float) * coverage[:, None]


def _png(rgb: np.ndarray) -> bytes:
    height, width, _ = rgb.shape
    # Each row starts with filter type 0 (none).
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
