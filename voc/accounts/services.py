"""Account resolution: which customer said this?"""

from collections.abc import Sequence
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
ALL_HANDLE_FIELDS = ("twitter_handle", "reddit_handle")


@dataclass(frozen=True)
class Author:
    email: str = ""
    handle: str = ""
    account_crm_id: str = ""
    source_kind: str = ""


@dataclass(frozen=True)
class Resolution:
    account: Account | None
    contact: Contact | None
    method: str  # one of FeedbackItem.ResolvedBy


def account_resolve(
    *, author_email: str = "", author_handle: str = "", account_crm_id: str = "", source_kind: str = ""
) -> Resolution:
    """Find the account behind an author: CRM id, then email → contact, email domain, social handle → contact."""
    author = Author(email=author_email, handle=author_handle, account_crm_id=account_crm_id, source_kind=source_kind)
    return account_resolve_many(authors=[author])[0]


def account_resolve_many(*, authors: Sequence[Author]) -> list[Resolution]:
    """account_resolve for many authors at once, in four queries whatever their number."""
    emails = {normalise_email(a.email) for a in authors} - {""}
    domains = {email.rpartition("@")[2] for email in emails} - PUBLIC_EMAIL_DOMAINS - {""}
    handles = {normalise_handle(a.handle) for a in authors} - {""}
    crm_ids = {a.account_crm_id for a in authors} - {""}

    accounts_by_crm_id = {a.crm_id: a for a in Account.objects.filter(crm_id__in=crm_ids)} if crm_ids else {}
    contacts_by_email = (
        {c.email: c for c in Contact.objects.select_related("account").filter(email__in=emails)} if emails else {}
    )
    accounts_by_domain = (
        {d.domain: d.account for d in AccountDomain.objects.select_related("account").filter(domain__in=domains)}
        if domains
        else {}
    )
    contacts_by_handle: dict[tuple[str, str], Contact] = {}
    if handles:
        for contact in Contact.objects.select_related("account").filter(twitter_handle__in=handles):
            contacts_by_handle[("twitter_handle", contact.twitter_handle)] = contact
        for contact in Contact.objects.select_related("account").filter(reddit_handle__in=handles):
            contacts_by_handle[("reddit_handle", contact.reddit_handle)] = contact

    resolutions = []
    for author in authors:
        email = normalise_email(author.email)
        handle = normalise_handle(author.handle)
        resolutions.append(
            _resolve_one(
                account=accounts_by_crm_id.get(author.account_crm_id),
                email_contact=contacts_by_email.get(email),
                domain_account=accounts_by_domain.get(email.rpartition("@")[2]) if email else None,
                handle_contacts=[
                    contacts_by_handle.get((field, handle))
                    for field in HANDLE_FIELDS_BY_SOURCE_KIND.get(author.source_kind, ALL_HANDLE_FIELDS)
                ],
            )
        )
    return resolutions


def _resolve_one(*, account, email_contact, domain_account, handle_contacts) -> Resolution:
    if account is not None:
        return Resolution(account=account, contact=None, method="given")
    if email_contact is not None and email_contact.account_id:
        return Resolution(account=email_contact.account, contact=email_contact, method="contact_email")
    if domain_account is not None:
        return Resolution(account=domain_account, contact=email_contact, method="email_domain")
    for contact in handle_contacts:
        if contact is not None and contact.account_id:
            return Resolution(account=contact.account, contact=contact, method="social_handle")
    known_contact = email_contact or next((c for c in handle_contacts if c is not None), None)
    return Resolution(account=None, contact=known_contact, method="")
