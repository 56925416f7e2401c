import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import FeedbackItemFactory, UserFactory
from voc.api.models import ApiToken
from voc.api.services import api_token_create, api_token_revoke
from voc.core.roles import CUSTOMER_SUCCESS

pytestmark = pytest.mark.django_db


def get_item(key: str, *, scheme: str = "Bearer"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client.get(f"/api/v1/feedback/{FeedbackItemFactory().pk}")


def test_the_database_never_holds_the_plain_token():
    token, key = api_token_create(user=UserFactory(), name="zapier import")

    assert key.startswith("voc_")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.prefix)
    assert len(token.prefix) < len(key) // 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert stored
    assert not [value for value in stored if key in value]


def test_each_token_is_different():
    user = UserFactory()

    keys = {api_token_create(user=user, name=f"token {n}")[1] for n in range(5)}

    assert len(keys) == 5


def test_a_token_authenticates_and_records_when_it_was_used():
    token, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="t")
    assert token.last_used_at is None

    response = get_item(key)

    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Token"])
def test_it_accepts_the_bearer_and_token_schemes(scheme):
    _, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="t")

    assert get_item(key, scheme=scheme).status_code == 200


def test_it_writes_last_used_at_at_most_once_a_minute():
    token, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="t")
    recently = timezone.now() - dt.timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recently)

    get_item(key)
    token.refresh_from_db()
    assert token.last_used_at == recently

    long_ago = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    get_item(key)
    token.refresh_from_db()
    assert token.last_used_at > long_ago


def test_it_refuses_an_unknown_token():
    response = get_item("voc_" + "x" * 43)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_it_refuses_a_revoked_token():
    token, key = api_token_create(user=UserFactory(roles=[CUSTOMER_SUCCESS]), name="t")

    assert api_token_revoke(token=token) is True

    assert get_item(key).status_code == 401


def test_revoking_twice_keeps_the_first_revocation_time():
    token, _ = api_token_create(user=UserFactory(), name="t")
    api_token_revoke(token=token)
    first = token.revoked_at

    assert api_token_revoke(token=token) is False
    assert token.revoked_at == first


def test_it_refuses_the_token_of_an_inactive_user():
    user = UserFactory(roles=[CUSTOMER_SUCCESS])
    _, key = api_token_create(user=user, name="t")
    user.is_active = False
    user.save()

    assert get_item(key).status_code == 401


def test_it_refuses_a_malformed_authorization_header():
    response = get_item("voc_abc extra")

    assert response.status_code == 401
    assert "Bearer <token>" in response.json()["detail"]
