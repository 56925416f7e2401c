"""Describe a theme: keywords (class-based TF-IDF), a short readable name and a few representative quotes.

Pure functions over lists of texts and numpy arrays, so the clustering service and the benchmark share them and
neither needs the database here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from voc.themes.preprocess import pii_redact

# sklearn's list is built for prose; these words carry meaning in customer feedback ("top up", "bill",
# "change my name", "interest rate"), so they stay in the vocabulary.
_MEANINGFUL_WORDS = frozenset({"top", "bill", "amount", "name", "call", "system", "interest", "detail", "empty"})
# Support-speak and the stumps the tokenizer leaves of contractions ("didn't" -> "didn") say nothing about a theme.
_FILLER_WORDS = frozenset(
    {
        "did",
        "does",
        "didn",
        "doesn",
        "don",
        "isn",
        "wasn",
        "weren",
        "hasn",
        "haven",
        "hadn",
        "aren",
        "won",
        "wouldn",
        "couldn",
        "shouldn",
        "ve",
        "ll",
        "just",
        "like",
        "want",
        "need",
        "help",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
    }
)
STOP_WORDS = sorted((ENGLISH_STOP_WORDS - _MEANINGFUL_WORDS) | _FILLER_WORDS)
# Two or more word characters with at least one letter: order numbers and amounts are not keywords.
_TOKEN_PATTERN = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"
# Below this many texts a term seen once may still be the best we have; above it, one-offs are mostly typos.
_MIN_DF_FROM_TEXTS = 20
_PLACEHOLDER = re.compile(r"\[(?:email|phone|card|iban)\]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# "activate card" reads well when customers wrote "activate my card"; "card arrived" from "card has not arrived"
# does not.
_ONE_STOP_WORD_GAP = " (?:(?:" + "|".join(map(re.escape, sorted(ENGLISH_STOP_WORDS))) + ") )?"

NAME_MAX_WORDS = 6
NAME_MAX_CHARS = 60
UNNAMED = "Unnamed theme"
# Keywords and names come from at most this many members per theme, the ones nearest its centre: enough for
# c-TF-IDF, bounded so naming stays linear in the number of themes.
NAMING_SAMPLE = 300


def theme_keywords(texts_by_theme: dict[int, list[str]], *, top_n: int = 8) -> dict[int, list[str]]:
    """Up to top_n distinctive 1-2 word keywords per theme, best first, by c-TF-IDF over all themes together."""
    theme_ids = list(texts_by_theme)
    keywords: dict[int, list[str]] = {theme_id: [] for theme_id in theme_ids}
    cleaned = {theme_id: [_clean_for_keywords(text) for text in texts_by_theme[theme_id]] for theme_id in theme_ids}
    all_texts = [text for theme_id in theme_ids for text in cleaned[theme_id]]
    if not all_texts or top_n <= 0:
        return keywords

    vectorizer, counts_per_text = _fit_counts(all_texts)
    if vectorizer is None:
        return keywords
    vocabulary = vectorizer.get_feature_names_out()

    # Sum the per-text counts into one row per theme (BERTopic joins each class's documents into one).
    class_counts = np.zeros((len(theme_ids), len(vocabulary)), dtype=np.float64)
    start = 0
    for row, theme_id in enumerate(theme_ids):
        end = start + len(cleaned[theme_id])
        class_counts[row] = np.asarray(counts_per_text[start:end].sum(axis=0)).ravel()
        start = end

    scores = _c_tf_idf(class_counts)
    for row, theme_id in enumerate(theme_ids):
        present = np.flatnonzero(class_counts[row])
        # Best score first; ties go to the more frequent term, then alphabetical, so results are deterministic.
        ranked = sorted(
            present, key=lambda column: (-scores[row, column], -class_counts[row, column], vocabulary[column])
        )
        keywords[theme_id] = _without_redundancy([str(vocabulary[column]) for column in ranked], top_n=top_n)
    return keywords


def _clean_for_keywords(text: str) -> str:
    # The placeholders are dropped too: "[email]" would otherwise become the keyword "email".
    return _PLACEHOLDER.sub(" ", pii_redact(text or ""))


def _fit_counts(texts: list[str]):
    min_df = 2 if len(texts) >= _MIN_DF_FROM_TEXTS else 1
    for attempt_min_df in dict.fromkeys((min_df, 1)):
        vectorizer = CountVectorizer(
            ngram_range=(1, 2),
            stop_words=STOP_WORDS,
            min_df=attempt_min_df,
            lowercase=True,
            token_pattern=_TOKEN_PATTERN,
        )
        try:
            return vectorizer, vectorizer.fit_transform(texts)
        except ValueError:  # empty vocabulary: only stop words, numbers or nothing at all
            continue
    return None, None


def _c_tf_idf(class_counts: np.ndarray) -> np.ndarray:
    """BERTopic's c-TF-IDF: tf per class normalised by class size, times log(1 + avg words per class / term freq)."""
    class_sizes = class_counts.sum(axis=1, keepdims=True)
    term_frequency = np.divide(class_counts, class_sizes, out=np.zeros_like(class_counts), where=class_sizes > 0)
    average_words_per_class = class_counts.sum() / len(class_counts)
    frequency_across_classes = class_counts.sum(axis=0)
    idf = np.log1p(average_words_per_class / np.maximum(frequency_across_classes, 1.0))
    return term_frequency * idf


def _stem(word: str) -> str:
    """A crude suffix fold so "card"/"cards" and "arrive"/"arrived" count as the same word when de-duplicating."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _without_redundancy(ranked_terms: list[str], *, top_n: int) -> list[str]:
    """Keep the best terms, dropping words already said by a kept bigram; a bigram replaces a kept word it contains."""
    kept: list[str] = []
    kept_stems: list[tuple[str, ...]] = []
    for term in ranked_terms:
        stems = tuple(_stem(word) for word in term.split())
        if len(stems) == 1:
            covered = any(stems[0] in other for other in kept_stems)
        else:
            covered = len(set(stems)) == 1 or any(len(other) == 2 and set(other) == set(stems) for other in kept_stems)
        if covered:
            continue
        if len(stems) == 2:
            # "card" then "card arrive": the bigram takes the word's place and the word's slot opens up.
            contained = [index for index, other in enumerate(kept_stems) if len(other) == 1 and other[0] in stems]
            if contained:
                first, *rest = contained
                kept[first], kept_stems[first] = term, stems
                for index in reversed(rest):
                    del kept[index], kept_stems[index]
                continue
        kept.append(term)
        kept_stems.append(stems)
        if len(kept) == top_n:
            break
    return kept


def theme_name(keywords: list[str], texts: list[str], vectors: np.ndarray | None = None) -> str:
    """A short readable name (2-6 words, sentence case, at most 60 characters) from a theme's keywords.

    A phrase "reads well" when customers wrote it word for word (ignoring case and punctuation, allowing one stop
    word inside a keyword: "activate my card") in at least two of the theme's texts (one, for a one-text theme).
    Stop-word removal makes bigrams such as "balance update" out of "balance did not update"; only the ones people
    actually write make good names. The rule, in order:
    1. The top two keywords as one phrase, either way round, if it is at most three words and reads well
       ("exchange rate" + "fees" -> "Exchange rate fees").
    2. The first bigram among the top three keywords that reads well ("card arrival").
    3. The top two keywords joined, when the top one is a single word ("card arrive"); else the top keyword.
    4. With no keywords, the first words of the most central text (by vectors when given, else the first text).
    Deterministic: the same keywords and texts always give the same name.
    """
    keywords = [keyword.strip().lower() for keyword in keywords if keyword and keyword.strip()]
    if not keywords:
        return _sentence_case(_name_from_text(texts, vectors))
    spoken = [f" {' '.join(_words(text))} " for text in texts]
    needed = min(2, len(spoken))

    def reads_well(*keywords_in_order: str) -> bool:
        # The stop-word gap is allowed inside a keyword, not between two: "new card to arrive" is no name.
        inner = [_ONE_STOP_WORD_GAP.join(map(re.escape, keyword.split())) for keyword in keywords_in_order]
        pattern = re.compile(f" {' '.join(inner)} ")
        return sum(bool(pattern.search(text)) for text in spoken) >= needed

    first = keywords[0]
    second = keywords[1] if len(keywords) > 1 and not _overlaps(first, keywords[1]) else None
    if second and len(f"{first} {second}".split()) <= 3:
        for pair in ((first, second), (second, first)):
            if reads_well(*pair):
                return _sentence_case(" ".join(pair))
    for keyword in keywords[:3]:
        if len(keyword.split()) == 2 and reads_well(keyword):
            return _sentence_case(keyword)
    if second and len(first.split()) == 1:
        return _sentence_case(f"{first} {second}")
    return _sentence_case(first)


def _words(text: str) -> list[str]:
    return [word.lower().replace("’", "'") for word in _WORD.findall(_clean_for_keywords(text))]


def _overlaps(one: str, other: str) -> bool:
    return bool({_stem(word) for word in one.split()} & {_stem(word) for word in other.split()})


def _name_from_text(texts: list[str], vectors: np.ndarray | None) -> str:
    if not texts:
        return UNNAMED
    index = 0
    if vectors is not None and len(vectors) == len(texts):
        centroid = np.asarray(vectors, dtype=np.float64).mean(axis=0)
        index = representative_indices(vectors, centroid, count=1)[0]
    words = _WORD.findall(_clean_for_keywords(texts[index]))
    return " ".join(words[:NAME_MAX_WORDS]) or UNNAMED


def _sentence_case(phrase: str) -> str:
    words = phrase.split()[:NAME_MAX_WORDS]
    name = " ".join(words)
    while len(name) > NAME_MAX_CHARS and len(words) > 1:
        words = words[:-1]
        name = " ".join(words)
    name = name[:NAME_MAX_CHARS]
    return name[:1].upper() + name[1:] if name else UNNAMED


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


def name_quality(
    theme_names: dict[int, str],
    majority_label: dict[int, str],
    label_names: list[str],
    *,
    encode: Callable[[list[str]], np.ndarray],
) -> float:
    """Share of labelled themes whose name is nearer, by embedding, to their majority label's name than to any other."""
    theme_ids = [theme_id for theme_id in theme_names if theme_id in majority_label]
    labels = list(dict.fromkeys(label_names))
    if not theme_ids or not labels:
        return 0.0
    label_vectors = np.asarray(encode([label.replace("_", " ").strip() for label in labels]), dtype=np.float64)
    name_vectors = np.asarray(encode([theme_names[theme_id] for theme_id in theme_ids]), dtype=np.float64)
    nearest = np.argmax(name_vectors @ label_vectors.T, axis=1)
    hits = sum(labels[index] == majority_label[theme_id] for index, theme_id in zip(nearest, theme_ids, strict=True))
    return hits / len(theme_ids)


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
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> dict[int, ThemeDescription]:
    """Describe every theme at once (names are unique across them): rows_by_theme maps a theme to its member rows of
    `vectors`; texts_of returns the texts of the rows it is given (only the rows naming reads are asked for)."""
    centroids = {theme: _unit(vectors[rows].mean(axis=0)) for theme, rows in rows_by_theme.items()}
    nearest = {
        theme: rows[np.argsort(-(vectors[rows] @ centroids[theme]), kind="stable")[:NAMING_SAMPLE]]
        for theme, rows in rows_by_theme.items()
    }
    texts = texts_of(sorted({int(row) for rows in nearest.values() for row in rows}))
    texts_by_theme = {theme: [texts[int(row)] for row in rows] for theme, rows in nearest.items()}
    keywords = theme_keywords(texts_by_theme)
    described = {}
    for theme, rows in nearest.items():
        quotes = representative_indices(vectors[rows], centroids[theme], count=3)
        described[theme] = ThemeDescription(
            keywords=keywords.get(theme, []),
            name=theme_name(keywords.get(theme, []), texts_by_theme[theme], vectors[rows]),
            quote_rows=[int(rows[index]) for index in quotes],
        )
    return described


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)
