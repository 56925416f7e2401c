import pytest

from tests.factories import AccountDomainFactory, AccountFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT

pytestmark = pytest.mark.django_db

URL = "/accounts/autocomplete/"


@pytest.fixture
def cs_client(client):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    return client


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_it_finds_accounts_by_part_of_the_name(cs_client):
    acme = AccountFactory(name="Acme Corporation", crm_id="SF-1")
    AccountDomainFactory(account=acme, domain="acme.example")
    AccountFactory(name="Globex")
    response = cs_client.get(URL, {"q": "corp"})
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": acme.pk, "name": "Acme Corporation", "detail": "acme.example · CRM SF-1 · Growth"}]
    }


def test_it_finds_accounts_by_email_domain(cs_client):
    initech = AccountFactory(name="Initech")
    AccountDomainFactory(account=initech, domain="initech.example")
    AccountFactory(name="Umbrella")
    assert names(cs_client.get(URL, {"q": "initech.ex"})) == ["Initech"]
    assert names(cs_client.get(URL, {"q": "peter@INITECH.example"})) == ["Initech"]


def test_it_finds_accounts_by_crm_id(cs_client):
    AccountFactory(name="Hooli", crm_id="0015g00000XyZ")
    AccountFactory(name="Pied Piper", crm_id="0015g00000AbC")
    assert names(cs_client.get(URL, {"q": "0015g00000x"})) == ["Hooli"]


def test_it_lists_names_that_start_with_the_query_first_and_at_most_ten(cs_client):
    for number in range(12):
        AccountFactory(name=f"Big Acme {number:02}")
    AccountFactory(name="Acme")
    found = names(cs_client.get(URL, {"q": "acme"}))
    assert len(found) == 10
    assert found[0] == "Acme"


def test_an_empty_query_finds_nothing(cs_client):
    AccountFactory(name="Acme")
    assert names(cs_client.get(URL, {"q": "  "})) == []


def test_a_user_without_view_account_permission_gets_403(client):
    client.force_login(UserFactory(roles=[]))
    assert client.get(URL, {"q": "a"}).status_code == 403


def test_a_product_user_may_search_accounts(client):
    client.force_login(UserFactory(roles=[PRODUCT]))
    AccountFactory(name="Acme")
    assert names(client.get(URL, {"q": "acme"})) == ["Acme"]


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL, {"q": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
