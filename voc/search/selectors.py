"""More like this: the feedback nearest by meaning to an item, a unit, a theme or free text, one row per item.

Each lookup turns its source into query vectors of one model version (the stored vectors of an item's or a unit's
words, a theme's centroid, or free text embedded by the same encoder as feedback), asks voc.search.neighbours for
the nearest units, and keeps each item's closest unit: no item twice, never the source item itself.

Likely duplicates (similar_duplicates) are the same lookup among one account's feedback of the last 30 days, kept
when at least as alike as two typical members of one theme are: the latest fit's ThemeModel.member_similarity,
compared in the fit's centred space. On BANKING77 with its 77 intents as the themes that cut-off is 0.47 centred
and keeps 52% of the pairs of texts with one intent and 0.8% of the pairs with different intents. Before a first
re-cluster there is no fit to centre by, and the same statistic on BANKING77's plain vectors stands in: 0.59 raw
cosine, keeping 53% of same-intent pairs and 1.2% of different-intent pairs.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.search.neighbours import units_nearest
from voc.themes.embedding import encoder_get, vector_from_bytes
from voc.themes.models import ClusterRun, Theme
from voc.themes.preprocess import text_for_embedding

RESULTS = 50
# Units asked of the index per item wanted: an item's several units may all come back, and the source's own.
UNITS_PER_ITEM = 3
DUPLICATE_DAYS = 30
# The typical raw cosine of two members of one theme, measured on BANKING77's intents (see the module docstring).
DUPLICATE_SIMILARITY_DEFAULT = 0.59
# A free-text query longer than this is cut: feedback units are a few sentences, and the encoder reads 128 pieces.
QUERY_MAX_CHARS = 2_000
# A theme without a stored centroid is placed at the mean of this many of its members.
THEME_SAMPLE = 1_000


@dataclass(frozen=True)
class SimilarItem:
    """A feedback item near the source, through its closest unit (with the unit's theme and the item's account)."""

    item: FeedbackItem
    unit: FeedbackUnit
    similarity: float

    @property
    def words(self) -> str:
        return self.unit.words


@dataclass(frozen=True)
class Lookup:
    """What was asked about (kind: item, unit, theme, text or duplicates; subject: that row, or the words) and the
    feedback nearest to it."""

    kind: str
    subject: object
    results: list[SimilarItem]


@dataclass(frozen=True)
class _Query:
    vectors: np.ndarray
    version: str
    item_id: int | None = None  # the source item, never among the results


def similar_to_item(*, item_id: int, limit: int = RESULTS) -> list[SimilarItem] | None:
    """Feedback nearest to an item's units (or its text, before it is processed); None when there is no such item."""
    query = _item_query(item_id)
    return None if query is None else _similar(query, limit=limit)


def similar_to_unit(*, unit_id: int, limit: int = RESULTS) -> list[SimilarItem] | None:
    """Feedback nearest to one unit's words; None when there is no such unit."""
    unit = FeedbackUnit.objects.select_related("embedding", "item").filter(pk=unit_id).first()
    if unit is None:
        return None
    if unit.embedding is not None:
        query = _Query(vector_from_bytes(unit.embedding.vector)[None, :], unit.embedding.model_version, unit.item_id)
    else:
        query = _text_query(unit.words, item_id=unit.item_id)
    return _similar(query, limit=limit)


def similar_to_theme(*, theme_id: int, limit: int = RESULTS) -> list[SimilarItem] | None:
    """Feedback nearest to a theme's centre; None when there is no such theme, [] when it has no vectors yet."""
    theme = Theme.objects.filter(pk=theme_id).only("centroid").first()
    if theme is None:
        return None
    run = ClusterRun.objects.filter(status=ClusterRun.Status.DONE).order_by("-pk").only("model_version").first()
    if theme.centroid and run is not None:
        # The centroid is the mean of its members' vectors at the latest re-cluster, in that run's model.
        return _similar(_Query(vector_from_bytes(theme.centroid)[None, :], run.model_version), limit=limit)
    members = list(
        FeedbackUnit.objects.filter(theme_id=theme_id, embedding__isnull=False)
        .values_list("embedding__model_version", "embedding__vector")[:THEME_SAMPLE]
    )
    if not members:
        return []
    version = members[0][0]
    vectors = np.stack([vector_from_bytes(vector) for each, vector in members if each == version])
    centre = vectors.mean(axis=0)
    return _similar(_Query((centre / max(np.linalg.norm(centre), 1e-12))[None, :], version), limit=limit)


def similar_to_text(*, text: str, limit: int = RESULTS) -> list[SimilarItem]:
    """Feedback nearest to free text, embedded as feedback is."""
    return _similar(_text_query(text), limit=limit)


def similar_duplicates(*, item_id: int, days: int = DUPLICATE_DAYS) -> list[SimilarItem]:
    """Other feedback from the item's account in the last `days` days that likely says the same: at least as alike
    as two typical members of one theme (see the module docstring). [] for an item without an account."""
    item = FeedbackItem.objects.filter(pk=item_id).only("account_id").first()
    if item is None or item.account_id is None:
        return []
    query = _item_query(item_id)
    if query is None or not len(query.vectors):
        return []
    centre, threshold = _duplicate_measure()
    among = FeedbackUnit.objects.filter(
        item__account_id=item.account_id, item__occurred_at__gte=timezone.now() - dt.timedelta(days=days)
    ).exclude(item_id=item_id)
    neighbours = units_nearest(
        queries=query.vectors, version=query.version, limit=RESULTS * UNITS_PER_ITEM, among=among,
        centre=centre,
    )
    return [similar for similar in _by_item(neighbours, exclude_item_id=item_id, limit=RESULTS)
            if similar.similarity >= threshold]


def similar_lookup(
    *, item_id: int | None = None, unit_id: int | None = None, theme_id: int | None = None, text: str = "",
    duplicates: bool = False, limit: int = RESULTS,
) -> Lookup | None:
    """The page's question answered: the first of item, unit, theme or text given, with what it is about; None when
    the item, unit or theme does not exist."""
    if item_id is not None:
        subject = FeedbackItem.objects.select_related("account").filter(pk=item_id).first()
        if subject is None:
            return None
        if duplicates:
            return Lookup("duplicates", subject, similar_duplicates(item_id=item_id))
        return Lookup("item", subject, similar_to_item(item_id=item_id, limit=limit) or [])
    if unit_id is not None:
        subject = FeedbackUnit.objects.select_related("item", "theme").filter(pk=unit_id).first()
        return None if subject is None else Lookup("unit", subject, similar_to_unit(unit_id=unit_id, limit=limit))
    if theme_id is not None:
        subject = Theme.objects.defer("centroid").filter(pk=theme_id).first()
        return None if subject is None else Lookup("theme", subject, similar_to_theme(theme_id=theme_id, limit=limit))
    return Lookup("text", text, similar_to_text(text=text, limit=limit))


def _duplicate_measure() -> tuple[np.ndarray | None, float]:
    """(the centring mean, the similarity cut-off) of the latest fit, or (None, the BANKING77 default)."""
    from voc.themes.services import latest_model

    latest = latest_model()
    if latest is None or latest[1].member_similarity is None:
        return None, DUPLICATE_SIMILARITY_DEFAULT
    model = latest[1]
    return model.mean, model.member_similarity


def _item_query(item_id: int) -> _Query | None:
    item = FeedbackItem.objects.filter(pk=item_id).only("title", "text", "status").first()
    if item is None:
        return None
    embedded = list(
        FeedbackUnit.objects.filter(item_id=item_id, embedding__isnull=False)
        .order_by("position")
        .values_list("embedding__model_version", "embedding__vector")
    )
    if not embedded and item.status == FeedbackItem.Status.PROCESSED:
        return _Query(np.zeros((0, 0), dtype=np.float32), "", item_id)  # greetings only: nothing to compare
    if not embedded:
        # Not processed yet (a worker has it queued): its whole text stands in for its units.
        return _text_query(f"{item.title}\n{item.text}" if item.title else item.text, item_id=item_id)
    version = embedded[0][0]
    vectors = np.stack([vector_from_bytes(vector) for each, vector in embedded if each == version])
    return _Query(vectors, version, item_id)


def _text_query(text: str, *, item_id: int | None = None) -> _Query:
    encoder = encoder_get()
    vector = encoder.encode([text_for_embedding(text[:QUERY_MAX_CHARS])])
    return _Query(vector, encoder.version, item_id)


def _similar(query: _Query, *, limit: int) -> list[SimilarItem]:
    if not len(query.vectors):
        return []
    # The source item's own units come back first; ask for enough besides them.
    wanted = limit * UNITS_PER_ITEM + len(query.vectors)
    neighbours = units_nearest(queries=query.vectors, version=query.version, limit=wanted)
    return _by_item(neighbours, exclude_item_id=query.item_id, limit=limit)


def _by_item(neighbours, *, exclude_item_id: int | None, limit: int) -> list[SimilarItem]:
    """One row per item, through its most similar unit, best first; the source item left out."""
    units = (
        FeedbackUnit.objects.filter(pk__in=[each.unit_id for each in neighbours])
        .select_related("item__account", "theme")
        .defer("item__metadata", "theme__centroid", "theme__keywords", "theme__representative_unit_ids")
        .in_bulk()
    )
    found: dict[int, SimilarItem] = {}
    for each in neighbours:  # best first, so an item's first unit here is its closest
        unit = units.get(each.unit_id)
        if unit is None or unit.item_id == exclude_item_id or unit.item_id in found:
            continue
        found[unit.item_id] = SimilarItem(item=unit.item, unit=unit, similarity=each.similarity)
        if len(found) == limit:
            break
    return list(found.values())
