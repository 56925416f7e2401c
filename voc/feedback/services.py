"""Writes for feedback: every way in (form, admin, API, import, connectors) goes through feedback_ingest."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from voc.accounts.models import Account
from voc.accounts.services import Author, account_resolve_many
from voc.core.db import rows_update
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.records import CleanRecord, RecordRejected, record_clean
from voc.themes.embedding import embeddings_for_texts
from voc.themes.services import themes_assign_nearest

logger = logging.getLogger(__name__)

# One task per this many new items: big enough to amortise the broker round-trip, small enough to finish
# well inside the soft time limit once embedding joins the pipeline.
PROCESS_CHUNK = 500
RESOLVE_CHUNK = 1000


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
        _enqueue_processing(created_ids + updated_ids)

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


def _enqueue_processing(item_ids: list[int]) -> None:
    from voc.feedback.tasks import feedback_process_task

    for start in range(0, len(item_ids), PROCESS_CHUNK):
        chunk = item_ids[start : start + PROCESS_CHUNK]
        # robust: with the broker down the items are stored all the same, and the caller is told so; the sweeper on
        # beat enqueues them from the database later. Failing here would answer an error for accepted feedback.
        transaction.on_commit(lambda chunk=chunk: feedback_process_task.delay(chunk), robust=True)


def feedback_process(*, item_ids: list[int]) -> int:
    """Run the processing pipeline on pending items; returns how many were processed.

    The chunk is locked, processed and written in one transaction with batched lookups (per-item queries cost
    6 ms/item on SQLite here). A failing item counts its attempts and is parked as failed after
    VOC_PROCESS_MAX_ATTEMPTS, and never blocks the rest; redelivered ids that are already done are skipped.
    """
    try:
        return _chunk_process(item_ids)
    except (OperationalError, InterfaceError):
        raise  # the connection is gone: the task retries the whole chunk on a new one
    except Exception as error:
        # A batched step (resolution, assignment) failed for the whole chunk: one bad item must not hold back the
        # rest, or be retried with them forever. Item by item, the good ones go through and the bad one counts
        # its attempts until it is parked with its reason.
        if len(item_ids) == 1:
            _attempt_fail(item_ids[0], error)
            return 0
        logger.warning("Processing a chunk of %d items failed (%r); processing them one by one", len(item_ids), error)
        return sum(feedback_process(item_ids=[item_id]) for item_id in item_ids)


def _attempt_fail(item_id: int, error: Exception) -> None:
    logger.error("Processing feedback item %s failed: %r", item_id, error)
    with transaction.atomic():
        item = FeedbackItem.objects.select_for_update().filter(pk=item_id, status=FeedbackItem.Status.PENDING).first()
        if item is None:
            return
        item.attempts += 1
        _failure_note(item, error)
        item.save(update_fields=["attempts", "last_error", "status"])


def _failure_note(item: FeedbackItem, error: Exception) -> None:
    """Record why an attempt failed; after the last allowed attempt the item is parked as failed."""
    item.last_error = f"{type(error).__name__}: {error}"[:2000]
    if item.attempts >= settings.VOC_PROCESS_MAX_ATTEMPTS:
        item.status = FeedbackItem.Status.FAILED


def _chunk_process(item_ids: list[int]) -> int:
    with transaction.atomic():
        items = list(
            FeedbackItem.objects.select_for_update()
            .select_related("source")
            .filter(pk__in=item_ids, status=FeedbackItem.Status.PENDING)
            .order_by("pk")
        )
        _resolve_accounts([item for item in items if item.account_id is None])
        errors = _embed(items)
        themes_assign_nearest(items=[item for item in items if item.pk not in errors])
        now = timezone.now()
        done, failed = [], []
        for item in items:
            item.attempts += 1
            try:
                if item.pk in errors:
                    raise errors[item.pk]
                _process_item(item)
            except Exception as error:
                logger.exception("Processing feedback item %s failed", item.pk)
                _failure_note(item, error)
                failed.append(item)
                continue
            item.status = FeedbackItem.Status.PROCESSED
            item.processed_at = now
            item.last_error = ""
            done.append(item)
        rows_update(
            done,
            [
                "account", "contact", "resolved_by", "embedding", "theme", "theme_similarity", "theme_assigned_by",
                "attempts", "status", "processed_at", "last_error",
            ],
        )
        rows_update(failed, ["attempts", "status", "last_error"])
    return len(done)


def _process_item(item: FeedbackItem) -> None:
    """The per-item steps of the pipeline, after the batched ones (resolution, embedding)."""


def _embed(items: list[FeedbackItem]) -> dict[int, Exception]:
    """Give each item its embedding; returns the items that could not be embedded, with the error."""
    texts = [embedding_text(item) for item in items]
    errors: dict[int, Exception] = {}
    try:
        embedding_ids = embeddings_for_texts(texts) if items else []
    except DatabaseError:
        raise  # the connection or transaction is gone: the task retries the whole chunk
    except Exception:
        # One text that breaks the model must not sink the chunk: embed one by one to find it.
        embedding_ids = []
        for item, text in zip(items, texts, strict=True):
            try:
                embedding_ids.append(embeddings_for_texts([text])[0])
            except DatabaseError:
                raise
            except Exception as error:
                embedding_ids.append(None)
                errors[item.pk] = error
    for item, embedding_id in zip(items, embedding_ids, strict=True):
        item.embedding_id = embedding_id
    return errors


def feedback_embed(*, item_ids: list[int]) -> int:
    """(Re-)embed items with the current model, outside processing; returns how many got a vector."""
    with transaction.atomic():
        items = list(FeedbackItem.objects.select_for_update().filter(pk__in=item_ids).order_by("pk"))
        errors = _embed(items)
        embedded = [item for item in items if item.pk not in errors]
        rows_update(embedded, ["embedding"])
    return len(embedded)


def embedding_text(item: FeedbackItem) -> str:
    """What is embedded for an item: its title (often the ticket's subject) and its text."""
    return f"{item.title}\n{item.text}" if item.title else item.text


def _resolve_accounts(items: list[FeedbackItem]) -> int:
    resolutions = account_resolve_many(
        authors=[
            Author(
                email=item.author_email,
                handle=item.author_handle,
                # Text only: metadata is the sender's, and an object there would break the whole lookup.
                account_crm_id=crm_id if isinstance(crm_id := item.metadata.get("account_crm_id"), str) else "",
                source_kind=item.source.kind,
            )
            for item in items
        ]
    )
    resolved = 0
    for item, resolution in zip(items, resolutions, strict=True):
        item.contact = resolution.contact or item.contact
        if resolution.account is not None:
            item.account = resolution.account
            item.resolved_by = resolution.method
            resolved += 1
    return resolved


def feedback_account_set(*, item: FeedbackItem, account: Account | None) -> None:
    """Tie an item to an account chosen by a person (or untie it); the caller saves."""
    item.account = account
    item.resolved_by = FeedbackItem.ResolvedBy.GIVEN if account else FeedbackItem.ResolvedBy.UNRESOLVED


def feedback_sweep(*, older_than: dt.timedelta | None = None) -> int:
    """Re-enqueue items still pending after a while: the broker may have lost their message."""
    older_than = older_than if older_than is not None else dt.timedelta(seconds=settings.VOC_SWEEP_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    item_ids = list(
        FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING, received_at__lte=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:50_000]
    )
    with transaction.atomic():
        _enqueue_processing(item_ids)
    if item_ids:
        logger.info("Sweeper re-enqueued %d pending feedback items", len(item_ids))
    return len(item_ids)


def feedback_reresolve(*, item_ids: list[int] | None = None) -> int:
    """Try account resolution again on unresolved items (after new accounts or contacts); returns how many resolved."""
    queryset = FeedbackItem.objects.filter(account__isnull=True).select_related("source").order_by("pk")
    if item_ids is not None:
        queryset = queryset.filter(pk__in=item_ids)
    resolved = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            items = list(queryset.filter(pk__gt=last_pk)[:RESOLVE_CHUNK])
            if not items:
                return resolved
            last_pk = items[-1].pk
            resolved += _resolve_accounts(items)
            rows_update(items, ["account", "contact", "resolved_by"])


def feedback_process_pending(*, progress: Callable[[int], None] | None = None) -> int:
    """Process every pending item now, in this process (the CLI's synchronous path); returns how many."""
    pending = list(
        FeedbackItem.objects.filter(status=FeedbackItem.Status.PENDING).order_by("pk").values_list("pk", flat=True)
    )
    processed = 0
    for start in range(0, len(pending), PROCESS_CHUNK):
        processed += feedback_process(item_ids=pending[start : start + PROCESS_CHUNK])
        if progress is not None:
            progress(min(start + PROCESS_CHUNK, len(pending)))
    return processed
