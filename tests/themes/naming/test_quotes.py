"""Quotes: central and varied, from the theme's core, never from a member nearer another theme."""


import numpy as np

from tests.themes.naming import (
    unit_rows,
)
from voc.themes.naming.quotes import core_quote_indices, representative_indices


def test_representatives_are_central_and_not_near_duplicates():
    # 1 is a near-copy of 0 and closer to the centre than 3; the outlier 4 is far from the centre.
    vectors = unit_rows([[1, 0.2, 0], [1, 0.21, 0], [1, -0.2, 0], [1, 0, 0.3], [0, 0, 1]])
    centroid = np.array([1.0, 0.0, 0.0])

    assert representative_indices(vectors, centroid, count=3, diversity=0.0) == [0, 2, 1]
    assert representative_indices(vectors, centroid, count=3) == [0, 2, 3]


def test_with_no_diversity_the_representatives_are_simply_the_closest():
    vectors = unit_rows([[1, 0.05, 0], [1, 0.06, 0], [1, 0, 0.4], [0, 0, 1]])
    centroid = np.array([1.0, 0.0, 0.0])

    assert representative_indices(vectors, centroid, count=3, diversity=0.0) == [0, 1, 2]


def test_representatives_handle_fewer_vectors_than_asked_for():
    vectors = unit_rows([[1, 0], [0, 1]])

    assert sorted(representative_indices(vectors, vectors.mean(axis=0), count=3)) == [0, 1]
    assert representative_indices(vectors[:0], np.zeros(2), count=3) == []
    assert representative_indices(vectors, vectors.mean(axis=0), count=0) == []


def test_quotes_come_from_the_core_and_never_from_an_item_nearer_another_theme():
    # Theme 0: four members round axis 0 and one (row 4) that leans so far towards axis 1 that it is nearer
    # theme 1's centre. Theme 1: three members round axis 1.
    vectors = unit_rows([[1, 0.05, 0], [1, -0.05, 0.02], [1, 0, -0.05], [1, 0.02, 0.05], [0.45, 1, 0],
                     [0, 1, 0.05], [0.05, 1, 0], [0, 1, -0.05]])
    centres = unit_rows([vectors[:5].mean(axis=0), vectors[5:].mean(axis=0)])

    quotes = core_quote_indices(vectors[:5], centres, own=0)

    assert len(quotes) == 3
    assert 4 not in quotes
    assert core_quote_indices(vectors[4:5], centres, own=0) == []  # better no quote than a wrong one
