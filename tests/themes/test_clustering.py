"""The theme engine's clustering: the same themes whatever the input order, and at every size."""

import numpy as np
import pytest

from voc.themes.clustering import FIT_SAMPLE, UNSORTED, ThemeModel, canonical_order, resolution, themes_cluster


def blobs(problems: int, per_problem: int, *, seed: int = 0, spread: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors round `problems` random directions in 48 dimensions, and the problem of each."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((problems, 48))
    gold = np.repeat(np.arange(problems), per_problem)
    vectors = directions[gold] / np.sqrt(48) * 4 + rng.standard_normal((len(gold), 48)) * spread
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), gold


def same_partition(one: np.ndarray, other: np.ndarray) -> bool:
    pairs = set(zip(one.tolist(), other.tolist(), strict=True))
    return len(pairs) == len(set(one.tolist())) == len(set(other.tolist()))


def test_the_same_vectors_in_any_order_get_the_same_themes_numbered_the_same():
    vectors, _ = blobs(8, 40)
    _, labels, _ = themes_cluster(vectors)

    for seed in (1, 2):
        order = np.random.default_rng(seed).permutation(len(vectors))
        _, shuffled, _ = themes_cluster(vectors[order])
        back = np.empty_like(shuffled)
        back[order] = shuffled
        assert back.tolist() == labels.tolist()


def test_the_order_is_canonical_for_the_same_rows():
    vectors, _ = blobs(3, 5)
    order = np.random.default_rng(0).permutation(len(vectors))

    assert vectors[canonical_order(vectors)].tobytes() == vectors[order][canonical_order(vectors[order])].tobytes()


def test_a_young_products_few_dozen_items_still_split_into_their_problems():
    vectors, gold = blobs(3, 8, spread=0.25)

    _, labels, _ = themes_cluster(vectors)

    assert UNSORTED not in labels.tolist()
    assert same_partition(labels, gold)


def test_each_problem_of_twenty_items_is_its_own_theme_among_thirty():
    vectors, gold = blobs(30, 20, spread=0.35)

    _, labels, _ = themes_cluster(vectors)

    assert same_partition(labels, gold)


@pytest.mark.parametrize(("count", "expected"), [(FIT_SAMPLE, 1.0), (10 * FIT_SAMPLE, 1.0), (600, 1.55), (1_500, 1.35)])
def test_the_resolution_is_one_at_the_largest_fit_and_grows_as_the_data_thins(count, expected):
    assert resolution(count) == pytest.approx(expected, abs=0.01)


def model_of_two_themes() -> ThemeModel:
    """Two themes along two axes of a 4-dimensional space, centred at the origin."""
    return ThemeModel(
        mean=np.zeros(4, dtype=np.float32),
        prototypes=np.eye(4, dtype=np.float32)[:2],
        prototype_themes=np.array([0, 1]),
        threshold=0.5,
    )


def test_a_text_blending_two_themes_is_better_apart():
    whole = np.array([0.7, 0.7, 0.1, 0.0], dtype=np.float32)  # halfway between both themes
    parts = np.array([[0.95, 0.1, 0.1, 0.0], [0.1, 0.95, 0.1, 0.0]], dtype=np.float32)
    assert model_of_two_themes().better_apart(whole, parts)


def test_parts_of_one_theme_or_an_aside_stay_together():
    model = model_of_two_themes()
    whole = np.array([0.95, 0.1, 0.1, 0.0], dtype=np.float32)
    same_theme = np.array([[0.9, 0.2, 0.1, 0.0], [0.8, 0.3, 0.1, 0.0]], dtype=np.float32)
    aside = np.array([[0.95, 0.1, 0.1, 0.0], [0.1, 0.1, 0.1, 0.95]], dtype=np.float32)  # fits no theme
    assert not model.better_apart(whole, same_theme)
    assert not model.better_apart(whole, aside)
