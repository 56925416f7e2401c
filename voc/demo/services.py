"""The demo data set: accounts, contacts, sources, users and the BANKING77 sample as feedback.

Everything is derived from a seed, and every write is keyed (CRM id, email, domain, source name, username,
external id), so loading twice changes nothing the second time. Feedback goes in through
feedback_ingest_batch like any other feedback.
"""

import datetime as dt
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from voc.accounts.models import Account, AccountDomain, Contact
from voc.core import roles
from voc.demo import names
from voc.demo.sample import LARGE_ACCOUNT_INTENTS, LOUD_INTENT, LOUD_TEXTS, sample_read
from voc.digests.models import DigestSubscription
from voc.feedback.models import Source
from voc.feedback.services import IngestStatus, feedback_ingest_batch, source_get_or_create

DEFAULT_PASSWORD = "voc-demo"
COMPANY_DOMAIN = "yourbank.example"
DEMO_TOKEN_NAME = "demo"
HISTORY = dt.timedelta(weeks=12)
# The loud account's tickets arrive in a recent burst, as floods usually do.
LOUD_BURST = dt.timedelta(weeks=3)


@dataclass(frozen=True)
class DemoSource:
    key: str
    name: str
    kind: str
    reliability_weight: float


SOURCES = [
    DemoSource("zendesk", "Zendesk", Source.Kind.ZENDESK, 1.0),
    DemoSource("survey", "NPS survey", Source.Kind.SURVEY, 0.9),
    DemoSource("sales", "Sales notes", Source.Kind.HUBSPOT, 0.8),
    DemoSource("reddit", "Reddit r/yourbank", Source.Kind.REDDIT, 0.4),
    DemoSource("twitter", "Twitter/X", Source.Kind.TWITTER, 0.3),
    # The source the "log feedback" form writes to (voc.feedback.forms.MANUAL_SOURCE_NAME), so the demo's
    # hand-logged items sit beside the ones people add.
    DemoSource("manual", "manual", Source.Kind.MANUAL, 1.0),
]
# How the bulk of the sample is split over the channels.
CHANNEL_SHARES = {"zendesk": 50, "survey": 15, "sales": 7, "reddit": 10, "twitter": 10, "manual": 8}
# Detractors dominate: these are complaints.
NPS_WEIGHTS = [4, 3, 4, 5, 6, 7, 8, 7, 6, 3, 2]


@dataclass(frozen=True)
class DemoUserSpec:
    username: str
    first_name: str
    last_name: str
    group: str
    role: str  # as the login hint shows it
    is_superuser: bool = False


DEMO_USERS = [
    DemoUserSpec("admin", "Avery", "Admin", roles.ADMIN, "superuser", is_superuser=True),
    DemoUserSpec("pm", "Priya", "Mehta", roles.PRODUCT, "product manager"),
    DemoUserSpec("cs", "Casey", "Morgan", roles.CUSTOMER_SUCCESS, "customer success"),
]


@dataclass
class DemoSummary:
    accounts_total: int
    accounts_created: int
    contacts_total: int
    contacts_created: int
    sources: list[str]
    items_planned: int
    items_created: int
    items_duplicate: int
    items_rejected: int
    rejections: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, role)
    password: str = DEFAULT_PASSWORD
    api_token: str = ""
    api_token_note: str = ""
    digest_recipient: str = ""
    loud_account: str = names.LOUD_COMPANY


@dataclass
class _AccountPlan:
    name: str
    crm_id: str
    domain: str
    arr: Decimal | None
    tier: str
    segment: str
    region: str
    lifecycle: str
    group: str  # enterprise, large, mid, small, loud, unknown, free
    contacts: list[dict] = field(default_factory=list)


def demo_load(*, seed: int = 7, password: str = DEFAULT_PASSWORD, limit: int | None = None) -> DemoSummary:
    """Load the demo data set; `limit` caps the bulk of the sample (the loud and large accounts always load)."""
    users = demo_users_ensure(password=password)
    cs_user = users["cs"]
    plans = _account_plans(random.Random(f"{seed}:accounts"))
    accounts, accounts_created, contacts_created = _accounts_ensure(plans, owner=cs_user)
    sources = {spec.key: _source_ensure(spec) for spec in SOURCES}

    records = _feedback_plan(
        random.Random(f"{seed}:feedback"), plans=plans, accounts=accounts, now=timezone.now(), limit=limit
    )
    summary = DemoSummary(
        accounts_total=len(accounts),
        accounts_created=accounts_created,
        contacts_total=sum(len(plan.contacts) for plan in plans),
        contacts_created=contacts_created,
        sources=[spec.name for spec in SOURCES],
        items_planned=sum(len(batch) for batch in records.values()),
        items_created=0,
        items_duplicate=0,
        items_rejected=0,
        users=[(spec.username, spec.role) for spec in DEMO_USERS],
        password=password,
    )
    for spec in SOURCES:
        results = feedback_ingest_batch(
            source=sources[spec.key],
            records=records[spec.key],
            logged_by=cs_user if spec.key == "manual" else None,
        )
        for result in results:
            if result.status == IngestStatus.CREATED:
                summary.items_created += 1
            elif result.status == IngestStatus.DUPLICATE:
                summary.items_duplicate += 1
            else:
                summary.items_rejected += 1
                summary.rejections.append(f"{spec.name} #{result.index}: {result.errors}")
    summary.api_token, summary.api_token_note = _api_token_ensure(users["admin"])
    summary.digest_recipient = _digest_subscription_ensure(users["pm"]).recipient
    return summary


def demo_users_ensure(*, password: str = DEFAULT_PASSWORD) -> dict[str, User]:
    """Create or reset the demo users admin, pm and cs, each in its role group, with `password`."""
    users = {}
    for spec in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=spec.username)
        user.first_name = spec.first_name
        user.last_name = spec.last_name
        user.email = f"{spec.username}@{COMPANY_DOMAIN}"
        user.is_staff = True
        user.is_superuser = spec.is_superuser
        user.is_active = True
        user.set_password(password)
        user.save()
        group, _ = Group.objects.get_or_create(name=spec.group)
        user.groups.add(group)
        users[spec.username] = user
    return users


def _digest_subscription_ensure(product_manager: User) -> DigestSubscription:
    """The product manager's weekly digest (Monday 08:00 UTC, all feedback), to preview and test-send in the admin."""
    subscription, _ = DigestSubscription.objects.get_or_create(
        recipient=product_manager.email,
        defaults={"recipient_name": product_manager.get_full_name(), "day_of_week": 0, "hour": 8,
                  "created_by": product_manager},
    )
    return subscription


def _api_token_ensure(admin: User) -> tuple[str, str]:
    try:
        from voc.api.services import api_token_create
    except ModuleNotFoundError as missing:
        # The API app may ship without token services; a broken import inside it must still fail loudly.
        if missing.name != "voc.api.services":
            raise
        return "", ""
    from voc.api.models import ApiToken

    if ApiToken.objects.active().filter(user=admin, name=DEMO_TOKEN_NAME).exists():
        return "", (
            f"admin already has an API token named {DEMO_TOKEN_NAME!r}; it was shown when it was made. "
            "Revoke it in the admin and run the demo again for a new one."
        )
    _, key = api_token_create(user=admin, name=DEMO_TOKEN_NAME)
    return key, ""


# --- Accounts and contacts -----------------------------------------------------------------------


def _account_plans(rng: random.Random) -> list[_AccountPlan]:
    plans: list[_AccountPlan] = []

    def add(name: str, group: str, arr: Decimal | None, tier: str, segment: str, lifecycle: str) -> None:
        region = rng.choices(["North America", "EMEA", "APAC", "LATAM"], weights=[45, 35, 15, 5])[0]
        plans.append(
            _AccountPlan(
                name=name,
                crm_id=f"crm-{len(plans) + 1:04d}",
                domain=_slug(name) + ".example",
                arr=arr,
                tier=tier,
                segment=segment,
                region=region,
                lifecycle=lifecycle,
                group=group,
            )
        )

    Tier, Segment, Stage = Account.Tier, Account.Segment, Account.Lifecycle
    for index, name in enumerate(names.ENTERPRISE_COMPANIES):
        stage = Stage.CHURN_RISK if index == 2 else Stage.CUSTOMER
        add(name, "enterprise", _lognormal_arr(rng, 2_200_000, 0.45, 1_000_000, 5_000_000, 1000),
            Tier.ENTERPRISE, Segment.ENTERPRISE, stage)
    for name in names.LARGE_COMPANIES:
        add(name, "large", _lognormal_arr(rng, 450_000, 0.35, 250_000, 900_000, 1000),
            Tier.ENTERPRISE, Segment.ENTERPRISE, Stage.CUSTOMER)
    for index, name in enumerate(names.MID_MARKET_COMPANIES):
        stage = Stage.CHURN_RISK if index in (3, 9) else Stage.CUSTOMER
        add(name, "mid", _lognormal_arr(rng, 80_000, 0.5, 30_000, 240_000, 100),
            Tier.GROWTH, Segment.MID_MARKET, stage)
    for index, name in enumerate(names.SMALL_COMPANIES):
        stage = {5: Stage.CHURN_RISK, 17: Stage.CHURN_RISK, 26: Stage.CHURNED}.get(index, Stage.CUSTOMER)
        add(name, "small", _lognormal_arr(rng, 9_000, 0.6, 2_000, 30_000, 10),
            Tier.STARTER, Segment.SMB, stage)
    add(names.LOUD_COMPANY, "loud", Decimal("3600.00"), Tier.STARTER, Segment.SMB, Stage.CUSTOMER)
    add(names.UNKNOWN_ARR_COMPANIES[0], "unknown", None, "", Segment.MID_MARKET, Stage.PROSPECT)
    add(names.UNKNOWN_ARR_COMPANIES[1], "unknown", None, Tier.GROWTH, Segment.SMB, Stage.TRIAL)
    add(names.FREE_COMPANY, "free", Decimal("0.00"), Tier.FREE, Segment.SMB, Stage.CUSTOMER)

    contacts_per_group = {"enterprise": 6, "large": 4, "mid": 3, "small": 2, "loud": 2, "unknown": 2, "free": 1}
    used_handles: set[str] = set()
    small_seen = 0
    for plan in plans:
        used_emails: set[str] = set()
        while len(plan.contacts) < contacts_per_group[plan.group]:
            first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
            email = f"{first}.{last}@{plan.domain}".lower()
            if email in used_emails:
                continue
            used_emails.add(email)
            plan.contacts.append(
                {
                    "name": f"{first} {last}",
                    "email": email,
                    "twitter_handle": _new_handle(rng, used_handles, first, last) if rng.random() < 0.3 else None,
                    "reddit_handle": _new_handle(rng, used_handles, first, last) if rng.random() < 0.2 else None,
                }
            )
        if plan.group == "small":
            small_seen += 1
            if small_seen % 10 == 3:
                # Some owners of small businesses write from a personal address; only the contact record links it.
                contact = plan.contacts[0]
                contact["email"] = contact["email"].split("@")[0] + f".{_slug(plan.name)}@gmail.com"
    return plans


def _lognormal_arr(rng: random.Random, median: float, sigma: float, low: int, high: int, step: int) -> Decimal:
    value = min(max(rng.lognormvariate(math.log(median), sigma), low), high)
    return Decimal(int(round(value / step) * step)).quantize(Decimal("0.01"))


def _new_handle(rng: random.Random, used: set[str], first: str, last: str) -> str:
    while True:
        handle = rng.choice([f"{first}{last[0]}", f"{first}_{last}", f"{first[0]}{last}"]).lower()
        handle += str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
        if handle not in used:
            used.add(handle)
            return handle


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower().replace("&", "and"))


@transaction.atomic
def _accounts_ensure(plans: list[_AccountPlan], *, owner: User) -> tuple[list[Account], int, int]:
    accounts, accounts_created, contacts_created = [], 0, 0
    for plan in plans:
        account, created = Account.objects.update_or_create(
            crm_id=plan.crm_id,
            defaults={
                "name": plan.name,
                "arr": plan.arr,
                "arr_currency": "USD",
                "plan_tier": plan.tier,
                "segment": plan.segment,
                "region": plan.region,
                "lifecycle_stage": plan.lifecycle,
                # CS owns the accounts worth a call.
                "owner": owner if plan.group in ("enterprise", "large") else None,
            },
        )
        accounts_created += created
        AccountDomain.objects.get_or_create(domain=plan.domain, defaults={"account": account})
        for contact in plan.contacts:
            _, created = Contact.objects.update_or_create(
                email=contact["email"],
                defaults={
                    "account": account,
                    "name": contact["name"],
                    "twitter_handle": contact["twitter_handle"],
                    "reddit_handle": contact["reddit_handle"],
                },
            )
            contacts_created += created
        accounts.append(account)
    return accounts, accounts_created, contacts_created


def _source_ensure(spec: DemoSource) -> Source:
    source = source_get_or_create(name=spec.name, kind=spec.kind)
    if source.reliability_weight != spec.reliability_weight:
        source.reliability_weight = spec.reliability_weight
        source.save(update_fields=["reliability_weight"])
    return source


# --- Feedback ------------------------------------------------------------------------------------


def _feedback_plan(
    rng: random.Random, *, plans: list[_AccountPlan], accounts: list[Account], now: dt.datetime, limit: int | None
) -> dict[str, list[dict]]:
    """Raw records per source key; the same seed gives the same records and external ids."""
    texts = {intent: list(intent_texts) for intent, intent_texts in sample_read().items()}
    for intent_texts in texts.values():
        rng.shuffle(intent_texts)
    by_group: dict[str, list[tuple[_AccountPlan, Account]]] = defaultdict(list)
    for plan, account in zip(plans, accounts, strict=True):
        by_group[plan.group].append((plan, account))
    writer = _RecordWriter(rng, now=now, account_ids={account.crm_id: account.pk for account in accounts})

    # One small account floods support with the same problem.
    loud_plan, _ = by_group["loud"][0]
    for _ in range(LOUD_TEXTS):
        writer.add("zendesk", LOUD_INTENT, texts[LOUD_INTENT].pop(), loud_plan, burst=True, known_author=True)

    # Each large account raises a single problem once or twice, through the channels large accounts use.
    large = sorted(by_group["enterprise"] + by_group["large"], key=lambda pair: pair[1].arr, reverse=True)
    channels = ["sales", "zendesk", "manual", "survey"]
    for index, ((plan, _), intent) in enumerate(zip(large, LARGE_ACCOUNT_INTENTS, strict=True)):
        for mention in range(1 + index % 2):
            channel = channels[(index + mention) % len(channels)]
            writer.add(channel, intent, texts[intent].pop(), plan, known_author=True)

    # Everything else spreads over the remaining accounts; the loud intent stays with small accounts so its
    # many mentions carry little ARR.
    everyone = by_group["mid"] + by_group["small"] + by_group["unknown"] + by_group["free"]
    small_only = by_group["small"] + by_group["unknown"] + by_group["free"]
    # Some customers write in far more than others; mid-market accounts have more people to write.
    popularity = {
        plan.crm_id: rng.lognormvariate(0, 0.6) * (1.5 if plan.group == "mid" else 1) for plan, _ in everyone
    }
    pool = [(intent, text) for intent, intent_texts in texts.items() for text in intent_texts]
    rng.shuffle(pool)
    if limit is not None:
        pool = pool[: max(limit, 0)]
    keys, shares = list(CHANNEL_SHARES), list(CHANNEL_SHARES.values())
    for intent, text in pool:
        channel = rng.choices(keys, weights=shares)[0]
        candidates = small_only if intent == LOUD_INTENT else everyone
        if channel == "sales":
            # Sales writes notes about accounts worth selling to, not about $5k shops.
            candidates = [pair for pair in candidates if pair[0].group in ("mid", "unknown")] or candidates
        weights = [popularity[plan.crm_id] for plan, _ in candidates]
        plan, _ = rng.choices(candidates, weights=weights)[0]
        writer.add(channel, intent, text, plan)
    return writer.records


class _RecordWriter:
    """Turns (channel, intent, text, account) into the raw record that channel would send."""

    def __init__(self, rng: random.Random, *, now: dt.datetime, account_ids: dict[str, int]):
        self.rng = rng
        self.now = now
        self.account_ids = account_ids
        self.records: dict[str, list[dict]] = {spec.key: [] for spec in SOURCES}
        self.count = 0

    def add(
        self, channel: str, intent: str, text: str, plan: _AccountPlan, *, burst: bool = False,
        known_author: bool = False,
    ) -> None:
        """Queue one record; `known_author` keeps it to identities that resolve to the account."""
        rng = self.rng
        self.count += 1
        window = LOUD_BURST if burst else HISTORY
        occurred_at = self.now - dt.timedelta(seconds=rng.randint(3600, int(window.total_seconds())))
        record = {
            # Numbered in plan order, so a second load (or a smaller --limit) meets the same ids.
            "external_id": f"demo-{self.count:05d}",
            "text": text,
            "occurred_at": occurred_at.replace(microsecond=0).isoformat(),
            "language": "en",
            "metadata": {"demo": True, "banking77_intent": intent},
        }
        contact = rng.choice(plan.contacts)
        if channel == "zendesk":
            record.update(self._email_author(plan, contact, known_author=known_author))
        elif channel == "survey":
            record["nps_score"] = rng.choices(range(11), weights=NPS_WEIGHTS)[0]
            if known_author or rng.random() < 0.85:
                record.update(author_email=contact["email"], author_name=contact["name"])
        elif channel == "sales":
            rep_name, rep_mailbox = rng.choice(names.SALES_REPS)
            record.update(
                account_crm_id=plan.crm_id,
                title=f"Call with {contact['name']} ({plan.name})",
                author_name=rep_name,
                author_email=f"{rep_mailbox}@{COMPANY_DOMAIN}",
            )
        elif channel in ("reddit", "twitter"):
            record.update(self._social_author(channel, plan))
        elif channel == "manual":
            record.update(author_email=contact["email"], author_name=contact["name"])
            record["account_id"] = self.account_ids[plan.crm_id]
        self.records[channel].append(record)

    def _email_author(self, plan: _AccountPlan, contact: dict, *, known_author: bool) -> dict:
        roll = self.rng.random() * (0.85 if known_author else 1)
        if roll < 0.6:
            return {"author_email": contact["email"], "author_name": contact["name"]}
        if roll < 0.85:
            return {"author_email": f"{self.rng.choice(names.ROLE_MAILBOXES)}@{plan.domain}"}
        # A personal address nobody has linked to the account: stays unresolved.
        first, last = self.rng.choice(names.FIRST_NAMES), self.rng.choice(names.LAST_NAMES)
        return {
            "author_email": f"{first}.{last}{self.rng.randint(10, 99)}@gmail.com".lower(),
            "author_name": f"{first} {last}",
        }

    def _social_author(self, channel: str, plan: _AccountPlan) -> dict:
        field_name = "reddit_handle" if channel == "reddit" else "twitter_handle"
        handles = [contact[field_name] for contact in plan.contacts if contact[field_name]]
        handle = self.rng.choice(handles) if handles else ""
        if not handle or self.rng.random() < 0.4:
            handle = f"{self.rng.choice(names.HANDLE_WORDS)}_{self.rng.choice(names.HANDLE_WORDS)}"
            handle += str(self.rng.randint(1, 999))
        return {"author_handle": f"u/{handle}" if channel == "reddit" else f"@{handle}"}
