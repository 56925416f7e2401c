import pytest
from django.core.exceptions import ValidationError

from tests.factories import AccountDomainFactory, ContactFactory
from voc.accounts.models import AccountDomain, normalise_handle


@pytest.mark.parametrize("handle", ["@Jane", "u/jane", "/u/Jane", " jane "])
def test_handles_are_normalised_to_the_bare_lowercase_name(handle):
    assert normalise_handle(handle) == "jane"


@pytest.mark.django_db
def test_a_contact_stores_its_identities_normalised():
    contact = ContactFactory(email=" Jane@Acme.Example ", twitter_handle="@Jane_X", reddit_handle="")
    contact.refresh_from_db()
    assert (contact.email, contact.twitter_handle, contact.reddit_handle) == ("jane@acme.example", "jane_x", None)


@pytest.mark.django_db
def test_a_public_email_provider_cannot_be_an_account_domain():
    domain = AccountDomainFactory.build(domain="GMAIL.com")
    with pytest.raises(ValidationError, match="public email provider"):
        domain.full_clean(exclude=["account"])


@pytest.mark.django_db
def test_domains_are_stored_lowercase_without_an_at_sign():
    AccountDomainFactory(domain="@Acme.Example")
    assert AccountDomain.objects.get().domain == "acme.example"
