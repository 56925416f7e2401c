"""The REST API against the OpenAPI schema it serves (Schemathesis, in-process over WSGI, with a token): whatever
requests the schema allows, and the malformed ones Schemathesis derives from it, are never answered 5xx, and every
answer has a status code, content type, headers and body the schema declares."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import FeedbackItemFactory, UserFactory
from voc.api.services import api_token_create
from voc.core.roles import CUSTOMER_SUCCESS

# Not positive_data_acceptance or negative_data_rejection: on purpose, records are judged by record_clean and not
# by the schema (a batch with bad items is answered 200, item by item; a date a week ahead fits the schema but is
# rejected).
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def token(db) -> str:
    _, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="fuzz")
    FeedbackItemFactory.create_batch(3)  # so that some ids answer 200
    return key


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI application, inside the test's transaction. Like django.test.Client, it must not close the
    connection at the end of each request, or the test's transaction would go with it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, token):
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", wsgi_app, headers={"Authorization": f"Bearer {token}"}
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_the_api_never_fails_and_answers_as_its_schema_says(case, token):
    # Every operation's cases run in one test, against one token's request budget: the rate limit has tests of its
    # own (tests/security/test_rate_limits.py), and here a 429 would only hide what the case was meant to find.
    cache.clear()
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
