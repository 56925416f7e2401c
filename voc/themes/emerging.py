"""Emerging themes: a new problem surfaces within one processing pass, not at the next re-cluster.

A unit that is too far from every prototype of the latest fit stays unsorted (see clustering.py, step 7). When
such units keep arriving about one thing, that is a problem the fitted themes do not know yet. The rule:

- Space and radius. Units are compared as the clusterer compares them: centred by the fit's mean, by cosine. The
  radius is learnt from the fitted themes, not chosen: the typical similarity of two members of one theme
  (the median over themes of their mean pairwise similarity, ThemeModel.member_similarity). Two unsorted units at
  least that close are as alike as two pieces of feedback about one known problem usually are.
- Density. A group forms around a new unsorted unit: the unit and every unsorted unit within the radius of it.
  It becomes an emerging theme when it holds at least EMERGING_MIN_UNITS units from at least EMERGING_MIN_VOICES
  distinct voices (accounts, or authors without one), the same two conditions a PM would ask before calling
  something a pattern: it recurs, and not from one customer alone. The densest new unit is taken first (ties: the
  oldest), so the same units give the same themes.
- Window. Only units of feedback from the last EMERGING_WINDOW count: a backlog of old outliers is not news.

An emerging theme is named like any other and ranked at once. Later units that fit it join it by the same rule as
prototypes (similarity to its centre at least the fit's threshold). The next full re-cluster adopts it, keeping
its id, when its members stay together (member overlap, as for any theme), and otherwise dissolves it.
"""

import datetime as dt
from collections.abc import Collection

import numpy as np
from django.utils import timezone

from voc.core.db import rows_update, transaction_lock
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.themes.clustering import ThemeModel, unit
from voc.themes.embedding import vector_from_bytes
from voc.themes.models import Theme, ThemeEvent
from voc.themes.services import ASSIGNED_BY, items_theme_refresh, latest_model, themes_describe, units_vectors

EMERGING_MIN_UNITS = 3
EMERGING_MIN_VOICES = 2
EMERGING_WINDOW = dt.timedelta(days=30)
# The most recent unsorted units a new one is compared with: bounds the work per pass on a big backlog.
UNSORTED_LOOKBACK = 20_000
MEMBERSHIP_FIELDS = ["theme", "theme_similarity", "theme_assigned_by"]


def units_join_emerging(*, units: list[FeedbackUnit]) -> int:
    """Give new units the emerging theme whose centre is nearest, when it is within the fit's threshold and nearer
    than the prototype they were given, if any: emerging themes are prototypes too. Returns how many joined. The
    units are changed in place; the caller saves them."""
    latest = latest_model()
    candidates = [
        each for each in units
        if each.embedding_id and each.theme_assigned_by != ASSIGNED_BY.PERSON
        and (each.theme_id is None or each.theme_assigned_by == ASSIGNED_BY.NEAREST)
    ]
    if latest is None or not candidates:
        return 0
    model = latest[1]
    theme_ids, centres = _emerging_centres(model)
    if not theme_ids:
        return 0
    return _nearer_claimed(candidates, theme_ids, centres, model)


def _nearer_claimed(units: list[FeedbackUnit], theme_ids: list[int], centres: np.ndarray, model: ThemeModel) -> int:
    """Move each unit to the nearest of these centres where that is within the threshold and nearer than its
    current theme (or it has none); returns how many moved. Changes the units in place."""
    scores = _centred(units_vectors(units), model) @ centres.T
    best = scores.argmax(axis=1)
    moved = 0
    for each, column, row in zip(units, best.tolist(), scores, strict=True):
        score = float(row[column])
        current = each.theme_similarity if each.theme_id is not None else None
        if score >= model.threshold and (current is None or score > current):
            each.theme_id, each.theme_similarity = theme_ids[column], score
            each.theme_assigned_by = ASSIGNED_BY.NEAREST
            moved += 1
    return moved


def themes_emerge(*, units: list[FeedbackUnit], now: dt.datetime | None = None) -> list[Theme]:
    """Gather unsorted units into emerging themes where the density rule holds; each new theme holds at least one
    of `units` (those just processed and stored), and takes any of them that sits nearer to it than to the
    prototype it was given. Returns the themes created."""
    latest = latest_model()
    unsorted = [each for each in units if each.theme_id is None and each.embedding_id]
    if latest is None or latest[1].member_similarity is None or not unsorted:
        return []
    model = latest[1]
    # One worker at a time gathers, and first lets its units join an emerging theme that another worker's chunk
    # created since they were assigned: two workers never make the same new problem twice.
    transaction_lock("voc.themes.emerging")
    theme_ids, centres = _emerging_centres(model)
    if theme_ids and _nearer_claimed(unsorted, theme_ids, centres, model):
        _moves_saved([each for each in unsorted if each.theme_id is not None])
    unit_ids = {each.pk for each in unsorted if each.theme_id is None}
    if not unit_ids:
        return []
    since = (now or timezone.now()) - EMERGING_WINDOW
    pool = list(
        FeedbackUnit.objects.filter(
            theme__isnull=True, embedding__isnull=False, item__status=FeedbackItem.Status.PROCESSED,
            item__occurred_at__gte=since,
        )
        .exclude(theme_assigned_by=ASSIGNED_BY.PERSON)  # a person said it belongs nowhere
        .order_by("-pk")
        .values_list("pk", "item_id", "embedding__vector", "item__account_id", "item__author_email",
                     "item__author_handle")[:UNSORTED_LOOKBACK]
    )
    new_rows = [row for row, entry in enumerate(pool) if entry[0] in unit_ids]
    if len(pool) < EMERGING_MIN_UNITS or not new_rows:
        return []
    pool.reverse()  # oldest first, so ties go to the oldest unit
    new_rows = [len(pool) - 1 - row for row in reversed(new_rows)]
    raw = np.stack([vector_from_bytes(entry[2]) for entry in pool])
    centred = _centred(raw, model)
    voices = [_voice(item_id, account_id, email, handle) for _, item_id, _, account_id, email, handle in pool]

    near = (centred[new_rows] @ centred.T) >= model.member_similarity
    taken = np.zeros(len(pool), dtype=bool)
    created = []
    for position in sorted(range(len(new_rows)), key=lambda each: (-int(near[each].sum()), new_rows[each])):
        if taken[new_rows[position]]:
            continue
        group = np.flatnonzero(near[position] & ~taken)
        if len(group) < EMERGING_MIN_UNITS or len({voices[row] for row in group}) < EMERGING_MIN_VOICES:
            continue
        taken[group] = True
        created.append(_theme_create([pool[row][0] for row in group], raw[group], centred[group]))
    if created:
        _placed_units_claimed(units, created, model)
    return created


def _theme_create(unit_ids: list[int], raw: np.ndarray, centred: np.ndarray) -> Theme:
    described = themes_describe(
        members={0: np.arange(len(unit_ids))}, centroids={0: unit(raw.mean(axis=0, keepdims=True))[0]},
        vectors=raw, unit_ids=unit_ids,
    )[0]
    theme = Theme.objects.create(emerging=True, **described)
    centre = unit(centred.mean(axis=0, keepdims=True))[0]
    members = [
        FeedbackUnit(pk=unit_id, theme=theme, theme_similarity=similarity, theme_assigned_by=ASSIGNED_BY.NEAREST)
        for unit_id, similarity in zip(unit_ids, (centred @ centre).tolist(), strict=True)
    ]
    rows_update(members, MEMBERSHIP_FIELDS)
    ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.BORN, items_moved=len(unit_ids))
    items_theme_refresh(item_ids=set(FeedbackUnit.objects.filter(pk__in=unit_ids).values_list("item_id", flat=True)))
    return theme


def _placed_units_claimed(units: list[FeedbackUnit], themes: list[Theme], model: ThemeModel) -> None:
    """The units of this pass that a prototype took only loosely go to a new emerging theme that is nearer."""
    placed = [each for each in units if each.theme_assigned_by == ASSIGNED_BY.NEAREST and each.embedding_id]
    if not placed:
        return
    theme_ids, centres = _emerging_centres(model, theme_ids=[theme.pk for theme in themes])
    if _nearer_claimed(placed, theme_ids, centres, model):
        _moves_saved([each for each in placed if each.theme_id in set(theme_ids)])


def _moves_saved(moved: list[FeedbackUnit]) -> None:
    """Store stored units' new emerging themes, and their items' lead themes and the themes' sizes with them."""
    rows_update(moved, MEMBERSHIP_FIELDS)
    items_theme_refresh(item_ids={each.item_id for each in moved})
    emerging_sizes_refresh(theme_ids={each.theme_id for each in moved})


def emerging_sizes_refresh(*, theme_ids: Collection[int]) -> None:
    """Keep an emerging theme's size in step as units join it between re-clusters."""
    for theme_id in set(theme_ids):
        Theme.objects.filter(pk=theme_id, emerging=True).update(
            size=FeedbackUnit.objects.filter(theme_id=theme_id).count(), updated_at=timezone.now()
        )


def _emerging_centres(model: ThemeModel, theme_ids: list[int] | None = None) -> tuple[list[int], np.ndarray]:
    """Each live emerging theme's centre (or these themes') in the fit's centred space, from its members' vectors."""
    rows = FeedbackUnit.objects.filter(
        theme__emerging=True, theme__retired_at__isnull=True, embedding__isnull=False
    )
    if theme_ids is not None:
        rows = rows.filter(theme_id__in=theme_ids)
    rows = (
        rows.order_by("theme_id", "pk")
        .values_list("theme_id", "embedding__vector")
    )
    by_theme: dict[int, list[np.ndarray]] = {}
    for theme_id, vector in rows:
        by_theme.setdefault(theme_id, []).append(vector_from_bytes(vector))
    if not by_theme:
        return [], np.zeros((0, len(model.mean)), dtype=np.float32)
    theme_ids = sorted(by_theme)
    centres = [unit(_centred(np.stack(by_theme[theme_id]), model).mean(axis=0, keepdims=True))[0]
               for theme_id in theme_ids]
    return theme_ids, np.stack(centres)


def _centred(vectors: np.ndarray, model: ThemeModel) -> np.ndarray:
    return unit(np.asarray(vectors, dtype=np.float32) - model.mean)


def _voice(item_id: int, account_id: int | None, email: str, handle: str) -> str:
    """Who spoke, as the ranking counts voices: the account, else the author's email or handle, else the item."""
    if account_id is not None:
        return f"account {account_id}"
    return email or handle or f"item {item_id}"

