"""The digest's content: read from the ranking snapshots, and saying in words why themes moved."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.digests.conftest import NOW, mention
from tests.factories import AccountFactory
from voc.digests.models import DigestSubscription
from voc.digests.rendering import digest_render
from voc.digests.selectors import DigestFilters, digest_build, digest_week, money, subscriptions_due
from voc.feedback.models import FeedbackUnit
from voc.ranking.models import ThemeWeek
from voc.ranking.selectors import theme_week_series, week_start
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.models import Theme
from voc.themes.selectors import theme_quotes


def names(lines):
    return [line.theme.display_name for line in lines]


def test_top_themes_are_ranked_by_customer_weight_with_their_accounts_arr_and_links(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    assert names(digest.top) == ["Card delivery delays", "App login", "Top-up fails", "Statement export"]
    first = digest.top[0]
    assert (first.rank, first.accounts, first.arr) == (1, 5, 1_240_000)
    assert first.url.endswith(f"/admin/ranking/{week.rising.pk}/")
    assert len(first.weekly_scores) == 12
    assert sum(first.weekly_scores) > 0


def test_an_emerging_theme_is_marked_as_such_in_the_email(week):
    Theme.objects.filter(pk=week.new.pk).update(emerging=True)

    rendered = digest_render(digest_build(filters=DigestFilters(), now=NOW))

    assert "Statement export</a> <span" in rendered.html
    assert ">Emerging</span>" in rendered.html
    assert "Statement export (emerging)" in rendered.text
    assert "Card delivery delays (emerging)" not in rendered.text


def test_a_riser_says_which_new_accounts_lifted_it_with_their_arr_and_segment(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    [riser] = digest.risers
    assert riser.theme == week.rising
    assert (riser.rank_before, riser.rank, riser.places) == (3, 1, 2)
    assert riser.reason == "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days"


def test_a_faller_says_which_account_dropped_out_of_the_window(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    [faller] = digest.fallers
    assert faller.theme == week.falling
    assert (faller.rank_before, faller.rank) == (1, 3)
    assert faller.reason == (
        "1 account ($900k ARR, Enterprise) dropped out of the 90-day window; no new accounts in the last 7 days"
    )


def test_a_theme_without_feedback_a_week_ago_is_listed_as_new_and_not_as_a_mover(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    assert names(digest.new_themes) == ["Statement export"]
    assert digest.new_themes[0].reason == "2 new accounts ($120k ARR, all Mid-market) in the last 7 days"
    assert week.new not in [line.theme for line in digest.risers + digest.fallers]


def test_status_changes_of_the_week_are_listed_with_before_and_after(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    [change] = digest.status_changes
    assert (change.theme, change.before, change.after) == (week.steady, "Under review", "Planned")


def test_a_status_change_from_before_the_week_is_left_out(week):
    assert digest_build(filters=DigestFilters(), now=NOW + dt.timedelta(days=8)).status_changes == []


def test_quotes_come_from_the_biggest_accounts_one_each_with_pii_redacted(week):
    digest = digest_build(filters=DigestFilters(), now=NOW)

    quotes = digest.top[0].quotes
    assert [quote.account for quote in quotes] == ["Enterprise 0", "Enterprise 1"]
    assert quotes[0].text == "Card 0 still not delivered, call me on [phone] or [email]"


def test_a_described_theme_is_quoted_with_the_core_quotes_its_page_shows_in_their_order(week):
    core = [mention(week.rising, days_ago=30, text=f"Core quote {number} about late cards") for number in range(3)]
    quotes = [item.units.get().pk for item in reversed(core)]
    Theme.objects.filter(pk=week.rising.pk).update(representative_unit_ids=quotes)
    week.rising.refresh_from_db()

    quotes = digest_build(filters=DigestFilters(), now=NOW).top[0].quotes

    assert [quote.text for quote in quotes] == ["Core quote 2 about late cards", "Core quote 1 about late cards",
                                                "Core quote 0 about late cards"]
    assert [unit.item_id for unit in theme_quotes(theme=week.rising)] == [item.pk for item in reversed(core)]


def test_a_quote_whose_item_left_the_theme_is_not_shown(week):
    [stays, leaves] = [mention(week.rising, days_ago=30, text=text) for text in ("Stays here", "Moved elsewhere")]
    quotes = [stays.units.get().pk, leaves.units.get().pk]
    Theme.objects.filter(pk=week.rising.pk).update(representative_unit_ids=quotes)
    FeedbackUnit.objects.filter(item=leaves).update(theme=week.steady)
    week.rising.refresh_from_db()

    assert [quote.text for quote in digest_build(filters=DigestFilters(), now=NOW).top[0].quotes] == ["Stays here"]


def test_a_long_quote_is_cut_at_a_word_with_an_ellipsis(week):
    mention(week.steady, AccountFactory(arr=10_000_000), days_ago=1, text="word " * 100)

    quote = digest_build(filters=DigestFilters(), now=NOW).top[1].quotes[0].text

    assert len(quote) <= 120
    assert quote.endswith("word…")


def test_a_product_area_filter_keeps_only_its_themes_and_counts_only_its_week(week):
    digest = digest_build(filters=DigestFilters(product_areas=("Cards",)), now=NOW)

    assert names(digest.top) == ["Card delivery delays", "Statement export"]
    assert digest.mentions_this_week == 5
    assert digest.status_changes == []  # App login is not in Cards
    assert "product_area=Cards" in digest.ranking_url


def test_a_segment_filter_scores_only_those_accounts(week):
    digest = digest_build(filters=DigestFilters(segments=("smb",)), now=NOW)

    assert names(digest.top) == ["App login", "Card delivery delays"]
    assert digest.top[1].accounts == 2


def test_two_segments_are_computed_from_the_feedback_and_match_either(week):
    digest = digest_build(filters=DigestFilters(segments=("smb", "mid_market")), now=NOW)

    assert digest.computed_at is None
    assert set(names(digest.top)) == {"App login", "Card delivery delays", "Top-up fails", "Statement export"}
    assert digest.top[0].accounts + 0 < 5  # the enterprise accounts are left out


def test_filters_that_match_nothing_give_an_empty_digest_that_says_so(week):
    digest = digest_build(filters=DigestFilters(tiers=("free",)), now=NOW)

    assert (digest.themes_total, digest.top, digest.risers) == (0, [], [])
    assert digest.subject == "voc weekly: no themes for Free tier"


def test_a_week_without_feedback_is_quiet_but_still_has_the_standing_ranking(week):
    digest = digest_build(filters=DigestFilters(), now=NOW + dt.timedelta(days=9))

    assert digest.quiet
    assert digest.top
    assert digest.subject == "voc weekly: a quiet week for all feedback"


def test_each_theme_line_says_how_its_customers_feel_and_where_that_is_going(week):
    FeedbackUnit.objects.filter(theme=week.rising).update(sentiment="negative")
    FeedbackUnit.objects.filter(theme=week.steady).update(sentiment="positive")
    weeks_refresh(weeks=12, now=NOW)
    rankings_refresh(now=NOW)
    # The closed weeks the digest reads: 8 weeks at 20% negative, then the last 4 at 100%.
    last_closed = week_start(NOW - dt.timedelta(days=7))
    for weeks_ago in range(12):
        ThemeWeek.objects.update_or_create(
            theme=week.rising, week=last_closed - dt.timedelta(weeks=weeks_ago),
            defaults={"theme_name": "Card delivery delays", "negative": 5 if weeks_ago < 4 else 1,
                      "neutral": 0 if weeks_ago < 4 else 4},
        )

    digest = digest_build(filters=DigestFilters(), now=NOW)
    lines = {line.theme: line for line in [*digest.top, *digest.risers]}
    assert lines[week.rising].sentiment == "mostly negative (100%), getting worse"
    assert lines[week.steady].sentiment == "mostly positive (100%)"  # no measured weeks to compare
    assert lines[week.falling].sentiment == ""  # nothing measured: nothing said

    rendered = digest_render(digest)
    assert "$1.2M ARR · mostly negative (100%), getting worse</span>" in rendered.html
    assert "Customers: mostly negative (100%), getting worse.</span>" in rendered.html  # the riser's line
    assert "ARR · mostly negative (100%), getting worse\n" in rendered.text
    assert "Customers: mostly negative (100%), getting worse." in rendered.text


def test_the_filters_read_as_words():
    filters = DigestFilters(product_areas=("Cards", "Payments"), segments=("enterprise",), tiers=("growth",))

    assert filters.label == "Cards, Payments · Enterprise accounts · Growth tier"
    assert DigestFilters().label == "all feedback"


@pytest.mark.parametrize(("amount", "text"), [(950, "$950"), (12_400, "$12k"), (1_240_000, "$1.2M"), (2e6, "$2.0M")])
def test_money_is_short(amount, text):
    assert money(amount) == text


# --- when a digest is due ---


def subscription(**fields):
    subscription = DigestSubscription.objects.create(recipient="lead@example.com", **fields)
    DigestSubscription.objects.filter(pk=subscription.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    subscription.refresh_from_db()
    return subscription


@pytest.mark.django_db
def test_a_digest_is_due_from_its_local_day_and_hour_until_the_week_ends():
    berlin = subscription(day_of_week=0, hour=8, timezone="Europe/Berlin")
    zone = ZoneInfo("Europe/Berlin")

    # Monday 23 November 2026, 07:59 and 08:00 in Berlin (06:59 and 07:00 UTC).
    assert digest_week(berlin, dt.datetime(2026, 11, 23, 7, 59, tzinfo=zone)) is None
    assert digest_week(berlin, dt.datetime(2026, 11, 23, 8, 0, tzinfo=zone)) == dt.date(2026, 11, 23)
    assert digest_week(berlin, dt.datetime(2026, 11, 29, 23, 59, tzinfo=zone)) == dt.date(2026, 11, 23)
    # Sunday 23:30 UTC is already Monday in Tokyo.
    tokyo = subscription(day_of_week=0, hour=0, timezone="Asia/Tokyo")
    assert digest_week(tokyo, dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 30)


@pytest.mark.django_db
def test_a_subscription_made_after_this_weeks_moment_starts_next_week():
    made_on_tuesday = DigestSubscription.objects.create(recipient="lead@example.com", day_of_week=0, hour=8)
    DigestSubscription.objects.filter(pk=made_on_tuesday.pk).update(
        created_at=dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    )
    made_on_tuesday.refresh_from_db()

    assert digest_week(made_on_tuesday, dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)) is None
    assert digest_week(made_on_tuesday, dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)) == dt.date(2026, 11, 30)


@pytest.mark.django_db
def test_paused_subscriptions_are_never_due():
    subscription(day_of_week=0, hour=0, active=False)
    due = subscription(day_of_week=0, hour=0)

    assert [sub for sub, _ in subscriptions_due(dt.datetime(2026, 11, 25, tzinfo=dt.UTC))] == [due]


def test_the_digest_draws_the_admins_series_for_its_filters(week, pm):
    # The lead opening the list from the email sees the same trend, the unfinished week drawn apart in both.
    digest = digest_build(filters=DigestFilters(segments=("enterprise",)), now=NOW)
    line = next(line for line in digest.top if line.theme == week.rising)
    admin = theme_week_series([week.rising.pk], weeks=12, now=NOW, segment=["enterprise"])[week.rising.pk]

    assert (line.weekly_scores, line.spikes, line.partial_last) == (admin.scores, admin.spikes, True)
    assert line.weekly_scores != theme_week_series([week.rising.pk], weeks=12, now=NOW)[week.rising.pk].scores
    page = pm.get("/admin/ranking/?segment=enterprise").content.decode()
    drawn = page.split(f'href="/admin/ranking/{week.rising.pk}/')[1].split("</title>")[0].split(": ")[-1]
    assert drawn == ", ".join(f"{score:.1f}" for score in line.weekly_scores)
