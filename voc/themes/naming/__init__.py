"""Describe a theme: keywords (class-based TF-IDF), a name a person would write and a few representative quotes.

Pure functions over lists of texts and numpy arrays, so the clustering service and the benchmark share them and
neither needs the database here. themes_describe_rows is the one call both use; phrases.py says how texts are read,
keywords.py, names.py and quotes.py what each part of a description is and why.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voc.themes.clustering import unit
from voc.themes.naming.keywords import theme_keywords
from voc.themes.naming.names import themes_name
from voc.themes.naming.phrases import common_words
from voc.themes.naming.quotes import core_quote_indices

# Keywords and names come from at most this many members per theme, the ones nearest its centre: enough for
# c-TF-IDF, bounded so naming stays linear in the number of themes.
NAMING_SAMPLE = 300


@dataclass(frozen=True)
class ThemeDescription:
    """What a theme shows a person: keywords, a name, and its quotes as row indices into the described vectors."""

    keywords: list[str]
    name: str
    quote_rows: list[int]


def themes_describe_rows(
    *,
    rows_by_theme: dict[int, np.ndarray],
    vectors: np.ndarray,
    texts_of: Callable[[list[int]], dict[int, str]],
    encode: Callable[[list[str]], np.ndarray],
    taken_names: frozenset[str] = frozenset(),
) -> dict[int, ThemeDescription]:
    """Describe every theme at once (names are unique across them and unlike any of taken_names): rows_by_theme
    maps a theme to its member rows of `vectors`; texts_of returns the texts of the rows it is given (only the rows
    naming reads are asked for)."""
    themes = [theme for theme, rows in rows_by_theme.items() if len(rows)]
    if not themes:
        return {}
    vectors = np.asarray(vectors, dtype=np.float32)
    mean = vectors[np.concatenate([rows_by_theme[theme] for theme in themes])].mean(axis=0)
    centres = np.stack([unit(unit(vectors[rows_by_theme[theme]] - mean).mean(axis=0)) for theme in themes])
    nearest = {}
    for index, theme in enumerate(themes):
        rows = np.asarray(rows_by_theme[theme])
        closeness = unit(vectors[rows] - mean) @ centres[index]
        nearest[theme] = rows[np.argsort(-closeness, kind="stable")[:NAMING_SAMPLE]]
    texts = texts_of(sorted({int(row) for rows in nearest.values() for row in rows}))
    texts_by_theme = {theme: [texts[int(row)] for row in nearest[theme]] for theme in themes}

    # Words in most of the feedback (the company's name) are read once and kept out of keywords and names alike.
    common = common_words(texts_by_theme)
    keywords = theme_keywords(texts_by_theme, common=common)
    names = themes_name(
        texts_by_theme=texts_by_theme, centres=centres, mean=mean, keywords=keywords, common=common, encode=encode,
        taken_names=taken_names,
    )
    described = {}
    for index, theme in enumerate(themes):
        rows = nearest[theme]
        quotes = core_quote_indices(unit(vectors[rows] - mean), centres, own=index)
        described[theme] = ThemeDescription(
            keywords=keywords.get(theme, []), name=names[theme], quote_rows=[int(rows[i]) for i in quotes]
        )
    return described

