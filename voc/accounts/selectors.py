"""Reads for accounts."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Lower, Substr
from django.utils import timezone

from voc.accounts.models import Account, AccountDomain, normalise_domain
from voc.feedback.models import FeedbackItem
from voc.ranking.scoring import AccountFacts, Contribution, WeightPolicy, voices_score
from voc.ranking.selectors import voices_by_theme
from voc.themes.models import Theme

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


@dataclass(frozen=True)
class AccountTheme:
    theme: Theme
    mentions: int
    latest: datetime
    contribution: Contribution  # this account's share of the theme's score, exactly as the ranking counts it


def account_themes(
    *, account: Account, period_days: int = 90, now: datetime | None = None, policy: WeightPolicy | None = None
) -> list[AccountTheme]:
    """Live themes the account's processed feedback falls in over the period, biggest contribution first."""
    now = now or timezone.now()
    policy = policy or WeightPolicy.from_settings()
    # The ranking's own voice query narrowed to this account, so both pages count the same items.
    voices = voices_by_theme(now - timedelta(days=period_days), now, {"item__account_id": account.pk})
    facts = {account.pk: AccountFacts(name=account.name, arr=account.arr, tier=account.plan_tier,
                                      segment=account.segment)}
    themes = Theme.objects.select_related("product_area").in_bulk(list(voices))
    rows = []
    for theme_id, said in voices.items():
        # A voice's contribution depends only on its own mentions (the anonymous cap never touches an account),
        # so scoring this account alone gives the same number as its row in the theme's full explanation.
        [contribution] = voices_score(said, facts, policy=policy, now=now, interval=False).contributions
        rows.append(AccountTheme(themes[theme_id], contribution.mentions, said[0].latest, contribution))
    return sorted(rows, key=lambda row: (-row.contribution.weight, row.theme.display_name.lower(), row.theme.pk))


def account_value(*, account: Account, policy: WeightPolicy | None = None) -> float:
    """What one voice from this account is worth under the ranking policy, before reliability, freshness, repeat."""
    policy = policy or WeightPolicy.from_settings()
    return policy.account_value(account.arr, account.plan_tier, account.segment)


FEEDBACK_PREVIEW_CHARS = 300
UNTHEMED = "none"  # the theme filter's value for items without a theme


def account_feedback(*, account: Account, theme: str = "") -> QuerySet[FeedbackItem]:
    """The account's feedback, newest first, with a text preview; theme: a theme id, UNTHEMED, or "" for all."""
    items = (
        FeedbackItem.objects.filter(account=account)
        .select_related("source", "theme")
        .defer("text", "metadata", "last_error")
        .annotate(text_preview=Substr("text", 1, FEEDBACK_PREVIEW_CHARS))
        .order_by("-occurred_at", "-pk")
    )
    if theme == UNTHEMED:
        return items.filter(theme__isnull=True)
    if theme.isdigit():
        return items.filter(theme_id=int(theme))
    return items


def account_feedback_themes(*, account: Account) -> list[Theme]:
    """Every theme, live or retired, that some of the account's feedback sits in, by name."""
    theme_ids = (
        FeedbackItem.objects.filter(account=account, theme__isnull=False).values_list("theme_id", flat=True).distinct()
    )
    return sorted(Theme.objects.filter(pk__in=theme_ids), key=lambda theme: theme.display_name.lower())


@dataclass(frozen=True)
class AccountLogged:
    account: Account
    notes: int  # the person's notes for the account
    last_logged_at: datetime


def accounts_logged_recently(*, user, limit: int = 8) -> list[AccountLogged]:
    """The accounts this person logged feedback for, the latest first: who they are likely to log for next."""
    latest = (
        FeedbackItem.objects.filter(logged_by=user, account__isnull=False)
        .values("account_id")
        .annotate(notes=Count("pk"), last_logged_at=Max("received_at"))
        .order_by("-last_logged_at", "-account_id")[:limit]
    )
    rows = list(latest)
    accounts = Account.objects.in_bulk([row["account_id"] for row in rows])
    return [
        AccountLogged(account=accounts[row["account_id"]], notes=row["notes"], last_logged_at=row["last_logged_at"])
        for row in rows
        if row["account_id"] in accounts
    ]
