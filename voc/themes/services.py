"""Writes for themes: re-clustering with stable identities, naming, lineage, and assigning new items."""

import logging
from collections import Counter
from collections.abc import Callable, Collection

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from scipy.optimize import linear_sum_assignment

from voc.core.db import rows_update
from voc.feedback.models import FeedbackItem
from voc.themes.clustering import UNSORTED, ThemeModel, themes_cluster, unit
from voc.themes.embedding import encoder_get, vector_from_bytes
from voc.themes.models import ClusterRun, Embedding, Theme, ThemeEvent
from voc.themes.naming import themes_describe_rows

logger = logging.getLogger(__name__)

# A new cluster continues an existing theme when they share at least this share of their combined members
# (Jaccard), or, for a theme whose members mostly left, when their centres nearly coincide.
MATCH_MIN_OVERLAP = 0.2
MATCH_MIN_CENTROID_SIMILARITY = 0.9

ASSIGNED_BY = FeedbackItem.ThemeAssignedBy


def embeddings_refresh(*, chunk: int = 500) -> int:
    """Re-embed processed items whose vector is missing or from another model (after a model change)."""
    from voc.feedback.services import feedback_embed

    version = encoder_get().version
    stale = (
        FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED)
        .exclude(embedding__model_version=version)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    refreshed = 0
    while batch := list(stale[:chunk]):
        done = feedback_embed(item_ids=batch)
        refreshed += done
        if done < len(batch):
            break  # some texts cannot be embedded; they stay for the next run instead of looping here
    return refreshed


def themes_recluster(*, seed: int = 0, progress: Callable[[str], None] | None = None) -> ClusterRun:
    """Re-cluster every embedded item; themes keep their ids, human names, locks, statuses and pinned items."""
    say = progress or (lambda _message: None)
    version = encoder_get().version
    run = ClusterRun.objects.create(model_version=version)
    try:
        say("loading vectors")
        item_ids, vectors, previous = _clusterable_items(version)
        say(f"clustering {len(item_ids):,} items")
        if item_ids:
            model, labels, similarity = themes_cluster(vectors, seed=seed)
        else:
            model, labels, similarity = None, np.array([], dtype=int), np.array([], dtype=np.float32)
        say("matching clusters to themes and naming them")
        with transaction.atomic():
            theme_ids = _apply(run, item_ids, vectors, labels, similarity, previous)
            run.status = ClusterRun.Status.DONE
            run.items = len(item_ids)
            run.themes = len(set(theme_ids.values()))
            run.unsorted = int((labels == UNSORTED).sum())
            run.params = {
                "seed": seed,
                # By the model's theme number; None for a theme that kept no members after assignment.
                "cluster_theme_ids": [theme_ids.get(index) for index in range(model.theme_count if model else 0)],
                "threshold": model.threshold if model else None,
            }
            run.model = model.to_bytes() if model else None
            run.finished_at = timezone.now()
            run.save()
    except Exception as error:
        ClusterRun.objects.filter(pk=run.pk).update(
            status=ClusterRun.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
        )
        raise
    return run


def _clusterable_items(version: str) -> tuple[list[int], np.ndarray, dict[int, int | None]]:
    """Items the engine may move: processed, embedded with the current model, not pinned, not in a locked theme."""
    rows = (
        FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED, embedding__model_version=version)
        .exclude(theme_assigned_by=ASSIGNED_BY.PERSON)
        .exclude(theme__locked=True)
        .order_by("pk")
        .values_list("pk", "theme_id", "embedding__vector")
    )
    # Filled in place, never stacked from a list, so 1M vectors cost their 1.5 GB once and not twice; items that
    # arrive meanwhile wait for the next run.
    count = rows.count()
    item_ids, matrix, previous = [], None, {}
    for row, (item_id, theme_id, vector) in enumerate(rows[:count].iterator(chunk_size=5000)):
        vector = vector_from_bytes(vector)
        if matrix is None:
            matrix = np.empty((count, len(vector)), dtype=np.float32)
        matrix[row] = vector
        item_ids.append(item_id)
        previous[item_id] = theme_id
    if matrix is None:
        return [], np.zeros((0, 0), dtype=np.float32), {}
    return item_ids, matrix[: len(item_ids)], previous


def _apply(run, item_ids, vectors, labels, similarity, previous) -> dict[int, int]:
    """Map clusters to themes, write members, names and lineage; returns cluster index -> theme id."""
    clusters = sorted(set(labels.tolist()) - {UNSORTED})
    members = {cluster: np.flatnonzero(labels == cluster) for cluster in clusters}
    centroids = {cluster: unit(vectors[rows].mean(axis=0)) for cluster, rows in members.items()}
    # One pass over the items: how many each old theme had, and how many went from it to each new cluster.
    sizes_before = Counter(theme_id for theme_id in previous.values() if theme_id)
    moves = Counter(
        (previous[item_id], label)
        for item_id, label in zip(item_ids, labels.tolist(), strict=True)
        if previous[item_id]
    )
    candidates = list(Theme.objects.filter(locked=False, retired_at__isnull=True, merged_into__isnull=True))
    matched = _match(clusters, members, centroids, candidates, sizes_before, moves)
    # Items a person placed stay where they are, so their theme lives on and counts them.
    pinned = dict(
        FeedbackItem.objects.filter(theme_assigned_by=ASSIGNED_BY.PERSON, theme__isnull=False)
        .values("theme_id")
        .annotate(count=Count("pk"))
        .values_list("theme_id", "count")
    )

    themes_by_cluster: dict[int, Theme] = {}
    for cluster in clusters:
        theme = matched.get(cluster) or Theme.objects.create(name="(naming)")
        themes_by_cluster[cluster] = theme
    theme_ids = {cluster: theme.pk for cluster, theme in themes_by_cluster.items()}

    _write_members(item_ids, labels, similarity, theme_ids)
    _record_lineage(run, clusters, members, themes_by_cluster, matched, candidates, sizes_before, moves, pinned)
    _describe(themes_by_cluster, members, centroids, vectors, item_ids, pinned)
    return theme_ids


def _match(clusters, members, centroids, candidates, sizes_before, moves) -> dict[int, Theme]:
    """One-to-one assignment of new clusters to existing themes by member overlap and centroid similarity."""
    if not clusters or not candidates:
        return {}
    overlap = np.zeros((len(clusters), len(candidates)))
    similarity = np.zeros_like(overlap)
    for col, theme in enumerate(candidates):
        centre = vector_from_bytes(theme.centroid) if theme.centroid else None
        for row, cluster in enumerate(clusters):
            shared = moves[(theme.pk, cluster)]
            if shared:
                overlap[row, col] = shared / (len(members[cluster]) + sizes_before[theme.pk] - shared)
            if centre is not None:
                similarity[row, col] = float(centroids[cluster] @ centre)
    acceptable = (overlap >= MATCH_MIN_OVERLAP) | (similarity >= MATCH_MIN_CENTROID_SIMILARITY)
    # Overlap decides; similarity breaks ties and matches themes whose members all left.
    score = np.where(acceptable, overlap + 0.01 * similarity, 0.0)
    rows, cols = linear_sum_assignment(score, maximize=True)
    return {clusters[row]: candidates[col] for row, col in zip(rows, cols, strict=True) if acceptable[row, col]}


def _write_members(item_ids, labels, similarity, theme_ids) -> None:
    changed = []
    for item_id, label, score in zip(item_ids, labels.tolist(), similarity.tolist(), strict=True):
        theme_id = theme_ids.get(label) if label != UNSORTED else None
        item = FeedbackItem(pk=item_id, theme_id=theme_id, theme_similarity=score)
        item.theme_assigned_by = ASSIGNED_BY.CLUSTERING if theme_id else ""
        changed.append(item)
    rows_update(changed, ["theme", "theme_similarity", "theme_assigned_by"])


def _record_lineage(
    run, clusters, members, themes_by_cluster, matched, candidates, sizes_before, moves, pinned
) -> None:
    came_from: dict[int, Counter] = {cluster: Counter() for cluster in clusters}
    went_to: dict[int, Counter] = {}
    for (theme_id, cluster), count in moves.items():
        if cluster != UNSORTED:
            came_from[cluster][theme_id] += count
            went_to.setdefault(theme_id, Counter())[themes_by_cluster[cluster].pk] += count

    events = []
    for cluster in clusters:
        theme = themes_by_cluster[cluster]
        if matched.get(cluster) is None:
            born = ThemeEvent(theme=theme, kind=ThemeEvent.Kind.BORN, items_moved=len(members[cluster]), run=run)
            events.append(born)
            if came_from[cluster]:
                source_id, moved = came_from[cluster].most_common(1)[0]
                events.append(
                    ThemeEvent(theme=theme, kind=ThemeEvent.Kind.SPLIT_FROM, other_theme_id=source_id,
                               items_moved=moved, run=run)
                )
            continue
        change = len(members[cluster]) - sizes_before[theme.pk]
        if change:
            kind = ThemeEvent.Kind.GREW if change > 0 else ThemeEvent.Kind.SHRANK
            events.append(ThemeEvent(theme=theme, kind=kind, items_moved=abs(change), run=run))

    continuing = {theme.pk for theme in matched.values()}
    now = timezone.now()
    for theme in candidates:
        if theme.pk in continuing:
            continue
        if theme.pk in pinned:  # no cluster of its own, but it keeps the items people put there
            if sizes_before[theme.pk]:
                events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.SHRANK, items_moved=sizes_before[theme.pk],
                                         run=run))
            Theme.objects.filter(pk=theme.pk).update(size=pinned[theme.pk], updated_at=now)
            continue
        # Where did its members go? Mostly into one continuing theme: a merge. Otherwise it simply ended.
        theme.retired_at = now
        theme.size = 0
        if went_to.get(theme.pk):
            target_id, moved = went_to[theme.pk].most_common(1)[0]
            theme.merged_into_id = target_id
            events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.MERGED_INTO, other_theme_id=target_id,
                                     items_moved=moved, run=run))
        else:
            events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.RETIRED, run=run))
        theme.save(update_fields=["retired_at", "size", "merged_into", "updated_at"])
    ThemeEvent.objects.bulk_create(events)


def _describe(themes_by_cluster, members, centroids, vectors, item_ids, pinned) -> None:
    described = themes_describe(
        members=members, centroids=centroids, vectors=vectors, item_ids=item_ids,
        exclude_theme_ids=[theme.pk for theme in themes_by_cluster.values()],
    )
    for cluster, theme in themes_by_cluster.items():
        for field, value in described[cluster].items():
            setattr(theme, field, value)
        theme.size += pinned.get(theme.pk, 0)
        theme.save()


def themes_describe(
    *,
    members: dict[int, np.ndarray],
    centroids: dict[int, np.ndarray],
    vectors: np.ndarray,
    item_ids: list[int],
    exclude_theme_ids: Collection[int] = (),
) -> dict[int, dict]:
    """Keywords, an engine name, three quotes, size and centre for each group of rows: Theme field values by group.

    Names are unique among the groups and unlike the name of any other live theme (those in exclude_theme_ids are
    being described again, so their current names are free)."""

    def texts_of(rows: list[int]) -> dict[int, str]:
        texts = dict(FeedbackItem.objects.filter(pk__in=[item_ids[row] for row in rows]).values_list("pk", "text"))
        return {row: texts[item_ids[row]] for row in rows}

    others = Theme.objects.filter(retired_at__isnull=True).exclude(pk__in=list(exclude_theme_ids))
    taken = frozenset(name for pair in others.values_list("name", "human_name") for name in pair if name)
    described = themes_describe_rows(
        rows_by_theme=members, vectors=vectors, texts_of=texts_of, encode=encoder_get().encode, taken_names=taken
    )
    return {
        cluster: {
            "keywords": description.keywords,
            "name": description.name[:200],
            "representative_item_ids": [item_ids[row] for row in description.quote_rows],
            "size": len(members[cluster]),
            "centroid": centroids[cluster].astype(np.float32).tobytes(),
        }
        for cluster, description in described.items()
    }


def themes_assign_nearest(*, items: list[FeedbackItem]) -> int:
    """Give new items the theme of their nearest prototype in the latest run, if close enough; returns how many."""
    run = ClusterRun.objects.filter(status=ClusterRun.Status.DONE, model__isnull=False).order_by("-pk").first()
    if run is None:
        return 0
    model = _model_for((run.pk, run.finished_at), run.model)
    cluster_theme_ids = run.params.get("cluster_theme_ids", [])
    live = set(Theme.objects.filter(pk__in=cluster_theme_ids, retired_at__isnull=True).values_list("pk", flat=True))
    candidates = [item for item in items if item.embedding_id and item.theme_assigned_by != ASSIGNED_BY.PERSON]
    if not candidates:
        return 0
    stored = dict(
        Embedding.objects.filter(pk__in={item.embedding_id for item in candidates}).values_list("pk", "vector")
    )
    vectors = np.stack([vector_from_bytes(stored[item.embedding_id]) for item in candidates])
    labels, similarity = model.assign(vectors)
    assigned = 0
    for item, label, score in zip(candidates, labels.tolist(), similarity.tolist(), strict=True):
        theme_id = cluster_theme_ids[label] if label != UNSORTED else None
        if theme_id in live:
            item.theme_id, item.theme_similarity, item.theme_assigned_by = theme_id, score, ASSIGNED_BY.NEAREST
            assigned += 1
    return assigned


_model_cache: dict[tuple, ThemeModel] = {}


def _model_for(key: tuple, raw: bytes) -> ThemeModel:
    # A run's model never changes once it is done; keep the latest per process. The key includes the finish
    # time because a rolled-back run's id can be handed out again.
    if key not in _model_cache:
        _model_cache.clear()
        _model_cache[key] = ThemeModel.from_bytes(raw)
    return _model_cache[key]
