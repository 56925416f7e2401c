"""Guessing is slowed down: failed logins past a limit, and API calls past a rate, are answered 429 with Retry-After.

Counts live in Django's cache (the test settings keep one per process, emptied before each test); every test here
still uses usernames and addresses of its own.
"""

import secrets
import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.config.test_settings import django_setup, real_secret
from tests.factories import FeedbackItemFactory, UserFactory
from voc.api.services import api_token_create
from voc.core.roles import CUSTOMER_SUCCESS

LOGIN = "/admin/login/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.VOC_LOGIN_MAX_FAILURES = 3
    settings.VOC_LOGIN_MAX_FAILURES_PER_IP = 5
    settings.VOC_LOGIN_WINDOW_SECONDS = 300
    return settings


def an_address() -> str:
    """A documentation address (RFC 3849) no other test shares."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def a_staff_user():
    return UserFactory(username=f"staff-{secrets.token_hex(4)}", is_staff=True)


def log_in(client, username: str, password: str, *, address: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address, **headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- logging in ----------------------------------------------------------------------------------


def test_a_login_under_the_limit_goes_through(client):
    user, address = a_staff_user(), an_address()
    for _ in range(2):
        assert log_in(client, user.username, "wrong", address=address).status_code == 200

    response = log_in(client, user.username, "pw", address=address)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_username_that_failed_too_often_is_answered_429_even_with_the_right_password(client):
    user, address = a_staff_user(), an_address()
    for _ in range(3):
        refused = log_in(client, user.username, "wrong", address=address)
        assert refused.status_code == 200
        assert "Please enter the correct username and password" in refused.content.decode()

    response = log_in(client, user.username, "pw", address=an_address())

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300
    page = response.content.decode()
    assert "Too many login attempts" in page
    assert "Try again in 5 minutes" in page
    assert not logged_in(client)


def test_an_address_that_failed_too_often_is_answered_429_whatever_the_username(client):
    address = an_address()
    for _ in range(5):
        assert log_in(client, f"nobody-{secrets.token_hex(4)}", "guess", address=address).status_code == 200

    response = log_in(client, a_staff_user().username, "pw", address=address)

    assert response.status_code == 429
    assert not logged_in(client)


def test_other_people_and_other_addresses_can_still_log_in_meanwhile(client):
    blocked, address = a_staff_user(), an_address()
    for _ in range(3):
        log_in(client, blocked.username, "wrong", address=address)

    other = a_staff_user()
    response = log_in(client, other.username, "pw", address=an_address())

    assert response.status_code == 302
    assert logged_in(client)


def test_changing_the_case_of_the_username_gives_no_more_tries(client):
    user, address = a_staff_user(), an_address()
    for variant in (user.username.upper(), user.username.title(), user.username):
        log_in(client, variant, "wrong", address=address)

    assert log_in(client, user.username, "pw", address=an_address()).status_code == 429


def test_a_forwarded_for_header_does_not_give_an_address_fresh_tries(client):
    address = an_address()
    for _ in range(5):
        log_in(client, f"nobody-{secrets.token_hex(4)}", "guess", address=address,
               HTTP_X_FORWARDED_FOR=an_address())

    response = log_in(client, a_staff_user().username, "pw", address=address, HTTP_X_FORWARDED_FOR=an_address())

    assert response.status_code == 429


def test_logging_in_clears_the_usernames_failures_but_not_the_addresss(client):
    user, address = a_staff_user(), an_address()
    for _ in range(2):
        log_in(client, user.username, "wrong", address=address)
    assert log_in(client, user.username, "pw", address=address).status_code == 302
    client.logout()

    for _ in range(2):
        assert log_in(client, user.username, "wrong", address=address).status_code == 200
    log_in(client, f"nobody-{secrets.token_hex(4)}", "guess", address=address)

    # The address has failed five times in all; the username twice since it logged in (four without the reset).
    assert log_in(client, user.username, "pw", address=address).status_code == 429
    assert log_in(client, user.username, "pw", address=an_address()).status_code == 302


def test_the_login_page_itself_still_opens_while_logging_in_is_refused(client):
    user, address = a_staff_user(), an_address()
    for _ in range(3):
        log_in(client, user.username, "wrong", address=address)

    assert client.get(LOGIN, REMOTE_ADDR=address).status_code == 200


def test_logging_in_works_again_once_the_window_has_passed(client, limits):
    limits.VOC_LOGIN_WINDOW_SECONDS = 1
    user, address = a_staff_user(), an_address()
    for _ in range(3):
        log_in(client, user.username, "wrong", address=address)
    refused = log_in(client, user.username, "pw", address=address)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"

    time.sleep(1.1)

    assert log_in(client, user.username, "pw", address=address).status_code == 302


def test_the_429_page_escapes_the_address_it_links_back_to(client):
    user, address = a_staff_user(), an_address()
    for _ in range(3):
        log_in(client, user.username, "wrong", address=address)

    response = client.post(f'{LOGIN}?next="><script>alert(1)</script>', {"username": user.username, "password": "pw"},
                           REMOTE_ADDR=address)

    assert response.status_code == 429
    assert "<script>alert(1)</script>" not in response.content.decode()


# --- the REST API --------------------------------------------------------------------------------


@pytest.fixture
def api_rate(settings):
    """An API client with a token of a new user, under a rate of 3 requests a minute."""
    settings.VOC_API_RATE = "3/min"

    def client_for_a_new_user() -> APIClient:
        client = APIClient()
        client.user = UserFactory(roles=[CUSTOMER_SUCCESS])
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=client.user, name='test')[1]}")
        # The throttle's history is kept per user id, which a test database hands out again in every run.
        cache.delete(f"throttle_user_{client.user.pk}")
        return client

    return client_for_a_new_user


def test_an_api_user_over_the_rate_is_answered_429_with_retry_after(api_rate):
    client, item = api_rate(), FeedbackItemFactory()
    for _ in range(3):
        assert client.get(f"/api/v1/feedback/{item.pk}").status_code == 200

    response = client.get(f"/api/v1/feedback/{item.pk}")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/json"
    assert "Request was throttled" in response.json()["detail"]


def test_each_api_user_has_a_budget_of_its_own(api_rate):
    busy, other, item = api_rate(), api_rate(), FeedbackItemFactory()
    for _ in range(4):
        busy.get(f"/api/v1/feedback/{item.pk}")

    assert busy.get(f"/api/v1/feedback/{item.pk}").status_code == 429
    assert other.get(f"/api/v1/feedback/{item.pk}").status_code == 200


def test_sending_feedback_counts_against_the_same_budget(api_rate):
    client = api_rate()
    for number in range(3):
        response = client.post("/api/v1/feedback", {"kind": "ticket", "text": f"Exports time out ({number})"},
                               format="json")
        assert response.status_code == 201

    refused = client.post("/api/v1/feedback", {"kind": "ticket", "text": "One too many"}, format="json")

    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_an_api_rate_that_is_not_a_rate_stops_start_up(tmp_path):
    result = django_setup(
        tmp_path=tmp_path,
        SECRET_KEY=real_secret(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        VOC_API_RATE="lots",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: VOC_API_RATE='lots' is not a rate" in result.stderr
