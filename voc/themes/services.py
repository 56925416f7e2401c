"""Writes for themes: re-clustering feedback units with stable identities, naming, lineage, and assigning new units.

A theme's members are feedback units (voc.feedback.units), one per problem an item raises; an item belongs to the
themes of its units, and FeedbackItem.theme keeps the first of them for lists and filters (items_theme_refresh).
"""

import logging
from collections import Counter
from collections.abc import Callable, Collection

import numpy as np
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from scipy.optimize import linear_sum_assignment

from voc.core.db import rows_update
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.themes.clustering import UNSORTED, ThemeModel, themes_cluster, unit
from voc.themes.embedding import embeddings_for_texts, encoder_get, unit_embedding_texts, vector_from_bytes
from voc.themes.models import ClusterRun, Embedding, Theme, ThemeEvent
from voc.themes.naming import themes_describe_rows

logger = logging.getLogger(__name__)

# A new cluster continues an existing theme when they share at least this share of their combined members
# (Jaccard), or, for a theme whose members mostly left, when their centres nearly coincide.
MATCH_MIN_OVERLAP = 0.2
MATCH_MIN_CENTROID_SIMILARITY = 0.9

ASSIGNED_BY = FeedbackUnit.ThemeAssignedBy


def embeddings_refresh(*, chunk: int = 500) -> int:
    """Re-embed the units of processed items whose vector is missing or from another model (after a model change)."""
    version = encoder_get().version
    stale = (
        FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED, units__isnull=False)
        .exclude(units__embedding__model_version=version)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    refreshed = 0
    last_pk = 0
    while batch := list(stale.filter(pk__gt=last_pk)[:chunk]):
        last_pk = batch[-1]
        units = list(
            FeedbackUnit.objects.filter(item_id__in=batch).select_related("item").order_by("item_id", "position")
        )
        by_item: dict[int, list[FeedbackUnit]] = {}
        for each in units:
            by_item.setdefault(each.item_id, []).append(each)
        texts = [
            text
            for item_units in by_item.values()
            for text in unit_embedding_texts([each.words for each in item_units], item_units[0].item.title)
        ]
        for each, embedding_id in zip(
            [each for item_units in by_item.values() for each in item_units], embeddings_for_texts(texts), strict=True
        ):
            each.embedding_id = embedding_id
        rows_update(units, ["embedding"])
        refreshed += len(units)
    return refreshed


def themes_recluster(*, seed: int = 0, progress: Callable[[str], None] | None = None) -> ClusterRun:
    """Re-cluster every embedded item; themes keep their ids, human names, locks, statuses and pinned items."""
    say = progress or (lambda _message: None)
    version = encoder_get().version
    run = ClusterRun.objects.create(model_version=version)
    try:
        say("loading vectors")
        unit_ids, vectors, previous = _clusterable_units(version)
        say(f"clustering {len(unit_ids):,} feedback units")
        if unit_ids:
            model, labels, similarity = themes_cluster(vectors, seed=seed)
        else:
            model, labels, similarity = None, np.array([], dtype=int), np.array([], dtype=np.float32)
        say("matching clusters to themes and naming them")
        with transaction.atomic():
            theme_ids = _apply(run, unit_ids, vectors, labels, similarity, previous)
            items_theme_refresh()
            run.status = ClusterRun.Status.DONE
            run.items = len(unit_ids)
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


def _clusterable_units(version: str) -> tuple[list[int], np.ndarray, dict[int, int | None]]:
    """Units the engine may move: of processed items, embedded with the current model, not pinned, not in a locked
    theme; their ids, vectors and current themes."""
    rows = (
        FeedbackUnit.objects.filter(item__status=FeedbackItem.Status.PROCESSED, embedding__model_version=version)
        .exclude(theme_assigned_by=ASSIGNED_BY.PERSON)
        .exclude(theme__locked=True)
        .order_by("pk")
        .values_list("pk", "theme_id", "embedding__vector")
    )
    # Filled in place, never stacked from a list, so 1M vectors cost their 1.5 GB once and not twice; units that
    # arrive meanwhile wait for the next run.
    count = rows.count()
    unit_ids, matrix, previous = [], None, {}
    for row, (unit_id, theme_id, vector) in enumerate(rows[:count].iterator(chunk_size=5000)):
        vector = vector_from_bytes(vector)
        if matrix is None:
            matrix = np.empty((count, len(vector)), dtype=np.float32)
        matrix[row] = vector
        unit_ids.append(unit_id)
        previous[unit_id] = theme_id
    if matrix is None:
        return [], np.zeros((0, 0), dtype=np.float32), {}
    return unit_ids, matrix[: len(unit_ids)], previous


def _apply(run, unit_ids, vectors, labels, similarity, previous) -> dict[int, int]:
    """Map clusters to themes, write members, names and lineage; returns cluster index -> theme id."""
    clusters = sorted(set(labels.tolist()) - {UNSORTED})
    members = {cluster: np.flatnonzero(labels == cluster) for cluster in clusters}
    centroids = {cluster: unit(vectors[rows].mean(axis=0)) for cluster, rows in members.items()}
    # One pass over the units: how many each old theme had, and how many went from it to each new cluster.
    sizes_before = Counter(theme_id for theme_id in previous.values() if theme_id)
    moves = Counter(
        (previous[unit_id], label)
        for unit_id, label in zip(unit_ids, labels.tolist(), strict=True)
        if previous[unit_id]
    )
    candidates = list(Theme.objects.filter(locked=False, retired_at__isnull=True, merged_into__isnull=True))
    matched = _match(clusters, members, centroids, candidates, sizes_before, moves)
    # Units a person placed stay where they are, so their theme lives on and counts them.
    pinned = dict(
        FeedbackUnit.objects.filter(theme_assigned_by=ASSIGNED_BY.PERSON, theme__isnull=False)
        .values("theme_id")
        .annotate(count=Count("pk"))
        .values_list("theme_id", "count")
    )

    themes_by_cluster: dict[int, Theme] = {}
    for cluster in clusters:
        theme = matched.get(cluster) or Theme.objects.create(name="(naming)")
        themes_by_cluster[cluster] = theme
    theme_ids = {cluster: theme.pk for cluster, theme in themes_by_cluster.items()}

    for theme in themes_by_cluster.values():
        # An emerging theme whose members stayed together is now one the clusterer found: adopted, id kept
        # (_describe saves it).
        theme.emerging = False
    _write_members(unit_ids, labels, similarity, theme_ids)
    _record_lineage(run, clusters, members, themes_by_cluster, matched, candidates, sizes_before, moves, pinned)
    _describe(themes_by_cluster, members, centroids, vectors, unit_ids, pinned)
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


def _write_members(unit_ids, labels, similarity, theme_ids) -> None:
    changed = []
    for unit_id, label, score in zip(unit_ids, labels.tolist(), similarity.tolist(), strict=True):
        theme_id = theme_ids.get(label) if label != UNSORTED else None
        member = FeedbackUnit(pk=unit_id, theme_id=theme_id, theme_similarity=score)
        member.theme_assigned_by = ASSIGNED_BY.CLUSTERING if theme_id else ""
        changed.append(member)
    rows_update(changed, ["theme", "theme_similarity", "theme_assigned_by"])


def items_theme_refresh(*, item_ids: Collection[int] | None = None) -> None:
    """Set each item's lead theme (FeedbackItem.theme) to the theme of its first unit that has one."""
    first_theme = (
        FeedbackUnit.objects.filter(item_id=OuterRef("pk"), theme__isnull=False).order_by("position").values("theme_id")
    )
    items = FeedbackItem.objects.all() if item_ids is None else FeedbackItem.objects.filter(pk__in=list(item_ids))
    items.update(theme_id=Subquery(first_theme[:1]))


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


def _describe(themes_by_cluster, members, centroids, vectors, unit_ids, pinned) -> None:
    described = themes_describe(
        members=members, centroids=centroids, vectors=vectors, unit_ids=unit_ids,
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
    unit_ids: list[int],
    exclude_theme_ids: Collection[int] = (),
) -> dict[int, dict]:
    """Keywords, an engine name, three quotes, size and centre for each group of rows: Theme field values by group.

    Names are unique among the groups and unlike the name of any other live theme (those in exclude_theme_ids are
    being described again, so their current names are free)."""

    def texts_of(rows: list[int]) -> dict[int, str]:
        texts = units_words(unit_ids=[unit_ids[row] for row in rows])
        return {row: texts[unit_ids[row]] for row in rows}

    others = Theme.objects.filter(retired_at__isnull=True).exclude(pk__in=list(exclude_theme_ids))
    taken = frozenset(name for pair in others.values_list("name", "human_name") for name in pair if name)
    described = themes_describe_rows(
        rows_by_theme=members, vectors=vectors, texts_of=texts_of, encode=encoder_get().encode, taken_names=taken
    )
    return {
        cluster: {
            "keywords": description.keywords,
            "name": description.name[:200],
            "representative_unit_ids": [unit_ids[row] for row in description.quote_rows],
            "size": len(members[cluster]),
            "centroid": centroids[cluster].astype(np.float32).tobytes(),
        }
        for cluster, description in described.items()
    }


def units_words(*, unit_ids: list[int]) -> dict[int, str]:
    """The words of each unit, by id, read in one query (a unit's words are a slice of its item's text)."""
    words = {}
    rows = FeedbackUnit.objects.filter(pk__in=unit_ids).values_list("pk", "start", "end", "text", "item__text")
    for unit_id, start, end, text, item_text in rows.iterator(chunk_size=2000):
        words[unit_id] = text if start is None else item_text[start:end]
    return words


def themes_assign_nearest(*, units: list[FeedbackUnit]) -> int:
    """Give new units the theme of their nearest prototype in the latest run, if close enough; returns how many.

    The units are changed in place; the caller saves them."""
    latest = latest_model()
    if latest is None:
        return 0
    run, model = latest
    cluster_theme_ids = run.params.get("cluster_theme_ids", [])
    live = set(Theme.objects.filter(pk__in=cluster_theme_ids, retired_at__isnull=True).values_list("pk", flat=True))
    candidates = [each for each in units if each.embedding_id and each.theme_assigned_by != ASSIGNED_BY.PERSON]
    if not candidates:
        return 0
    labels, similarity = model.assign(units_vectors(candidates))
    assigned = 0
    for each, label, score in zip(candidates, labels.tolist(), similarity.tolist(), strict=True):
        theme_id = cluster_theme_ids[label] if label != UNSORTED else None
        if theme_id in live:
            each.theme_id, each.theme_similarity, each.theme_assigned_by = theme_id, score, ASSIGNED_BY.NEAREST
            assigned += 1
    return assigned


def units_vectors(units: list[FeedbackUnit]) -> np.ndarray:
    """The embedding of each unit (all embedded), one row per unit, read in one query."""
    stored = embedding_vectors({each.embedding_id for each in units})
    return np.stack([stored[each.embedding_id] for each in units])


def embedding_vectors(embedding_ids: Collection[int]) -> dict[int, np.ndarray]:
    """Stored vectors by embedding id, read in one query."""
    rows = Embedding.objects.filter(pk__in=list(embedding_ids)).values_list("pk", "vector")
    return {pk: vector_from_bytes(vector) for pk, vector in rows}


def latest_model() -> tuple[ClusterRun, ThemeModel] | None:
    """The latest finished re-clustering and the model it fitted, or None before the first."""
    run = ClusterRun.objects.filter(status=ClusterRun.Status.DONE, model__isnull=False).order_by("-pk").first()
    if run is None:
        return None
    return run, _model_for((run.pk, run.finished_at), run.model)


_model_cache: dict[tuple, ThemeModel] = {}


def _model_for(key: tuple, raw: bytes) -> ThemeModel:
    # A run's model never changes once it is done; keep the latest per process. The key includes the finish
    # time because a rolled-back run's id can be handed out again.
    if key not in _model_cache:
        _model_cache.clear()
        _model_cache[key] = ThemeModel.from_bytes(raw)
    return _model_cache[key]
