"""Processing: what happens to stored feedback, step by step, until it counts in the ranking.

1. Split: each pending item's text into units, one per problem it raises (voc.feedback.units).
2. Embed: every unit's words, identical texts once (voc.themes.embedding), before any row lock is taken, so a
   chunk's locks are not held through model inference. A unit of several sentences that the customer did not
   mark apart is cut into them when the latest fit explains them better apart (UnitSpan.parts).
3. Resolve: the author's account, by contact email, email domain, social handle or CRM id.
4. Assign: each unit to the theme of its nearest prototype in the latest re-clustering, or to none (Unsorted).
   Units that fit no theme may gather into an emerging theme (voc.themes.emerging) in the same pass.
   Each stored unit is tagged with the competitors its words name (voc.feedback.competitors).
   Each unit's sentiment and its item's are read from the same vectors (voc.feedback.sentiment).

Steps 3 and 4 run in one transaction per chunk with batched lookups (per-item queries cost 6 ms/item on SQLite
here). A failing item counts its attempts and is parked as failed after VOC_PROCESS_MAX_ATTEMPTS, and never
blocks the rest; redelivered ids that are already done are skipped.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from voc.accounts.services import Author, account_resolve_many
from voc.core.db import rows_update
from voc.feedback.competitors import competitors_tag
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.feedback.sentiment import feedback_sentiment_set
from voc.feedback.units import UNITS_VERSION, UnitSpan, text_units
from voc.ranking.services import rankings_refresh_soon
from voc.themes.embedding import embeddings_for_texts, unit_embedding_texts
from voc.themes.emerging import emerging_sizes_refresh, themes_emerge, units_join_emerging
from voc.themes.services import embedding_vectors, items_theme_refresh, latest_model, themes_assign_nearest

logger = logging.getLogger(__name__)

# One task per this many new items: big enough to amortise the broker round-trip, small enough to finish
# well inside the soft time limit with embedding in the pipeline.
PROCESS_CHUNK = 500
RESOLVE_CHUNK = 1000


@dataclass
class _Split:
    """An item's units before they are stored: their spans and embedding ids (None until embedded)."""

    spans: list[UnitSpan]
    embedding_ids: list[int | None]
    error: Exception | None = None


def feedback_enqueue(*, item_ids: list[int]) -> None:
    """Queue items for processing once the current transaction commits, PROCESS_CHUNK to a task."""
    from voc.feedback.tasks import feedback_process_task

    for start in range(0, len(item_ids), PROCESS_CHUNK):
        chunk = item_ids[start : start + PROCESS_CHUNK]
        # robust: with the broker down the items are stored all the same, and the caller is told so; the sweeper on
        # beat enqueues them from the database later. Failing here would answer an error for accepted feedback.
        transaction.on_commit(lambda chunk=chunk: feedback_process_task.delay(chunk), robust=True)


def feedback_process(*, item_ids: list[int]) -> int:
    """Run the pipeline on pending items; returns how many were processed."""
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
    # Split and embed first, without locks: the text of a pending item only changes through ingest, which sets it
    # pending again, and the hash check below catches that.
    unlocked = FeedbackItem.objects.filter(pk__in=item_ids, status=FeedbackItem.Status.PENDING).order_by("pk")
    splits = _splits_embed(unlocked.values_list("pk", "content_hash", "text", "title"))
    with transaction.atomic():
        items = list(
            FeedbackItem.objects.select_for_update()
            .select_related("source")
            .filter(pk__in=list(splits), status=FeedbackItem.Status.PENDING)
            .order_by("pk")
        )
        for item in items:
            if splits[item.pk][0] != item.content_hash:  # edited upstream since it was read: split it again
                splits |= _splits_embed([(item.pk, item.content_hash, item.text, item.title)])
        _resolve_accounts([item for item in items if item.account_id is None])
        now = timezone.now()
        done, failed = [], []
        for item in items:
            item.attempts += 1
            split = splits[item.pk][1]
            if split.error is not None:
                logger.error("Processing feedback item %s failed: %r", item.pk, split.error)
                _failure_note(item, split.error)
                failed.append(item)
                continue
            item.status = FeedbackItem.Status.PROCESSED
            item.processed_at = now
            item.last_error = ""
            item.units_version = UNITS_VERSION
            done.append(item)
        assigned = units_replace(items=done, splits={item.pk: splits[item.pk][1] for item in done})
        rows_update(
            done,
            ["account", "contact", "resolved_by", "attempts", "status", "processed_at", "last_error", "units_version"],
        )
        rows_update(failed, ["attempts", "status", "last_error"])
        _emerging_gather(assigned)
    return len(done)


def _splits_embed(rows) -> dict[int, tuple[str, _Split]]:
    """Each item's content hash and units, embedded in one batch; (pk, content_hash, text, title) rows in.

    A text that breaks the model must not sink the chunk: on an error, items are embedded one by one, and the one
    that fails keeps its error instead of vectors.
    """
    rows = list(rows)
    splits = {pk: (content_hash, _Split(text_units(text), [])) for pk, content_hash, text, _ in rows}
    texts = {pk: unit_embedding_texts([span.text for span in splits[pk][1].spans], title) for pk, _, _, title in rows}
    try:
        embedding_ids = iter(embeddings_for_texts([text for pk in texts for text in texts[pk]]))
        for _, split in splits.values():
            split.embedding_ids = [next(embedding_ids) for _ in split.spans]
        _blends_taken_apart([split for _, split in splits.values()])
        return splits
    except DatabaseError:
        raise  # the connection or transaction is gone: the task retries the whole chunk
    except Exception as error:
        logger.warning("Embedding %d items at once failed (%r); embedding them one by one", len(rows), error)
    for pk, (_, split) in splits.items():
        try:
            split.embedding_ids = embeddings_for_texts(texts[pk])
            _blends_taken_apart([split])
        except DatabaseError:
            raise
        except Exception as error:
            split.embedding_ids, split.error = [None] * len(split.spans), error
    return splits


def _blends_taken_apart(splits: list[_Split]) -> None:
    """Cut a unit into its parts where the latest fit explains them better apart (UnitSpan.parts): a customer who
    lists two problems without "Also" still counts for each. Before the first re-cluster there is nothing to ask."""
    candidates = [(split, index) for split in splits for index, span in enumerate(split.spans) if span.parts]
    latest = latest_model() if candidates else None
    if latest is None:
        return
    model = latest[1]
    parts = [part.text for split, index in candidates for part in split.spans[index].parts]
    part_ids = iter(embeddings_for_texts(parts))
    ids_of_candidates = [[next(part_ids) for _ in split.spans[index].parts] for split, index in candidates]
    vectors = embedding_vectors(
        {split.embedding_ids[index] for split, index in candidates} | {pk for ids in ids_of_candidates for pk in ids}
    )
    # Last first, so that cutting a unit leaves the places of the ones before it unchanged.
    for (split, index), ids in reversed(list(zip(candidates, ids_of_candidates, strict=True))):
        if model.better_apart(vectors[split.embedding_ids[index]], np.stack([vectors[pk] for pk in ids])):
            split.spans[index : index + 1] = list(split.spans[index].parts)
            split.embedding_ids[index : index + 1] = ids


def units_replace(*, items: list[FeedbackItem], splits: dict[int, _Split]) -> list[FeedbackUnit]:
    """Store each item's new units in place of its old ones, assign them themes, and set the items' lead theme;
    returns the units that were assigned afresh (stored, with their ids).

    A unit that covers what the old one covered (the same words at the same place) keeps its theme and how it got
    there, so an item that is one unit keeps its theme id through a re-split, and a person's pin stays.
    """
    if not items:
        return []
    item_ids = [item.pk for item in items]
    kept = {
        (unit.item_id, unit.start, unit.end, unit.text): unit
        for unit in FeedbackUnit.objects.filter(item_id__in=item_ids).only(
            "item_id", "start", "end", "text", "theme_id", "theme_similarity", "theme_assigned_by"
        )
    }
    FeedbackUnit.objects.filter(item_id__in=item_ids).delete()
    units, to_assign = [], []
    for item in items:
        split = splits[item.pk]
        for position, (span, embedding_id) in enumerate(zip(split.spans, split.embedding_ids, strict=True)):
            verbatim = span.start is not None
            unit = FeedbackUnit(
                item=item, position=position, start=span.start, end=span.end, text="" if verbatim else span.text,
                embedding_id=embedding_id,
            )
            before = kept.get((item.pk, unit.start, unit.end, unit.text))
            if before is not None and before.theme_id is not None:
                unit.theme_id = before.theme_id
                unit.theme_similarity, unit.theme_assigned_by = before.theme_similarity, before.theme_assigned_by
            else:
                to_assign.append(unit)
            units.append(unit)
    themes_assign_nearest(units=to_assign)
    units_join_emerging(units=to_assign)
    # Read from the vectors embedded above (voc.feedback.sentiment): no second model pass.
    feedback_sentiment_set(items=items, units=units)
    FeedbackUnit.objects.bulk_create(units)
    competitors_tag(units=units)
    emerging_sizes_refresh(theme_ids={unit.theme_id for unit in to_assign if unit.theme_id})
    items_theme_refresh(item_ids=item_ids)
    rows_update(items, ["sentiment", "sentiment_score"])
    for item in items:  # the caller saves these rows too: keep its copies in step
        item.theme_id = next((unit.theme_id for unit in units if unit.item_id == item.pk and unit.theme_id), None)
    return to_assign


def _emerging_gather(units: list[FeedbackUnit]) -> None:
    """Let new unsorted units gather into emerging themes, and rank those as soon as the chunk commits."""
    if themes_emerge(units=units):
        rankings_refresh_soon()


def units_resplit(*, chunk: int = PROCESS_CHUNK, progress: Callable[[int, int], None] | None = None) -> int:
    """Cut processed items split by an older rule (or before units existed) again; returns how many.

    The migration to units gave every item one unit of its whole text, so the ranking kept counting them; this
    pass replaces those, chunk by chunk, while everything stays up. progress(done, total) is called per chunk.
    """
    stale = FeedbackItem.objects.filter(
        status=FeedbackItem.Status.PROCESSED, units_version__lt=UNITS_VERSION
    ).order_by("pk")
    total = stale.count()
    done = 0
    last_pk = 0
    while batch := list(stale.filter(pk__gt=last_pk).values_list("pk", "content_hash", "text", "title")[:chunk]):
        last_pk = batch[-1][0]
        splits = _splits_embed(batch)
        with transaction.atomic():
            items = list(
                FeedbackItem.objects.select_for_update()
                .filter(pk__in=list(splits), status=FeedbackItem.Status.PROCESSED, units_version__lt=UNITS_VERSION)
                .order_by("pk")
            )
            ready = [
                item for item in items
                if splits[item.pk][0] == item.content_hash and splits[item.pk][1].error is None
            ]
            for item in ready:
                item.units_version = UNITS_VERSION
            assigned = units_replace(items=ready, splits={item.pk: splits[item.pk][1] for item in ready})
            rows_update(ready, ["theme", "units_version"])
            _emerging_gather(assigned)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return done


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
        feedback_enqueue(item_ids=item_ids)
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
