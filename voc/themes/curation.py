"""What people do to themes, each recorded in the audit trail and kept through re-clustering."""

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import ngettext

from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.ranking.tasks import rankings_refresh_task, weeks_refresh_task
from voc.themes.clustering import MIN_THEME_ITEMS, themes_cluster, unit
from voc.themes.embedding import vector_from_bytes
from voc.themes.models import Curation, Theme, ThemeEvent
from voc.themes.services import items_theme_refresh, themes_describe, units_words

# Units a person placed are pinned: the clusterer never moves them again (themes.services._clusterable_units).
PINNED = FeedbackUnit.ThemeAssignedBy.PERSON
# Theme fields a person may set on the theme's admin page, and the audit action each change records.
FIELD_ACTIONS = {
    "human_name": Curation.Action.RENAME,
    "status": Curation.Action.STATUS,
    "locked": Curation.Action.LOCK,
    "product_area": Curation.Action.PRODUCT_AREA,
    "tracker_url": Curation.Action.TRACKER,
}


def theme_merge(*, sources: list[Theme], target: Theme, user) -> int:
    """Move every unit of `sources` into `target`, pinned, and retire the sources; returns how many units moved."""
    sources = [theme for theme in sources if theme.pk != target.pk]
    if not sources:
        raise ValueError("choose at least one theme other than the one to merge into")
    now = timezone.now()
    with transaction.atomic():
        moved = 0
        for theme in sources:
            count = FeedbackUnit.objects.filter(theme=theme).update(
                theme=target, theme_assigned_by=PINNED, theme_similarity=None
            )
            # An item led by a source theme is now led by the target: its unit there moved, and kept its place.
            FeedbackItem.objects.filter(theme=theme).update(theme=target)
            moved += count
            Theme.objects.filter(pk=theme.pk).update(merged_into=target, retired_at=now, size=0, updated_at=now)
            ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.MERGED_INTO, other_theme=target,
                                      items_moved=count)
        Theme.objects.filter(pk=target.pk).update(size=F("size") + moved, updated_at=now)
        Curation.objects.create(
            theme=target, action=Curation.Action.MERGE, user=user,
            detail={"merged": [{"id": theme.pk, "name": theme.display_name} for theme in sources], "items": moved},
        )
    _snapshots_refresh_after_commit()
    return moved


def items_move(*, item_ids: list[int], target: Theme, user) -> int:
    """Put items in `target` by hand (pinned there); returns how many items moved.

    What moves is what a list of items shows: the units in each item's lead theme (all of its units without a
    theme, for an unsorted item). Its other problems stay in their own themes."""
    with transaction.atomic():
        if not Theme.objects.select_for_update().filter(pk=target.pk, retired_at__isnull=True).exists():
            raise ValueError(f"“{target}” is retired; move feedback to a live theme")
        shown = Q()
        for item_id, theme_id in FeedbackItem.objects.filter(pk__in=item_ids).values_list("pk", "theme_id"):
            shown |= Q(item_id=item_id, theme_id=theme_id) if theme_id else Q(item_id=item_id, theme__isnull=True)
        if not shown:
            return 0
        units = FeedbackUnit.objects.select_for_update().filter(shown).exclude(theme=target)
        rows = list(units.values_list("theme_id", "item_id"))
        origins = {theme_id for theme_id, _ in rows if theme_id}
        units.update(theme=target, theme_assigned_by=PINNED, theme_similarity=None)
        items_theme_refresh(item_ids=item_ids)
        Curation.objects.create(
            theme=target, action=Curation.Action.MOVE_ITEMS, user=user,
            detail={"items": sorted(item_ids), "from_themes": sorted(origins)},
        )
        for theme_id in origins | {target.pk}:
            Theme.objects.filter(pk=theme_id).update(size=FeedbackUnit.objects.filter(theme_id=theme_id).count())
    _snapshots_refresh_after_commit()
    return len({item_id for _, item_id in rows})


@dataclass(frozen=True)
class SplitPart:
    """One group of a theme's members (feedback units), described the way the clustering engine describes a theme."""

    unit_ids: list[int]
    # Theme field values as themes_describe gives them: name, keywords, representative_unit_ids, size, centroid.
    fields: dict
    quotes: list[str]

    @property
    def name(self) -> str:
        return self.fields["name"]

    @property
    def size(self) -> int:
        return len(self.unit_ids)


def theme_split_proposal(*, theme: Theme, seed: int = 0) -> list[SplitPart]:
    """Re-cluster one theme's members on their stored vectors; the parts, largest first (that one keeps the theme).

    Refuses, with a ValueError that says why, a retired theme, one with too few vectors to cluster, and one whose
    members the clusterer finds to be a single group. Members without a vector are in no part; they stay.
    """
    if theme.retired_at is not None:
        raise ValueError(f"“{theme}” is retired; only a live theme can be split")
    unit_ids, vectors = _member_vectors(theme)
    if len(unit_ids) < 2 * MIN_THEME_ITEMS:
        embedded = ngettext("%(count)d item", "%(count)d items", len(unit_ids)) % {"count": len(unit_ids)}
        raise ValueError(
            f"“{theme}” has {embedded} with a stored vector; splitting needs at least {2 * MIN_THEME_ITEMS}; "
            "move items by hand instead"
        )
    model, _, _ = themes_cluster(vectors, seed=seed)
    # Every member already belongs to this theme, so none is left unsorted: each goes to its nearest part.
    model.threshold = -1.0
    labels, _ = model.assign(vectors)
    members = {label: np.flatnonzero(labels == label) for label in sorted(set(labels.tolist()))}
    if len(members) < 2:
        raise ValueError(f"the feedback of “{theme}” forms one group; there is nothing to split")
    centroids = {label: unit(vectors[rows].mean(axis=0)) for label, rows in members.items()}
    described = themes_describe(
        members=members, centroids=centroids, vectors=vectors, unit_ids=unit_ids, exclude_theme_ids=[theme.pk]
    )
    quote_ids = [unit_id for fields in described.values() for unit_id in fields["representative_unit_ids"]]
    texts = units_words(unit_ids=quote_ids)
    parts = [
        SplitPart(
            unit_ids=[unit_ids[row] for row in rows.tolist()],
            fields=described[label],
            quotes=[texts[unit_id] for unit_id in described[label]["representative_unit_ids"]],
        )
        for label, rows in members.items()
    ]
    return sorted(parts, key=lambda part: -part.size)


def theme_split(*, theme: Theme, user, seed: int = 0) -> list[Theme]:
    """Split a theme into the parts theme_split_proposal finds; returns the theme (largest part) and the new ones.

    Moved units are pinned in their new theme, so re-clustering keeps them there; the new themes stay unlocked and
    may gather new members like any other theme.
    """
    kept, *others = theme_split_proposal(theme=theme, seed=seed)
    now = timezone.now()
    with transaction.atomic():
        theme = Theme.objects.select_for_update().get(pk=theme.pk)
        if theme.retired_at is not None:  # merged away while the parts were being found
            raise ValueError(f"“{theme}” is retired; only a live theme can be split")
        new_themes = []
        for part in others:
            new = Theme.objects.create(
                **part.fields, product_area_id=theme.product_area_id, status=Theme.Status.NEW
            )
            # Only units still in the theme: one moved by someone else since the proposal stays where it went.
            moving = FeedbackUnit.objects.filter(pk__in=part.unit_ids, theme=theme)
            item_ids = list(moving.values_list("item_id", flat=True))
            moved = moving.update(theme=new, theme_assigned_by=PINNED, theme_similarity=None)
            items_theme_refresh(item_ids=item_ids)
            new.size = moved
            new.save(update_fields=["size", "updated_at"])
            ThemeEvent.objects.create(theme=new, kind=ThemeEvent.Kind.SPLIT_FROM, other_theme=theme, items_moved=moved)
            new_themes.append(new)
        moved_total = sum(new.size for new in new_themes)
        remaining = FeedbackUnit.objects.filter(theme=theme).count()
        Theme.objects.filter(pk=theme.pk).update(**(kept.fields | {"size": remaining}), updated_at=now)
        ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.SHRANK, items_moved=moved_total)
        Curation.objects.create(
            theme=theme,
            action=Curation.Action.SPLIT,
            user=user,
            detail={
                "parts": [{"id": new.pk, "name": new.name, "items": new.size} for new in new_themes],
                "items": moved_total,
                "kept": remaining,
            },
        )
    theme.refresh_from_db()
    _snapshots_refresh_after_commit()
    return [theme, *new_themes]


def _member_vectors(theme: Theme) -> tuple[list[int], np.ndarray]:
    """Ids and stored vectors of the theme's units embedded with the model most of them share."""
    members = FeedbackUnit.objects.filter(theme=theme, embedding__isnull=False)
    # Vectors of two models are not comparable; after a model change most members already have the new one.
    versions = members.values("embedding__model_version").annotate(count=Count("pk")).order_by("-count")
    if not versions:
        return [], np.zeros((0, 0), dtype=np.float32)
    version = versions[0]["embedding__model_version"]
    rows = members.filter(embedding__model_version=version).order_by("pk").values_list("pk", "embedding__vector")
    unit_ids, vectors = [], []
    for unit_id, vector in rows.iterator(chunk_size=2000):
        unit_ids.append(unit_id)
        vectors.append(vector_from_bytes(vector))
    return unit_ids, np.stack(vectors)


def theme_changes_record(*, theme: Theme, changed: dict[str, tuple], user) -> None:
    """Audit a person's edits to a theme's own fields: {field: (before, after)}."""
    Curation.objects.bulk_create(
        Curation(theme=theme, action=FIELD_ACTIONS[field], user=user,
                 detail={"field": field, "before": _plain(before), "after": _plain(after)})
        for field, (before, after) in changed.items()
        if field in FIELD_ACTIONS
    )


def _plain(value):
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _snapshots_refresh_after_commit() -> None:
    """Units changed theme: the ranked list and the trends read snapshots, so refresh them once this commits."""
    # robust: a broker hiccup must not turn a committed curation into an error; beat refreshes both anyway.
    transaction.on_commit(rankings_refresh_task.delay, robust=True)
    transaction.on_commit(weeks_refresh_task.delay, robust=True)
