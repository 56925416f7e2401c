"""The PM's week at a glance (voc.core.home): read from the ranking snapshots, saying why themes moved as the
digest does, and which themes wait for a decision."""

import datetime as dt

import pytest

from tests.digests.conftest import NOW
from tests.factories import UserFactory
from voc.core.home import CS, PM, home_role, pm_home_read
from voc.core.roles import ADMIN, CUSTOMER_SUCCESS, PRODUCT
from voc.ranking.models import ThemeWeek
from voc.ranking.selectors import week_start
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db


def names(rows):
    return [row.theme.display_name for row in rows]


def test_the_top_themes_are_ranked_by_customer_weight_with_their_change(week):
    home = pm_home_read(now=NOW)

    assert names(home.top) == ["Card delivery delays", "App login", "Top-up fails", "Statement export"]
    assert home.themes_total == 4
    assert home.top[0].change > 0 > home.top[2].change


def test_a_riser_says_why_it_rose_in_the_digest_s_words(week):
    [riser] = pm_home_read(now=NOW).risers

    assert riser.row.theme == week.rising
    assert riser.reason == "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days"
    assert riser.places_moved == "up 2 places"


def test_a_faller_says_which_account_dropped_out_of_the_window(week):
    [faller] = pm_home_read(now=NOW).fallers

    assert faller.row.theme == week.falling
    assert faller.reason.startswith("1 account ($900k ARR, Enterprise) dropped out of the 90-day window")
    assert faller.places_moved == "down 2 places"


def test_a_theme_new_to_the_ranking_is_new_not_a_riser(week):
    home = pm_home_read(now=NOW)

    assert [mover.row.theme for mover in home.new] == [week.new]
    assert home.new[0].places_moved == ""
    assert week.new not in [mover.row.theme for mover in home.risers]


def test_new_themes_with_enough_evidence_wait_for_a_decision_and_decided_ones_do_not(week):
    Theme.objects.filter(pk=week.steady.pk).update(status=Theme.Status.PLANNED)

    home = pm_home_read(now=NOW)

    # Statement export is new too, but two accounts are too little evidence to decide on.
    assert names(home.waiting) == ["Card delivery delays", "Top-up fails"]
    assert home.waiting_total == 2


def test_emerging_themes_are_listed_with_their_place_in_the_ranking(week):
    Theme.objects.filter(pk=week.new.pk).update(emerging=True)
    gathered = Theme.objects.create(name="Crypto withdrawals", emerging=True)

    home = pm_home_read(now=NOW)

    assert [(theme.display_name, row.rank if row else None) for theme, row in home.emerging] == [
        ("Statement export", 4), ("Crypto withdrawals", None)
    ]
    assert gathered.pk not in [row.theme.pk for row in home.top]


def test_spikes_of_this_week_and_last_are_listed_but_not_older_ones(week):
    this_week = week_start(NOW)
    ThemeWeek.objects.filter(theme=week.rising, week=this_week).update(spike=True)
    ThemeWeek.objects.create(theme=week.steady, week=this_week - dt.timedelta(weeks=1), theme_name="App login",
                             score=3.0, spike=True)
    ThemeWeek.objects.create(theme=week.falling, week=this_week - dt.timedelta(weeks=2), theme_name="Top-up fails",
                             score=9.0, spike=True)

    spikes = pm_home_read(now=NOW).spikes

    assert [(spike.theme, spike.current) for spike in spikes] == [(week.rising, True), (week.steady, False)]


def test_the_chart_draws_the_top_themes_weekly_scores_with_this_week_apart_as_so_far(week):
    home = pm_home_read(now=NOW)
    chart = home.chart()

    assert home.weeks[-1] == week_start(NOW)
    assert home.current_week_partial
    assert chart.count('class="line unfinished') == 4  # one dashed segment per theme, to this week's point
    assert chart.count('class="point hollow') == 4
    assert ">so far</text>" in chart
    assert ">weekly score</text>" in chart
    assert f"Card delivery delays, week of {week_start(NOW).day} {week_start(NOW):%b}" in chart


def test_a_fresh_install_has_an_empty_home_not_an_error():
    home = pm_home_read(now=NOW)

    assert home.empty
    assert (home.top, home.risers, home.waiting, home.weeks) == ([], [], [], [])
    assert home.chart() == ""


@pytest.mark.parametrize(
    ("roles", "extra", "expected"),
    [
        ([PRODUCT], {}, PM),
        ([ADMIN], {}, PM),
        ([], {"is_superuser": True}, PM),
        ([CUSTOMER_SUCCESS], {}, CS),
        ([], {}, ""),
    ],
    ids=["product", "admin", "superuser", "customer-success", "no-role"],
)
def test_each_role_gets_its_own_home(roles, extra, expected):
    assert home_role(UserFactory(roles=roles, **extra)) == expected
