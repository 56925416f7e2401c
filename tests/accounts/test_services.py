import pytest

from tests.factories import AccountDomainFactory, AccountFactory, ContactFactory
from voc.accounts.services import account_resolve

pytestmark = pytest.mark.django_db


def test_it_resolves_through_the_contact_with_that_email_first():
    contact = ContactFactory(email="jane@shared.example")
    AccountDomainFactory(domain="shared.example")  # a different account owns the domain
    resolution = account_resolve(author_email="JANE@shared.example")
    assert (resolution.account, resolution.contact, resolution.method) == (contact.account, contact, "contact_email")


def test_it_falls_back_to_the_email_domain():
    domain = AccountDomainFactory(domain="acme.example")
    resolution = account_resolve(author_email="new.person@acme.example")
    assert (resolution.account, resolution.method) == (domain.account, "email_domain")


def test_it_never_maps_a_public_email_provider_to_an_account():
    AccountDomainFactory.build(domain="gmail.com")  # even if someone tried, resolution skips the domain
    assert account_resolve(author_email="someone@gmail.com").account is None


def test_it_resolves_a_twitter_handle_through_its_contact():
    contact = ContactFactory(email=None, twitter_handle="@AcmeJane")
    resolution = account_resolve(author_handle="acmejane", source_kind="twitter")
    assert (resolution.account, resolution.method) == (contact.account, "social_handle")


def test_a_reddit_handle_is_not_looked_up_as_a_twitter_handle():
    ContactFactory(email=None, twitter_handle="jane")
    assert account_resolve(author_handle="u/jane", source_kind="reddit").account is None


def test_a_crm_id_wins_over_everything_else():
    account = AccountFactory(crm_id="0015g00000ABC")
    ContactFactory(email="jane@acme.example")
    resolution = account_resolve(account_crm_id="0015g00000ABC", author_email="jane@acme.example")
    assert resolution.account == account


def test_an_author_nobody_knows_stays_unresolved():
    resolution = account_resolve(author_email="x@nowhere.example", author_handle="ghost")
    assert (resolution.account, resolution.contact, resolution.method) == (None, None, "")


def test_a_contact_without_an_account_is_still_linked():
    contact = ContactFactory(account=None, email="free@agent.example")
    resolution = account_resolve(author_email="free@agent.example")
    assert (resolution.account, resolution.contact) == (None, contact)
