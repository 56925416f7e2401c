"""The bench's fake Zendesk export pages through all its tickets once each, in the shape the connector reads."""

import pytest
import requests

from bench.fake_zendesk import EXPORT, FakeZendesk
from ingest.zendesk.connector import ZendeskConnector
from voc.feedback.models import Source


@pytest.fixture
def zendesk():
    with FakeZendesk(tickets=2500) as fake:
        yield fake


def test_the_connector_reads_every_ticket_once_with_its_sideloaded_requester(zendesk, monkeypatch):
    monkeypatch.setenv("BENCH_TEST_TOKEN", "token")
    source = Source(name="bench", kind=Source.Kind.ZENDESK,
                    settings={"email": "bot@bench.example", "token_env": "BENCH_TEST_TOKEN",
                              "base_url": zendesk.url, "requests_per_minute": 0})
    connector = ZendeskConnector(source)
    cursor, pages, ids = connector.start_cursor(None), [], []
    while not pages or not pages[-1].done:
        pages.append(connector.fetch_page(cursor))
        cursor = pages[-1].cursor
        ids += [record["external_id"] for record in pages[-1].records]

    assert [len(page.records) for page in pages] == [1000, 1000, 500]
    assert sorted(ids, key=int) == [str(n) for n in range(1, 2501)]
    assert set(ids) == zendesk.external_ids()
    assert all(record["author_email"].endswith(".example") for page in pages for record in page.records)


def test_it_refuses_a_request_without_credentials(zendesk):
    response = requests.get(f"{zendesk.url}{EXPORT}", params={"start_time": 0}, timeout=5)

    assert response.status_code == 401
