"""API answers become transient or permanent errors, with the wait the API asked for."""

import email.utils
import time

import pytest

from ingest.base import PermanentError, TransientError
from ingest.http import ApiClient, retry_after
from tests.ingest.fake_api import FakeApi, Reply


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30),
        ({"X-Ratelimit-Reset": "12"}, 12),  # Reddit: seconds until the reset
        ({"x-rate-limit-reset": "{in 60 seconds}"}, 60),  # X: the reset moment, in seconds since 1970
        ({}, None),
    ],
)
def test_retry_after_reads_what_each_api_sends(headers, expected):
    headers = {name: str(int(time.time()) + 60) if value == "{in 60 seconds}" else value
               for name, value in headers.items()}
    wait = retry_after(headers)
    assert wait == pytest.approx(expected, abs=2) if expected is not None else wait is None


def test_retry_after_reads_an_http_date():
    moment = email.utils.formatdate(time.time() + 90, usegmt=True)
    assert retry_after({"Retry-After": moment}) == pytest.approx(90, abs=2)


@pytest.mark.parametrize(
    ("status", "error", "permanent"),
    [(429, TransientError, False), (503, TransientError, False), (401, PermanentError, True),
     (403, PermanentError, True), (404, PermanentError, True)],
)
def test_each_answer_maps_to_the_right_error(status, error, permanent):
    with FakeApi() as api:
        api.add("/things", Reply({"error": "no"}, status=status, headers={"Retry-After": "3"}))
        with pytest.raises(error) as raised:
            ApiClient(base_url=api.url).get_json("/things")
    assert raised.value.permanent is permanent


def test_a_refused_connection_is_transient():
    with pytest.raises(TransientError, match="ConnectionError"):
        ApiClient(base_url="http://127.0.0.1:9").get_json("/")


def test_calls_are_paced_below_the_sources_rate_limit():
    clock = iter([0.0, 0.0, 1.0, 1.0]).__next__
    waits = []
    client = ApiClient(base_url="http://127.0.0.1:9", requests_per_minute=30, clock=clock, sleep=waits.append)
    client._pace()
    client._pace()
    assert waits == [2.0]  # 30 a minute: one every two seconds


def test_a_spent_budget_waits_for_its_reset_before_the_next_call():
    waits = []
    with FakeApi() as api:
        api.add("/listing", Reply({"data": {}}, headers={"X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "42"}))
        ApiClient(base_url=api.url, sleep=waits.append).get_json("/listing")
    assert waits == [42.0]
