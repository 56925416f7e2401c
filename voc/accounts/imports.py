"""Import accounts, their email domains and contacts from a CRM-style CSV file."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import islice
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import TextChoices

from ingest.files import RejectWriter, rows_read
from voc.accounts.models import (
    PUBLIC_EMAIL_DOMAINS,
    Account,
    AccountDomain,
    Contact,
    normalise_domain,
    normalise_email,
    normalise_handle,
)

ACCOUNT_FIELDS = ["crm_id", "name", "domains", "arr", "currency", "plan_tier", "segment", "region",
                  "lifecycle_stage", "owner_email"]
CONTACT_FIELDS = ["contact_name", "contact_email", "twitter_handle", "reddit_handle"]
ACCOUNT_COLUMNS = frozenset(ACCOUNT_FIELDS + CONTACT_FIELDS)
# Account.arr is DECIMAL(14, 2).
MAX_ARR = Decimal("999999999999.99")

_DOMAIN_SEPARATORS = re.compile(r"[;,\s]+")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class RowRejected(Exception):
    """One CSV row cannot be imported; the message says why."""


@dataclass
class AccountImportSummary:
    read: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    domains_added: int = 0
    rejected: int = 0
    reject_path: Path | None = None  # set only when rejected rows were written


@dataclass
class _RowOutcome:
    account: Account
    account_created: bool
    contact_created: bool = False
    contact_updated: bool = False
    domains_added: int = 0


def accounts_import_csv(
    *,
    path: str | Path,
    reject_path: str | Path | None = None,
    batch_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> AccountImportSummary:
    """Upsert accounts (by crm_id, else exact name), their domains and contacts (by email) from a CSV file.

    A row may carry an account, a contact of it, or both; rows with the same crm_id add contacts to one
    account. An empty cell leaves the stored value as it is (a new account starts with unknown ARR).
    Bad rows are written with line number and reason to the reject file; the rest imports.
    """
    summary = AccountImportSummary()
    # Several rows may touch one account; each account counts once, as created or as updated.
    created_ids: set[int] = set()
    updated_ids: set[int] = set()
    rows = rows_read(path, file_format="csv", columns=ACCOUNT_COLUMNS, metadata_columns=False)
    with RejectWriter.for_import(path=path, reject_path=reject_path) as rejects:
        while batch := list(islice(rows, batch_size)):
            # One transaction per batch with a savepoint per row: a bad row rolls back alone.
            with transaction.atomic():
                for row in batch:
                    summary.read += 1
                    reason = row.error or _row_import_or_reason(row.record, summary, created_ids, updated_ids)
                    if reason:
                        summary.rejected += 1
                        rejects.write(row.line_number, reason, row.raw)
            if progress is not None:
                progress(summary.read)
        if rejects.written:
            summary.reject_path = rejects.path
    summary.accounts_created = len(created_ids)
    summary.accounts_updated = len(updated_ids - created_ids)
    return summary


def _row_import_or_reason(
    record: dict, summary: AccountImportSummary, created_ids: set[int], updated_ids: set[int]
) -> str:
    try:
        with transaction.atomic():
            outcome = _row_import(record)
    except RowRejected as rejected:
        return str(rejected)
    except IntegrityError as error:
        return f"conflicts with data already stored: {error}"
    account_id = outcome.account.pk
    (created_ids if outcome.account_created else updated_ids).add(account_id)
    summary.contacts_created += outcome.contact_created
    summary.contacts_updated += outcome.contact_updated
    summary.domains_added += outcome.domains_added
    return ""


def _row_import(record: dict) -> _RowOutcome:
    crm_id = _text(record, "crm_id", max_length=100)
    name = _text(record, "name", max_length=200)
    if not crm_id and not name:
        raise RowRejected("crm_id or name is required")
    values = _account_values(record)
    domains = _domains(record.get("domains", ""))
    contact_values = _contact_values(record)

    account, created = _account_upsert(crm_id=crm_id, name=name, values=values)
    outcome = _RowOutcome(account=account, account_created=created)
    outcome.domains_added = _domains_add(account, domains)
    if contact_values:
        outcome.contact_created, outcome.contact_updated = _contact_upsert(account, contact_values)
    return outcome


def _account_upsert(*, crm_id: str, name: str, values: dict) -> tuple[Account, bool]:
    if crm_id:
        account = Account.objects.filter(crm_id=crm_id).first()
        if account is None and name:
            # An account typed in by hand before the first CRM import is the same customer: adopt it, not double it.
            same_name = list(Account.objects.filter(name=name, crm_id__isnull=True)[:2])
            account = same_name[0] if len(same_name) == 1 else None
    else:
        same_name = list(Account.objects.filter(name=name)[:2])
        if len(same_name) > 1:
            raise RowRejected(f"name: several accounts are called {name!r}; add a crm_id to say which")
        account = same_name[0] if same_name else None
    created = account is None
    if created:
        if not name:
            raise RowRejected(f"name: is required for a new account (no account has crm_id {crm_id!r})")
        account = Account(name=name)
    if crm_id:
        account.crm_id = crm_id
    if name:
        account.name = name
    for field_name, value in values.items():
        setattr(account, field_name, value)
    account.save()
    return account, created


def _account_values(record: dict) -> dict:
    values: dict = {}
    if "arr" in record:
        values["arr"] = _arr(record["arr"])
    if "currency" in record:
        currency = record["currency"].strip().upper()
        if not _CURRENCY.match(currency):
            raise RowRejected(f"currency: {record['currency']!r} is not a three-letter code such as USD")
        values["arr_currency"] = currency
    for column, choices in (("plan_tier", Account.Tier), ("segment", Account.Segment),
                            ("lifecycle_stage", Account.Lifecycle)):
        if column in record:
            values[column] = _choice(record[column], choices, column)
    if "region" in record:
        values["region"] = _text(record, "region", max_length=50)
    if "owner_email" in record:
        values["owner"] = _owner(record["owner_email"])
    return values


def _arr(raw: str) -> Decimal:
    # CRM exports write 12,000 or 12 000; both mean twelve thousand.
    text = re.sub(r"[,\s_]", "", raw)
    try:
        arr = Decimal(text)
    except InvalidOperation:
        raise RowRejected(f"arr: {raw!r} is not a number")
    if not arr.is_finite() or arr < 0 or arr > MAX_ARR:
        raise RowRejected(f"arr: {raw!r} must be between 0 and {MAX_ARR:,}")
    return arr.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _choice(raw: str, choices: type[TextChoices], column: str) -> str:
    wanted = re.sub(r"[\s-]+", "_", raw.strip().lower())
    for value, label in choices.choices:
        if wanted in (value, re.sub(r"[\s-]+", "_", str(label).lower())):
            return value
    raise RowRejected(f"{column}: {raw!r} is not one of {', '.join(choices.values)}")


def _owner(raw: str):
    email = normalise_email(raw)
    owner = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if owner is None:
        raise RowRejected(f"owner_email: no user has the email {email!r}")
    return owner


def _domains(raw: str) -> list[str]:
    domains = []
    for part in _DOMAIN_SEPARATORS.split(raw):
        domain = normalise_domain(part)
        if not domain:
            continue
        if "@" in domain:
            raise RowRejected(f"domains: {part!r} is an email address; give only the part after the @")
        if not _DOMAIN.match(domain):
            raise RowRejected(f"domains: {part!r} is not a domain name")
        if domain in PUBLIC_EMAIL_DOMAINS:
            raise RowRejected(f"domains: {domain} is a public email provider, not a company domain")
        if domain not in domains:
            domains.append(domain)
    return domains


def _domains_add(account: Account, domains: list[str]) -> int:
    owners = dict(AccountDomain.objects.filter(domain__in=domains).values_list("domain", "account_id"))
    for domain, owner_id in owners.items():
        if owner_id != account.pk:
            other = Account.objects.filter(pk=owner_id).values_list("name", flat=True).first()
            raise RowRejected(f"domains: {domain} already belongs to account {other!r}")
    new = [AccountDomain(account=account, domain=domain) for domain in domains if domain not in owners]
    for account_domain in new:
        account_domain.save()
    return len(new)


def _contact_values(record: dict) -> dict:
    if not any(column in record for column in CONTACT_FIELDS):
        return {}
    values = {}
    if "contact_email" in record:
        email = normalise_email(record["contact_email"])
        try:
            validate_email(email)
        except ValidationError:
            raise RowRejected(f"contact_email: {record['contact_email']!r} is not an email address")
        values["email"] = email
    for column in ("twitter_handle", "reddit_handle"):
        if column in record:
            handle = normalise_handle(record[column])
            if not handle or len(handle) > 100:
                raise RowRejected(f"{column}: {record[column]!r} is not a handle of 1 to 100 characters")
            values[column] = handle
    if "contact_name" in record:
        values["name"] = _text(record, "contact_name", max_length=200)
    if not values.keys() & {"email", "twitter_handle", "reddit_handle"}:
        raise RowRejected("contact_name: a contact needs contact_email, twitter_handle or reddit_handle")
    return values


def _contact_upsert(account: Account, values: dict) -> tuple[bool, bool]:
    contact = Contact.objects.filter(email=values["email"]).first() if "email" in values else None
    if contact is None:
        # Someone first seen by handle (on Reddit, say) and now listed in the CRM is the same person.
        for column in ("twitter_handle", "reddit_handle"):
            if column in values:
                contact = Contact.objects.filter(**{column: values[column]}).first()
                if contact is not None:
                    break
        if contact is not None and contact.email and contact.email != values.get("email", contact.email):
            raise RowRejected(
                f"contact_email: the handle belongs to the contact {contact.email}, not {values['email']}"
            )
    created = contact is None
    contact = contact or Contact()
    for column in ("twitter_handle", "reddit_handle"):
        if column in values:
            holder = Contact.objects.filter(**{column: values[column]}).exclude(pk=contact.pk).first()
            if holder is not None:
                raise RowRejected(f"{column}: {values[column]} already belongs to the contact {holder}")
    for field_name, value in values.items():
        setattr(contact, field_name, value)
    contact.account = account
    contact.save()
    return created, not created


def _text(record: dict, column: str, *, max_length: int) -> str:
    value = record.get(column, "").strip()
    if len(value) > max_length:
        raise RowRejected(f"{column}: is longer than {max_length} characters")
    return value
