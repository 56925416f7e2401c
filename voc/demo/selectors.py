"""Reads for the demo's summary: what is in the database, whoever put it there."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count

from voc.accounts.models import Account, Contact
from voc.feedback.models import FeedbackItem, Source


@dataclass(frozen=True)
class SourceCount:
    name: str
    kind: str
    reliability_weight: float
    items: int


@dataclass(frozen=True)
class AccountCount:
    name: str
    segment: str
    arr: Decimal | None
    items: int


@dataclass(frozen=True)
class FeedbackSummary:
    total: int
    by_source: list[SourceCount]
    by_kind: list[tuple[str, int]]  # (kind label, items)
    top_accounts: list[AccountCount]
    resolved: int
    by_resolved_by: list[tuple[str, int]]  # (how it was resolved, items), unresolved last
    by_status: list[tuple[str, int]]  # (status label, items)
    accounts: int
    contacts: int

    @property
    def resolved_share(self) -> float:
        return self.resolved / self.total if self.total else 0.0


def feedback_summary(*, top: int = 10) -> FeedbackSummary:
    """Counts of feedback by source, kind, account (the `top` busiest), resolution and status."""
    by_source = [
        SourceCount(source.name, source.get_kind_display(), source.reliability_weight, source.item_count)
        for source in Source.objects.annotate(item_count=Count("items")).order_by("-item_count", "name")
    ]
    kind_labels = dict(FeedbackItem.Kind.choices)
    by_kind = _counted(FeedbackItem.objects.values_list("kind").annotate(n=Count("id")), kind_labels)

    top_accounts = [
        AccountCount(account.name, account.get_segment_display(), account.arr, account.item_count)
        for account in Account.objects.annotate(item_count=Count("feedback_items"))
        .filter(item_count__gt=0)
        .order_by("-item_count", "name")[:top]
    ]

    resolved_labels = dict(FeedbackItem.ResolvedBy.choices)
    resolved_counts = dict(
        FeedbackItem.objects.filter(account__isnull=False).values_list("resolved_by").annotate(n=Count("id"))
    )
    by_resolved_by = [
        (resolved_labels.get(method, method) if method else "Account set, method not recorded", count)
        for method, count in sorted(resolved_counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]
    resolved = sum(resolved_counts.values())
    total = FeedbackItem.objects.count()
    by_resolved_by.append((resolved_labels[FeedbackItem.ResolvedBy.UNRESOLVED], total - resolved))

    status_labels = dict(FeedbackItem.Status.choices)
    by_status = _counted(FeedbackItem.objects.values_list("status").annotate(n=Count("id")), status_labels)
    return FeedbackSummary(
        total=total,
        by_source=by_source,
        by_kind=by_kind,
        top_accounts=top_accounts,
        resolved=resolved,
        by_resolved_by=by_resolved_by,
        by_status=by_status,
        accounts=Account.objects.count(),
        contacts=Contact.objects.count(),
    )


def _counted(rows, labels: dict[str, str]) -> list[tuple[str, int]]:
    counts = sorted(rows, key=lambda pair: (-pair[1], pair[0]))
    return [(labels.get(value, value), count) for value, count in counts]
