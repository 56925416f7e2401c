"""Reads for accounts."""

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Lower

from voc.accounts.models import Account, AccountDomain, normalise_domain

MAX_QUERY_CHARS = 100


def accounts_search(*, query: str, limit: int = 10) -> list[Account]:
    """Accounts whose name contains the query, or whose email domain or CRM id starts with it; prefix names first."""
    query = query.strip()[:MAX_QUERY_CHARS]
    if not query:
        return []
    # Someone may paste an author's address: its domain is what identifies the account.
    domain = normalise_domain(query.rpartition("@")[2])
    matches = Q(name__icontains=query) | Q(crm_id__istartswith=query)
    if domain:
        matches |= Q(pk__in=AccountDomain.objects.filter(domain__startswith=domain).values("account_id"))
    return list(
        Account.objects.filter(matches)
        .annotate(
            name_rank=Case(When(name__istartswith=query, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("name_rank", Lower("name"), "pk")
        .prefetch_related("domains")[:limit]
    )


def account_get(*, account_id: int) -> Account | None:
    """The account with this id, or None."""
    return Account.objects.filter(pk=account_id).prefetch_related("domains").first()


def account_detail(account: Account) -> str:
    """A short line that tells same-named accounts apart: domains, CRM id, tier."""
    parts = []
    domains = account.email_domains
    if domains:
        parts.append(", ".join(domains[:3]) + (f" +{len(domains) - 3}" if len(domains) > 3 else ""))
    if account.crm_id:
        parts.append(f"CRM {account.crm_id}")
    if account.plan_tier:
        parts.append(account.get_plan_tier_display())
    return " · ".join(parts)


def accounts_choices(*, query: str, limit: int = 10) -> list[dict]:
    """accounts_search as {id, name, detail} rows for pickers."""
    return [
        {"id": account.pk, "name": account.name, "detail": account_detail(account)}
        for account in accounts_search(query=query, limit=limit)
    ]
