from voc.ranking.charts import sparkline_svg, trend_svg


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
