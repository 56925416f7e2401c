"""Account resolution: which customer said this?"""

from dataclasses import dataclass

from voc.accounts.models import (
    PUBLIC_EMAIL_DOMAINS,
    Account,
    AccountDomain,
    Contact,
    normalise_email,
    normalise_handle,
)

# Which contact field a handle is looked up in, by source kind; other sources try both.
HANDLE_FIELDS_BY_SOURCE_KIND = {"reddit": ("reddit_handle",), "twitter": ("twitter_handle",)}


@dataclass(frozen=True)
class Resolution:
    account: Account | None
    contact: Contact | None
    method: str  # one of FeedbackItem.ResolvedBy


UNRESOLVED = Resolution(account=None, contact=None, method="")


def account_resolve(
    *, author_email: str = "", author_handle: str = "", account_crm_id: str = "", source_kind: str = ""
) -> Resolution:
    """Find the account behind an author: CRM id, then email → contact, email domain, social handle → contact."""
    if account_crm_id:
        account = Account.objects.filter(crm_id=account_crm_id).first()
        if account:
            return Resolution(account=account, contact=None, method="given")

    email = normalise_email(author_email)
    contact = None
    if email:
        contact = Contact.objects.select_related("account").filter(email=email).first()
        if contact and contact.account_id:
            return Resolution(account=contact.account, contact=contact, method="contact_email")
        domain = email.rpartition("@")[2]
        if domain and domain not in PUBLIC_EMAIL_DOMAINS:
            account_domain = AccountDomain.objects.select_related("account").filter(domain=domain).first()
            if account_domain:
                return Resolution(account=account_domain.account, contact=contact, method="email_domain")

    handle = normalise_handle(author_handle)
    if handle:
        for field_name in HANDLE_FIELDS_BY_SOURCE_KIND.get(source_kind, ("twitter_handle", "reddit_handle")):
            by_handle = Contact.objects.select_related("account").filter(**{field_name: handle}).first()
            if by_handle and by_handle.account_id:
                return Resolution(account=by_handle.account, contact=by_handle, method="social_handle")
            contact = contact or by_handle

    return Resolution(account=None, contact=contact, method="")
