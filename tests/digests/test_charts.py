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


def test_the_unfinished_week_is_dashed_into_a_hollow_point_as_in_the_admin():
    finished = decoded(sparkline_png([4, 4, 4], scale=1))
    unfinished = decoded(sparkline_png([4, 4, 4], partial_last=True, scale=1))

    def lined(pixel) -> bool:  # the line's blue, however anti-aliased: far less red than white or the tint
        return pixel[0] < 150

    def white(pixel) -> bool:
        return bool(np.all(pixel >= 250))

    # A flat line along the top; the last week runs from x 60 to the point at x 117.
    assert lined(finished[3, 117])
    assert white(unfinished[3, 117])
    assert any(lined(pixel) for pixel in unfinished[0:8, 112:120].reshape(-1, 3))  # its ring
    assert all(lined(pixel) for pixel in finished[3, 64:112])
    assert any(lined(pixel) for pixel in unfinished[3, 64:112])  # dashes...
    assert any(white(pixel) for pixel in unfinished[3, 64:112])  # ...with gaps
    assert all(lined(pixel) for pixel in unfinished[3, 8:56])  # the finished weeks stay solid
    assert not white(finished[20, 90])
    assert white(unfinished[20, 90])
