"""Writes for feedback: every way in (form, admin, API, import, connectors) goes through feedback_ingest.

What happens to an item once stored is the pipeline's (voc.feedback.pipeline)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.pipeline import feedback_enqueue
from voc.feedback.records import CleanRecord, RecordRejected, record_clean


class IngestStatus:
    CREATED = "created"
    DUPLICATE = "duplicate"
    UPDATED = "updated"  # only with update_existing: the source edited an item we already had
    REJECTED = "rejected"


@dataclass
class IngestResult:
    index: int
    status: str
    item_id: int | None = None
    external_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        result = {"index": self.index, "status": self.status}
        if self.item_id is not None:
            result["id"] = self.item_id
        if self.external_id:
            result["external_id"] = self.external_id
        if self.errors:
            result["errors"] = self.errors
        if self.warnings:
            result["warnings"] = self.warnings
        return result


def source_get_or_create(*, name: str, kind: str) -> Source:
    """The source called `name`, created with `kind` if it does not exist yet."""
    source, _ = Source.objects.get_or_create(name=name, defaults={"kind": kind})
    return source


def feedback_ingest(
    *, source: Source, record: Mapping, logged_by=None, account: Account | None = None, default_kind: str = ""
) -> IngestResult:
    """Validate and store one feedback record; see feedback_ingest_batch."""
    return feedback_ingest_batch(
        source=source, records=[record], logged_by=logged_by, account=account, default_kind=default_kind
    )[0]


def feedback_ingest_batch(
    *,
    source: Source,
    records: Iterable[Mapping],
    logged_by=None,
    account: Account | None = None,
    default_kind: str = "",
    update_existing: bool = False,
) -> list[IngestResult]:
    """Validate and store records, each answered on its own: created, duplicate (with the id) or rejected.

    A bad record never stops the others. New items are queued for processing once the batch commits.
    update_existing (connectors): a record whose item exists but whose content changed upstream updates that
    item, answered "updated", and is processed again.
    """
    results: list[IngestResult] = []
    accepted: list[tuple[IngestResult, CleanRecord]] = []
    for index, raw in enumerate(records):
        try:
            clean = record_clean(raw, source=source, default_kind=default_kind)
        except RecordRejected as rejected:
            results.append(IngestResult(index=index, status=IngestStatus.REJECTED, errors=rejected.errors))
            continue
        result = IngestResult(index=index, status=IngestStatus.CREATED, external_id=clean.external_id,
                              warnings=list(clean.warnings))
        results.append(result)
        accepted.append((result, clean))

    _reject_unknown_account_ids(accepted)
    accepted = [(result, clean) for result, clean in accepted if result.status != IngestStatus.REJECTED]
    if not accepted:
        return results

    with transaction.atomic():
        existing = _existing_ids(source, [clean.external_id for _, clean in accepted])
        new_rows: list[tuple[IngestResult, FeedbackItem]] = []
        first_in_batch: dict[str, IngestResult] = {}
        for result, clean in accepted:
            if clean.external_id in existing:
                _mark_duplicate(result, existing[clean.external_id])
                if update_existing and _update_if_changed(source, clean, existing[clean.external_id]):
                    result.status = IngestStatus.UPDATED
            elif clean.external_id in first_in_batch:
                result.status = IngestStatus.DUPLICATE
                result.warnings.append(f"repeats item {first_in_batch[clean.external_id].index} of this batch")
            else:
                first_in_batch[clean.external_id] = result
                new_rows.append((result, _build_item(source, clean, logged_by=logged_by, account=account)))
        _insert(source, new_rows)
        created_ids = [item.pk for result, item in new_rows if result.status == IngestStatus.CREATED]
        updated_ids = [result.item_id for result, _ in accepted if result.status == IngestStatus.UPDATED]
        feedback_enqueue(item_ids=created_ids + updated_ids)

    # In-batch duplicates learn the id of the item they repeat once it exists.
    for result, clean in accepted:
        if result.status == IngestStatus.DUPLICATE and result.item_id is None:
            result.item_id = first_in_batch[clean.external_id].item_id
    return results


def _reject_unknown_account_ids(accepted: list[tuple[IngestResult, CleanRecord]]) -> None:
    wanted = {clean.account_id for _, clean in accepted if clean.account_id}
    known = set(Account.objects.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
    for result, clean in accepted:
        if clean.account_id and clean.account_id not in known:
            result.status = IngestStatus.REJECTED
            result.errors = {"account_id": f"no account has id {clean.account_id}"}
            result.warnings = []
            result.external_id = ""


def _existing_ids(source: Source, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    # SQLite allows 999 parameters per statement in older builds; stay under it.
    for start in range(0, len(external_ids), 900):
        chunk = external_ids[start : start + 900]
        found.update(
            FeedbackItem.objects.filter(source=source, external_id__in=chunk).values_list("external_id", "pk")
        )
    return found


# What a source may edit on an item it sent before; anything else (account, theme, status) is ours.
UPSTREAM_FIELDS = [
    "kind", "title", "text", "text_truncated", "url", "author_email", "author_handle", "author_name", "occurred_at",
    "rating", "nps_score", "language", "metadata", "content_hash",
]


def _update_if_changed(source: Source, clean: CleanRecord, item_id: int) -> bool:
    fresh = _build_item(source, clean, logged_by=None, account=None)
    stored = FeedbackItem.objects.filter(pk=item_id).values(*UPSTREAM_FIELDS).first()
    changed = {name: getattr(fresh, name) for name in UPSTREAM_FIELDS if getattr(fresh, name) != stored[name]}
    if not changed:
        return False
    if "content_hash" in changed:  # new text: embed, resolve and assign again
        changed |= {"status": FeedbackItem.Status.PENDING, "attempts": 0, "last_error": ""}
    FeedbackItem.objects.filter(pk=item_id).update(**changed)
    return True


def _mark_duplicate(result: IngestResult, item_id: int) -> None:
    result.status = IngestStatus.DUPLICATE
    result.item_id = item_id


def _build_item(source: Source, clean: CleanRecord, *, logged_by, account: Account | None) -> FeedbackItem:
    metadata = dict(clean.metadata)
    if clean.account_crm_id:
        # Kept so that a later CRM import can resolve the item (feedback_reresolve).
        metadata["account_crm_id"] = clean.account_crm_id
    if clean.text_truncated:
        metadata["truncated_from_chars"] = clean.original_length
    item = FeedbackItem(
        source=source,
        external_id=clean.external_id,
        kind=clean.kind,
        title=clean.title,
        text=clean.text,
        text_truncated=clean.text_truncated,
        url=clean.url,
        author_email=clean.author_email,
        author_handle=clean.author_handle,
        author_name=clean.author_name,
        occurred_at=clean.occurred_at,
        rating=clean.rating,
        nps_score=clean.nps_score,
        language=clean.language,
        metadata=metadata,
        content_hash=clean.content_hash,
        logged_by=logged_by,
    )
    given_account_id = account.pk if account else clean.account_id
    if given_account_id:
        item.account_id = given_account_id
        item.resolved_by = FeedbackItem.ResolvedBy.GIVEN
    return item


def _insert(source: Source, new_rows: list[tuple[IngestResult, FeedbackItem]]) -> None:
    if not new_rows:
        return
    try:
        with transaction.atomic():
            FeedbackItem.objects.bulk_create([item for _, item in new_rows])
    except IntegrityError:
        # Another writer stored some of these external ids since we looked; settle them one by one.
        for result, item in new_rows:
            try:
                with transaction.atomic():
                    item.save(force_insert=True)
            except IntegrityError:
                item.pk = None
                existing_id = FeedbackItem.objects.filter(source=source, external_id=item.external_id).values_list(
                    "pk", flat=True
                ).first()
                _mark_duplicate(result, existing_id)
    for result, item in new_rows:
        if result.status == IngestStatus.CREATED:
            result.item_id = item.pk


def feedback_account_set(*, item: FeedbackItem, account: Account | None) -> None:
    """Tie an item to an account chosen by a person (or untie it); the caller saves."""
    item.account = account
    item.resolved_by = FeedbackItem.ResolvedBy.GIVEN if account else FeedbackItem.ResolvedBy.UNRESOLVED


