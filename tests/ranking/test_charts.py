import re

from voc.ranking.charts import sentiment_bar_svg, sentiment_weeks_svg, sparkline_svg, trend_svg
from voc.ranking.sentiment import SentimentCounts


def test_a_sparkline_is_inline_svg_with_a_point_per_week_and_a_readable_title():
    svg = sparkline_svg([1.0, 3.0, 2.0], spikes=[False, True, False])
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert len(svg.split('points="')[1].split('"')[0].split()) == 3
    assert "Weekly score, last 3 weeks: 1.0, 3.0, 2.0" in svg
    assert svg.count("<circle") == 2  # the last week and the spike


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
