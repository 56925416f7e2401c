import re

import pytest
from django.contrib.messages import get_messages

from tests.factories import UserFactory
from voc.api.models import ApiToken
from voc.api.services import api_token_create
from voc.core.roles import ADMIN

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/api/apitoken/add/"
LIST_URL = "/admin/api/apitoken/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[ADMIN]))
    return client


def test_the_add_form_asks_only_for_user_and_name(admin_client):
    response = admin_client.get(ADD_URL)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == ["user", "name"]


def test_adding_a_token_shows_the_plain_token_once_and_stores_its_hash(admin_client):
    owner = UserFactory()

    response = admin_client.post(ADD_URL, {"user": owner.pk, "name": "zapier import"}, follow=True)

    token = ApiToken.objects.get()
    assert (token.user, token.name) == (owner, "zapier import")
    shown = [str(message) for message in response.context["messages"]]
    keys = [match for message in shown for match in re.findall(r"voc_[A-Za-z0-9_-]{43}", message)]
    assert len(keys) == 1
    assert ApiToken.hash_key(keys[0]) == token.key_hash
    assert keys[0].encode() not in admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content


def test_the_revoke_action_revokes_the_selected_tokens(admin_client):
    user = UserFactory()
    chosen, _ = api_token_create(user=user, name="old")
    kept, _ = api_token_create(user=user, name="current")

    response = admin_client.post(LIST_URL, {"action": "revoke", "_selected_action": [chosen.pk]})

    assert response.status_code == 302
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.revoked_at is not None
    assert kept.revoked_at is None
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Revoked 1 token."]
