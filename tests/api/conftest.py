import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory
from voc.api.services import api_token_create
from voc.core.roles import CUSTOMER_SUCCESS


@pytest.fixture
def token_client(db):
    """An APIClient that sends a fresh token for a new user with the given roles."""

    def make(*, roles=(CUSTOMER_SUCCESS,), user=None) -> APIClient:
        user = user or UserFactory(roles=list(roles))
        _, key = api_token_create(user=user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        client.user = user
        return client

    return make


@pytest.fixture
def api_client(token_client) -> APIClient:
    return token_client()
