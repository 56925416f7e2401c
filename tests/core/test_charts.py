"""Line charts drawn as inline SVG (voc.core.charts): labelled axes, legend in words, the unfinished week apart."""

import re
from datetime import date, timedelta

from voc.core.charts import ChartLine, weekly_lines_svg

MONDAYS = [date(2026, 9, 14) + timedelta(weeks=number) for number in range(12)]


def chart(*, partial: bool = True, lines=None) -> str:
    lines = lines or [
        ChartLine(label="Card delivery", values=[float(number) for number in range(12)], url="/admin/ranking/1/"),
        ChartLine(label="Top-up fails", values=[5.0] * 11 + [1.0]),
    ]
    return str(weekly_lines_svg(weeks=MONDAYS, lines=lines, last_week_partial=partial))


def test_the_axes_say_what_they_measure_with_week_dates_that_fit():
    svg = chart()

    assert ">weekly score</text>" in svg
    assert ">week starting</text>" in svg
    dates = re.findall(r'class="tick"[^>]*>(\d+ [A-Z][a-z]{2})</text>', svg)
    assert dates[-1] == "30 Nov"  # the current week always has its date
    assert 4 <= len(dates) < 12  # every other week: twelve would touch


def test_the_current_week_is_drawn_apart_as_so_far_not_as_a_drop():
    svg = chart()

    assert ">so far</text>" in svg
    [solid, _] = re.findall(r'<polyline class="line s1" points="([^"]+)"', svg) + [None]
    assert len(solid.split()) == 11  # the closed weeks only; the dip to 1.0 is not on the solid line
    assert svg.count('class="line unfinished') == 2
    assert "Top-up fails, week of 30 Nov: 1 so far" in svg


def test_a_finished_last_week_is_drawn_like_the_others():
    svg = chart(partial=False)

    assert "so far" not in svg
    assert 'class="line unfinished' not in svg
    assert 'class="point hollow' not in svg
    assert len(re.search(r'<polyline class="line s1" points="([^"]+)"', svg)[1].split()) == 12


def test_the_legend_names_each_line_in_rank_order_and_links_it():
    svg = chart()

    legend = svg[svg.index("<figcaption>"):]
    assert legend.index("Card delivery") < legend.index("Top-up fails")
    assert '<a href="/admin/ranking/1/">Card delivery</a>' in legend


def test_labels_are_escaped():
    svg = chart(lines=[ChartLine(label="<script>alert(1)</script>", values=[1.0] * 12)])

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_nothing_to_draw_draws_nothing():
    assert weekly_lines_svg(weeks=MONDAYS, lines=[]) == ""
    assert weekly_lines_svg(weeks=[], lines=[ChartLine(label="x", values=[])]) == ""
