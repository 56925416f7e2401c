import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, CompetitorFactory
from tests.ranking.conftest import mention
from voc.feedback.models import FeedbackUnit
from voc.ranking.models import ThemeWeek
from voc.ranking.selectors import week_start
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.curation import theme_merge
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def themes(loud_and_broad):
    weeks_refresh(weeks=12)
    rankings_refresh()
    return loud_and_broad


def test_the_ranked_list_puts_weight_first_and_shows_the_mention_rank_beside_it(pm, themes):
    loud, broad = themes
    page = pm.get("/admin/ranking/").content.decode()
    assert page.index("Card delivery") < page.index("Top-up fails")
    assert "too little evidence" in page
    assert page.count("<svg") >= 2  # a sparkline per theme


def test_the_list_pages_through_many_themes(pm, themes, monkeypatch):
    monkeypatch.setattr("voc.ranking.views.THEMES_PER_PAGE", 1)
    first = pm.get("/admin/ranking/?o=-mentions").content.decode()
    second = pm.get("/admin/ranking/?o=-mentions&page=2").content.decode()
    assert "Top-up fails" in first
    assert "Card delivery" not in first
    assert "Card delivery" in second
    assert "Top-up fails" not in second
    assert "page 2 of 2" in second


def test_the_list_shows_the_ranking_settings_in_force(pm, themes, settings):
    settings.VOC_RANKING = settings.VOC_RANKING | {"half_life_days": 30.0, "tier_multipliers": {"enterprise": 1.5}}
    page = pm.get("/admin/ranking/").content.decode()
    assert "halves every 30 days" in page
    assert "Enterprise tier ×1.5" in page
    assert "<code>VOC_RANK_HALF_LIFE_DAYS</code>" in page  # the variable as secondary text, after the words
    assert "Figures as of" in page


def test_the_list_filters_and_sorts(pm, themes):
    page = pm.get("/admin/ranking/?segment=smb").content.decode()
    assert "Top-up fails" in page
    assert "Card delivery" not in page
    by_mentions = pm.get("/admin/ranking/?o=-mentions").content.decode()
    assert by_mentions.index("Top-up fails") < by_mentions.index("Card delivery")


def test_csv_export_holds_what_the_list_shows(pm, themes):
    response = pm.get("/admin/ranking/?o=-mentions&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["theme"] for row in rows] == ["Top-up fails", "Card delivery"]
    assert rows[0]["rank"] == "2"
    assert rows[0]["rank_by_mentions"] == "1"


def test_a_csv_cell_never_starts_a_formula(pm):
    theme = Theme.objects.create(name="=HYPERLINK(\"http://evil\")")
    mention(theme, AccountFactory())
    rows = list(csv.reader(io.StringIO(pm.get("/admin/ranking/?export=csv").content.decode())))
    assert rows[1][2].startswith("'=")


def test_the_explanation_lists_every_account_biggest_first(pm, themes):
    _, broad = themes
    page = pm.get(f"/admin/ranking/{broad.pk}/").content.decode()
    assert page.count("Large ") >= 8
    assert "90% interval" in page
    assert "<svg" in page


def test_a_long_explanation_folds_the_smallest_voices_into_one_line_that_keeps_the_total(pm, themes, monkeypatch):
    _, broad = themes
    monkeypatch.setattr("voc.ranking.views.VOICES_SHOWN", 3)
    table = explanation(pm.get(f"/admin/ranking/{broad.pk}/"))
    assert table.count('class="who"') == 3
    assert "5 more accounts, each a smaller share: show them all" in table
    assert explanation(pm.get(f"/admin/ranking/{broad.pk}/?voices=all")).count('class="who"') == 8


def explanation(response) -> str:
    page = response.content.decode()
    start = page.index('id="explanation"')
    return page[start : page.index("</table>", start)]


def test_the_explanation_filters_items_by_account(pm, themes):
    loud, _ = themes
    pebble = loud.items.first().account
    page = pm.get(f"/admin/ranking/{loud.pk}/?account={pebble.pk}").content.decode()
    assert "All mentions (40)" in page


def test_feedback_and_theme_names_are_shown_escaped(pm):
    theme = Theme.objects.create(name="<script>alert(1)</script>")
    mention(theme, AccountFactory(name="<b>Acme</b>"), text="<img src=x onerror=alert(2)>")
    theme.representative_unit_ids = list(theme.units.values_list("pk", flat=True))
    theme.save()
    for url in ("/admin/ranking/", f"/admin/ranking/{theme.pk}/"):
        page = pm.get(url).content.decode()
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
        assert "<b>Acme</b>" not in page
        assert "&lt;script&gt;" in page


def test_the_admin_home_links_to_the_ranked_list(pm):
    page = pm.get("/admin/").content.decode()
    assert 'href="/admin/ranking/"' in page


def test_the_lineage_shows_the_themes_merged_into_this_one(pm, themes):
    _, broad = themes
    duplicate = Theme.objects.create(name="Card never arrived")
    mention(duplicate, AccountFactory())
    theme_merge(sources=[duplicate], target=broad, user=None)
    lineage = pm.get(f"/admin/ranking/{broad.pk}/").content.decode()
    assert "Card never arrived</a> merged into this theme" in lineage
    assert f"Merged into <a href=\"/admin/ranking/{broad.pk}/\">Card delivery</a>" in pm.get(
        f"/admin/ranking/{duplicate.pk}/"
    ).content.decode()


def test_the_list_shows_unsorted_feedback_in_a_row_of_its_own(pm, themes):
    mention(None, AccountFactory(name="Nowhere Ltd"))

    footer = pm.get("/admin/ranking/").content.decode().split('id="unsorted-row"')[1]

    assert "Unsorted" in footer
    assert "1 item" in footer
    assert "?theme=unsorted" in footer


def test_an_emerging_theme_is_marked_in_the_list_and_the_csv(pm):
    theme = Theme.objects.create(name="CSV export times out", emerging=True)
    mention(theme, AccountFactory())

    assert "Emerging</span>" in pm.get("/admin/ranking/").content.decode()
    rows = list(csv.DictReader(io.StringIO(pm.get("/admin/ranking/?export=csv").content.decode())))
    assert rows[0]["emerging"] == "True"


def test_the_items_export_lists_the_themes_of_each_item(pm):
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO loops")
    note = mention(export, AccountFactory(name="Acme"))
    note.units.all().delete()
    for position, theme in enumerate((export, sso)):
        FeedbackUnit.objects.create(item=note, position=position, start=0, end=len(note.text), theme=theme)

    response = pm.get("/admin/ranking/?export=items")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [{
        "item_id": str(note.pk), "occurred_at": note.occurred_at.isoformat(), "account": "Acme",
        "theme_ids": f"{export.pk}|{sso.pk}", "themes": "Export times out | SSO loops",
    }]


@pytest.fixture
def felt_and_compared(loud_and_broad):
    """The broad theme's units are measured negative and three of its accounts name Zendesk; the loud theme's units
    are not measured yet."""
    loud, broad = loud_and_broad
    FeedbackUnit.objects.filter(theme=broad).update(sentiment="negative")
    zendesk = CompetitorFactory(name="Zendesk")
    for unit in FeedbackUnit.objects.filter(theme=broad).select_related("item__account")[:3]:
        unit.competitors.add(zendesk)
    rankings_refresh()
    return loud, broad, zendesk


def test_the_list_shows_sentiment_and_competitors_beside_the_score(pm, felt_and_compared):
    loud, broad, zendesk = felt_and_compared
    page = pm.get("/admin/ranking/").content.decode()
    broad_row = page.split(f'/admin/ranking/{broad.pk}/')[1].split("</tr>")[0]
    loud_row = page.split(f'/admin/ranking/{loud.pk}/')[1].split("</tr>")[0]

    assert "8 units measured: 100% negative, 0% neutral, 0% positive" in broad_row  # the bar's title
    assert '100% <abbr title="negative">neg</abbr>' in broad_row
    assert f'<a href="?competitor={zendesk.pk}"' in broad_row
    assert ">3 accounts mention Zendesk</a>" in broad_row
    assert "not measured yet" in loud_row
    assert '<option value="negative">mostly negative</option>' in page
    assert f'<option value="{zendesk.pk}">Zendesk</option>' in page


def test_the_list_filters_by_sentiment_and_by_competitor_as_plain_parameters(pm, felt_and_compared):
    loud, broad, zendesk = felt_and_compared
    negative = pm.get("/admin/ranking/?sentiment=negative").content.decode()
    assert "Card delivery" in negative
    assert "Top-up fails" not in negative
    assert '<option value="negative" selected>' in negative
    assert "Card delivery" not in pm.get("/admin/ranking/?sentiment=positive").content.decode()

    named = pm.get(f"/admin/ranking/?competitor={zendesk.pk}").content.decode()
    assert "Card delivery" in named
    assert "Top-up fails" not in named
    # A value the list does not know filters nothing, as a hand-edited URL should.
    unknown = pm.get("/admin/ranking/?sentiment=angry&competitor=zendesk").content.decode()
    assert "Card delivery" in unknown
    assert "Top-up fails" in unknown


def test_the_list_says_when_a_themes_feedback_is_getting_more_negative(pm, felt_and_compared):
    _, broad, _ = felt_and_compared
    this_week = week_start(timezone.now())
    for weeks_ago in range(12):
        ThemeWeek.objects.update_or_create(
            theme=broad, week=this_week - dt.timedelta(weeks=weeks_ago),
            defaults={"theme_name": "Card delivery", "negative": 8 if weeks_ago < 4 else 2, "neutral": 2},
        )
    page = pm.get("/admin/ranking/").content.decode()
    assert '<span class="mood-worse"' in page.split(f'/admin/ranking/{broad.pk}/')[1].split("</tr>")[0]
    theme_page = pm.get(f"/admin/ranking/{broad.pk}/").content.decode()
    assert "mostly negative (100%), getting worse" in theme_page


def test_the_csv_export_holds_the_sentiment_counts_and_competitor_mentions(pm, felt_and_compared):
    rows = list(csv.DictReader(io.StringIO(pm.get("/admin/ranking/?export=csv").content.decode())))
    broad = next(row for row in rows if row["theme"] == "Card delivery")
    assert (broad["negative_units"], broad["neutral_units"], broad["positive_units"]) == ("8", "0", "0")
    assert broad["competitors"] == "3 accounts mention Zendesk"


def test_the_theme_page_charts_weekly_sentiment_and_quotes_the_customers_naming_competitors(pm, felt_and_compared):
    _, broad, zendesk = felt_and_compared
    weeks_refresh(weeks=12)
    page = pm.get(f"/admin/ranking/{broad.pk}/").content.decode()
    sentiment = page.split('id="sentiment"')[1].split('id="explanation"')[0]

    assert "mostly negative (100%)" in sentiment
    assert '<td class="num">8</td><td class="num">100%</td>' in sentiment
    assert "<title>Share of measured units by sentiment, per week</title>" in sentiment
    for axis_label in ("share of units", ">100%</text>", ">50%</text>", ">0%</text>", ">n=8</text>"):
        assert axis_label in sentiment

    competitors = page.split('id="competitors"')[1].split('id="items"')[0]
    assert "3 accounts mention Zendesk" in competitors
    assert competitors.count('<blockquote class="quote">') == 3
    quoted = FeedbackUnit.objects.filter(competitors=zendesk).select_related("item__account").first()
    assert quoted.item.account.name in competitors
    assert f"/admin/feedback/feedbackitem/{quoted.item_id}/change/" in competitors
