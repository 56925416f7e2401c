"""Quotes: a theme's representative members, from its core and unlike each other."""

import math

import numpy as np

# Quotes: the core is this share of a theme's members, those with the widest margin over any other theme; among
# them MMR trades closeness to the centre for variety in this proportion.
CORE_SHARE = 0.1
QUOTE_DIVERSITY = 0.3


def representative_indices(
    vectors: np.ndarray, centroid: np.ndarray, *, count: int = 3, diversity: float = 0.5
) -> list[int]:
    """Indices of up to count vectors near the centroid and unlike each other, by maximal marginal relevance."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if count <= 0 or vectors.ndim != 2 or len(vectors) == 0:
        return []
    centroid = np.asarray(centroid, dtype=np.float64).ravel()
    norm = np.linalg.norm(centroid)
    relevance = vectors @ (centroid / norm) if norm > 0 else np.zeros(len(vectors))
    similarity = vectors @ vectors.T

    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(count, len(vectors)):
        redundancy = similarity[:, chosen].max(axis=1)
        scores = (1 - diversity) * relevance - diversity * redundancy
        scores[chosen] = -np.inf
        chosen.append(int(np.argmax(scores)))
    return chosen


def core_quote_indices(vectors: np.ndarray, centres: np.ndarray, *, own: int, count: int = 3) -> list[int]:
    """Up to `count` quotes from a theme's core, as indices into its (centred) member vectors.

    The core is the members that sit most clearly in their theme: nearer to its centre than to any other theme's,
    and of those the tenth (at least `count`) with the widest margin between the two. A member near the centre of
    a mixed theme can sit almost as near a neighbour; a wide margin cannot. Quotes are picked from the core by
    maximal marginal relevance, so they say the theme's problem in different words. A member that sits closer to
    another theme is never quoted, even if that leaves fewer than `count` quotes. On BANKING77 (all 13,083 texts)
    ranking the core by margin instead of by closeness to the centre raised quote purity from 0.925 to 0.958;
    on the held-out SaaS set it is 0.976 either way.
    """
    if not len(vectors):
        return []
    similarity = vectors @ centres.T
    own_similarity = similarity[:, own]
    others = np.delete(similarity, own, axis=1)
    margin = own_similarity - (others.max(axis=1) if others.shape[1] else -np.inf)
    candidates = np.flatnonzero(margin > 0)
    if not len(candidates):
        return []
    core_size = max(count, math.ceil(CORE_SHARE * len(vectors)))
    core = candidates[np.argsort(-margin[candidates], kind="stable")[:core_size]]
    picked = representative_indices(vectors[core], centres[own], count=count, diversity=QUOTE_DIVERSITY)
    return [int(core[index]) for index in picked]
