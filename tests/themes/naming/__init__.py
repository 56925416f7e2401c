"""Texts and helpers the naming tests share."""

import numpy as np

from voc.themes.naming import themes_describe_rows

CARD_TEXTS = [
    "My new card has not arrived yet",
    "When will my new card arrive?",
    "Still waiting for the new card to arrive",
    "Ordered a new card two weeks ago, where is it?",
]


FEE_TEXTS = [
    "Why are the exchange rate fees so high?",
    "The exchange rate fees are too much",
    "You charged an exchange rate fee on my purchase",
]


REFUND_TEXTS = [
    "I want a refund for my order",
    "The refund for my order never came",
    "How long does a refund take?",
]


def unit_rows(rows) -> np.ndarray:
    vectors = np.asarray(rows, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# --- Names customers wrote, judged by the embedding model ---------------------------------------------------------

NOT_WORKING_TEXTS = [
    "My card is not working at all",
    "Why isn't my card working?",
    "card not working in shops since Monday",
    "The card is still not working after the reset",
]


def encode(texts: list[str]) -> np.ndarray:
    from voc.themes.embedding import encoder_get

    return encoder_get().encode(texts)


def describe_themes(themes: dict[int, list[str]]):
    texts = [text for group in themes.values() for text in group]
    rows, start = {}, 0
    for theme, group in themes.items():
        rows[theme] = np.arange(start, start + len(group))
        start += len(group)
    return themes_describe_rows(
        rows_by_theme=rows, vectors=encode(texts), texts_of=lambda wanted: {row: texts[row] for row in wanted},
        encode=encode,
    )
