"""Sparklines for email as PNG: valid files, drawn where the values say."""

import struct
import zlib

import numpy as np
import pytest

from voc.digests.charts import LINE, SPIKE, sparkline_png


def decoded(png: bytes) -> np.ndarray:
    """The RGB pixels of a PNG this module wrote (one IDAT chunk, no filters)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41 : 41 + length])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + width * 3)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


def near(pixel, color, tolerance=40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(color)) <= tolerance))


def inked(area: np.ndarray, color) -> bool:
    return any(near(pixel, color) for pixel in area.reshape(-1, 3))


def test_a_sparkline_is_a_png_of_twice_the_shown_size():
    pixels = decoded(sparkline_png([1, 2, 3], width=120, height=32))

    assert pixels.shape == (64, 240, 3)


def test_the_line_rises_with_the_values_and_ends_on_a_marked_point():
    pixels = decoded(sparkline_png([0, 10], width=120, height=32, scale=1))

    # The line runs from bottom left to top right; the top left and bottom right corners stay white.
    assert inked(pixels[26:32, 0:8], LINE)
    assert inked(pixels[0:6, 112:120], LINE)
    assert near(pixels[2, 2], (255, 255, 255), tolerance=0)


def test_a_spike_week_is_marked_in_red():
    spiky = decoded(sparkline_png([1, 1, 8, 1, 1], spikes=[False, False, True, False, False], scale=1))
    plain = decoded(sparkline_png([1, 1, 8, 1, 1], scale=1))

    assert inked(spiky, SPIKE)
    assert not inked(plain, SPIKE)


@pytest.mark.parametrize("values", [[], [0.0] * 12, [5.0]])
def test_empty_flat_and_single_series_still_draw(values):
    pixels = decoded(sparkline_png(values, scale=1))

    assert inked(pixels, LINE)
