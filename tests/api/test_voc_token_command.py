import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.factories import UserFactory
from voc.api.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("voc_token", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue().strip(), stderr.getvalue()


def test_it_prints_a_new_token_once_and_stores_only_its_hash():
    user = UserFactory(username="ana")

    key, note = run("ana", "--name", "zapier import")

    token = ApiToken.objects.get()
    assert (token.user, token.name) == (user, "zapier import")
    assert token.key_hash == ApiToken.hash_key(key)
    assert key not in note
    assert "shown only this once" in note


def test_the_printed_token_authenticates():
    UserFactory(username="ana")
    key, _ = run("ana")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/schema/").status_code == 200


def test_it_names_the_token_by_default():
    UserFactory(username="ana")

    run("ana")

    assert ApiToken.objects.get().name == "command line"


def test_it_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        run("nobody")
    assert not ApiToken.objects.exists()


def test_it_refuses_an_inactive_user():
    UserFactory(username="gone", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        run("gone")
    assert not ApiToken.objects.exists()
