"""The first page after login: `/` is each role's home, and the login page lands there."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.digests.conftest import NOW
from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.ranking.models import ThemeWeek
from voc.ranking.selectors import week_start

pytestmark = pytest.mark.django_db


def test_anyone_not_logged_in_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/"


def test_a_pm_sees_this_week_at_a_glance(pm, week):
    page = pm.get("/").content.decode()

    assert "This week at a glance" in page
    assert f'href="/admin/ranking/{week.rising.pk}/">Card delivery delays</a>' in page
    assert "3 new accounts ($1.2M ARR, all Enterprise) in the last 7 days" in page
    assert "Waiting for a decision" in page
    assert "<svg" in page
    assert ">so far</text>" in page
    assert 'action="/feedback/"' in page
    assert 'name="q"' in page
    assert "All 4 themes ranked" in page


def test_counts_on_the_pm_home_are_pluralised(pm, week):
    ThemeWeek.objects.filter(theme=week.new, week=week_start(NOW)).update(spike=True)

    page = pm.get("/").content.decode()

    counts = re.findall(r"\b(\d+) (account|mention|theme|place)(s?)\b", page)
    assert {noun for _, noun, _ in counts} == {"account", "mention", "theme", "place"}
    assert [(number, noun, plural) for number, noun, plural in counts if (number == "1") != (plural == "")] == []
    assert ("1", "account", "") in counts  # the faller's reason


def test_a_fresh_install_tells_the_pm_what_to_do_next(pm):
    response = pm.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "No themes yet" in page
    assert "python manage.py voc_demo" in page
    assert "/admin/feedback/source/" in page


def test_customer_success_gets_the_log_form_at_home(cs):
    response = cs.get("/")

    assert response.templates[0].name == "feedback/log.html"
    page = response.content.decode()
    assert 'action="/log/"' in page
    assert "Accounts you logged for recently" in page
    assert "None yet" in page


def test_the_accounts_logged_for_lately_come_first_each_one_click_from_a_new_note(client):
    casey = UserFactory(roles=[CUSTOMER_SUCCESS])
    older, newer = AccountFactory(name="Pebble Studio"), AccountFactory(name="Harbor Bank")
    for account, days_ago in ((older, 3), (older, 2), (newer, 1)):
        item = FeedbackItemFactory(account=account, logged_by=casey)
        type(item).objects.filter(pk=item.pk).update(received_at=timezone.now() - dt.timedelta(days=days_ago))
    FeedbackItemFactory(account=AccountFactory(name="Someone else's"), logged_by=UserFactory())
    client.force_login(casey)

    page = client.get("/").content.decode()

    assert page.index("Harbor Bank") < page.index("Pebble Studio")
    assert f'href="/log/?account={older.pk}"' in page
    assert "2 notes</a>" in page
    assert "1 note</a>" in page
    assert "Someone else" not in page


def test_the_log_page_lists_the_accounts_too(cs):
    assert "Accounts you logged for recently" in cs.get("/log/").content.decode()


def test_someone_with_no_role_gets_links_not_an_error(client):
    client.force_login(UserFactory())

    response = client.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "core/home.html"


def test_logging_in_on_the_login_page_lands_on_the_home_page(client):
    UserFactory(username="pat", roles=[PRODUCT])

    response = client.post("/admin/login/", {"username": "pat", "password": "pw"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logging_in_for_a_page_still_lands_on_that_page(client):
    UserFactory(username="pat", roles=[PRODUCT])

    response = client.post("/admin/login/?next=/admin/ranking/", {"username": "pat", "password": "pw"})

    assert response["Location"] == "/admin/ranking/"


def test_the_pm_home_is_read_from_the_snapshots_in_a_few_queries(pm, week, django_assert_max_num_queries):
    pm.get("/")  # the reasons are computed once per snapshot and cached
    with django_assert_max_num_queries(20):
        pm.get("/")


def test_reading_a_home_is_all_it_does(pm):
    assert pm.post("/").status_code == 405

