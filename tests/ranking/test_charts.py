import datetime as dt
import re

from voc.ranking.charts import (
    sentiment_bar_svg,
    sentiment_weeks_svg,
    sparkline_svg,
    trend_svg,
    week_sparkline_svg,
    week_trend_svg,
)
from voc.ranking.selectors import WeekSeries
from voc.ranking.sentiment import SentimentCounts


def test_a_sparkline_is_inline_svg_with_a_point_per_week_and_a_readable_title():
    svg = sparkline_svg([1.0, 3.0, 2.0], spikes=[False, True, False])
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert len(svg.split('points="')[1].split('"')[0].split()) == 3
    assert "Weekly score, last 3 weeks: 1.0, 3.0, 2.0" in svg
    assert svg.count("<circle") == 2  # the last week and the spike


def test_a_sparklines_title_says_what_it_draws_and_the_dates():
    mondays = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16)]
    svg = sparkline_svg([1.0, 3.0, 2.0], weeks=mondays)
    assert "<title>Weekly score, the 3 weeks from 2 Nov to 16 Nov 2026: 1.0, 3.0, 2.0</title>" in svg


def test_the_unfinished_week_is_dashed_into_a_hollow_point_said_to_be_so_far():
    finished = sparkline_svg([1.0, 3.0, 2.0])
    unfinished = sparkline_svg([1.0, 3.0, 0.5], partial_last=True)
    assert "stroke-dasharray" not in finished
    assert "<circle class=\"so-far\"" not in finished  # no hollow point
    assert "so far" not in finished
    # The finished weeks solid; the last week dashed, into a hollow point, and the title says so.
    assert len(unfinished.split('polyline fill="none"')[1].split('points="')[1].split('"')[0].split()) == 2
    assert re.search(r'<line class="so-far" [^>]*stroke-dasharray="2 2"', unfinished)
    assert re.search(r'<circle class="so-far" [^>]*fill="none" stroke="#2563eb"', unfinished)
    assert "the last not over (so far)" in unfinished


def test_the_trend_chart_draws_the_unfinished_week_apart_with_so_far_beside_it():
    assert "so far" not in trend_svg(["2 Nov", "9 Nov"], [1.0, 2.0])
    svg = trend_svg(["2 Nov", "9 Nov", "16 Nov"], [1.0, 2.0, 0.4], partial_last=True)
    assert re.search(r'<line class="so-far" [^>]*stroke-dasharray', svg)
    assert re.search(r'<circle class="so-far" [^>]*fill="none"', svg)
    assert re.search(r'<text [^>]*class="so-far">so far</text>', svg)  # visible, not only in the title
    assert "the last week is not over, its score so far" in svg


def test_the_trend_charts_axes_are_labelled_and_its_last_date_is_never_cut():
    mondays = [dt.date(2026, 9, 7) + dt.timedelta(weeks=n) for n in range(12)]
    series = WeekSeries(mondays, [float(n) for n in range(12)], [False] * 12, [SentimentCounts()] * 12,
                        as_of=dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC))
    svg = week_trend_svg(series)
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    assert ">weekly score</text>" in svg
    assert ">week starting (Monday, UTC)</text>" in svg
    assert ">11</text>" in svg  # the top of the scale is the top week
    date = r'<text x="([\d.]+)" y="[\d.]+" font-size="10" text-anchor="(\w+)" fill="#6b7280">(\d+ \w+)</text>'
    dates = re.findall(date, svg)
    x, anchor, label = dates[-1]
    assert label == "23 Nov"
    assert anchor == "end"
    assert float(x) <= width
    assert all(float(x) <= width for x, _, _ in dates)


def test_week_charts_draw_a_series_as_it_was_read():
    mondays = [dt.date(2026, 11, 2), dt.date(2026, 11, 9)]
    series = WeekSeries(mondays, [1.0, 0.2], [False, False], [SentimentCounts()] * 2,
                        as_of=dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC))
    assert series.partial_last
    assert series.days_so_far == 2
    assert "so far" in week_sparkline_svg(series)
    finished = WeekSeries(mondays, [1.0, 0.2], [False, False], [SentimentCounts()] * 2,
                          as_of=dt.datetime(2026, 11, 16, tzinfo=dt.UTC))
    assert not finished.partial_last
    assert "so far" not in week_sparkline_svg(finished)


def test_no_weeks_draw_nothing():
    assert sparkline_svg([]) == ""
    assert trend_svg([], []) == ""


def test_the_trend_chart_escapes_its_labels():
    svg = trend_svg(["<b>W1</b>", "W2"], [0.0, 4.0], spikes=[False, True])
    assert "<b>" not in svg
    assert "&lt;b&gt;W1&lt;/b&gt;" in svg
    assert 'r="4"' in svg  # the spike is drawn larger


def test_the_sentiment_bar_splits_its_width_by_share_and_says_the_shares_in_its_title():
    svg = sentiment_bar_svg(SentimentCounts(negative=5, neutral=3, positive=2), width=100)
    assert [float(width) for width in re.findall(r'rect x="[\d.]+" y="0" width="([\d.]+)"', svg)] == [50.0, 30.0, 20.0]
    assert "<title>10 units measured: 50% negative, 30% neutral, 20% positive</title>" in svg
    assert 'role="img"' in svg
    assert sentiment_bar_svg(SentimentCounts()) == ""


def test_the_weekly_sentiment_chart_stacks_each_week_to_100_percent_and_leaves_unmeasured_weeks_empty():
    weeks = [SentimentCounts(1, 1, 2), SentimentCounts(), SentimentCounts(3, 0, 0)]
    svg = sentiment_weeks_svg(["<b>1 Jan</b>", "8 Jan", "15 Jan"], weeks)
    columns = re.findall(r"<g><title>(.*?)</title>(.*?)</g>", svg)
    assert [title for title, _ in columns] == [
        "Week of &lt;b&gt;1 Jan&lt;/b&gt;: 4 units measured: 25% negative, 25% neutral, 50% positive",
        "Week of 8 Jan: no units measured",
        "Week of 15 Jan: 3 units measured: 100% negative, 0% neutral, 0% positive",
    ]
    heights = [[float(h) for h in re.findall(r'height="([\d.]+)" fill', body)] for _, body in columns]
    assert sum(heights[0]) == sum(heights[2]) > 0  # each measured week fills the whole scale
    assert sum(heights[1]) == 0  # not drawn as 0% negative
    assert ">n=0</text>" in svg
    for label in (">0%</text>", ">50%</text>", ">100%</text>", ">negative</text>", ">positive</text>"):
        assert label in svg
    assert sentiment_weeks_svg(["1 Jan"], [SentimentCounts()]) == ""
    assert "so far" not in svg


def test_the_weekly_sentiment_chart_draws_the_unfinished_week_pale_in_a_dashed_outline():
    weeks = [SentimentCounts(1, 1, 2), SentimentCounts(1, 0, 0)]
    svg = sentiment_weeks_svg(["1 Jan", "8 Jan"], weeks, partial_last=True)
    columns = re.findall(r"<g><title>(.*?)</title>(.*?)</g>", svg)
    assert "fill-opacity" not in columns[0][1]
    assert 'fill-opacity="0.45"' in columns[1][1]
    assert 'stroke-dasharray="3 2"' in columns[1][1]
    assert ">so far</text>" in columns[1][1]
    assert columns[1][0].startswith("Week of 8 Jan (not over: so far)")
