"""Keywords: the terms that set a theme apart from the others, by class-based TF-IDF (BERTopic's c-TF-IDF)."""

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from voc.themes.naming.phrases import clause_words, common_words, grams, stem

# Below this many texts a term seen once may still be the best we have; above it, one-offs are mostly typos.
_MIN_DF_FROM_TEXTS = 20


def theme_keywords(
    texts_by_theme: dict[int, list[str]], *, top_n: int = 8, common: frozenset[str] | None = None
) -> dict[int, list[str]]:
    """Up to top_n distinctive 1-2 word keywords per theme, best first, by c-TF-IDF over all themes together.

    Terms are read as names are (see phrase_candidates): within a clause, negations kept ("card not working"), an
    occurrence right after a negation not counted for the un-negated term, no @handles, links, #tags, numbers or
    the corpus's common words (common_words of these texts unless given)."""
    theme_ids = list(texts_by_theme)
    keywords: dict[int, list[str]] = {theme_id: [] for theme_id in theme_ids}
    all_texts = [text or "" for theme_id in theme_ids for text in texts_by_theme[theme_id]]
    if not all_texts or top_n <= 0:
        return keywords

    if common is None:
        common = common_words(texts_by_theme)
    vectorizer, counts_per_text = _fit_counts(all_texts, common=common)
    if vectorizer is None:
        return keywords
    vocabulary = vectorizer.get_feature_names_out()

    # Sum the per-text counts into one row per theme (BERTopic joins each class's documents into one).
    class_counts = np.zeros((len(theme_ids), len(vocabulary)), dtype=np.float64)
    start = 0
    for row, theme_id in enumerate(theme_ids):
        end = start + len(texts_by_theme[theme_id])
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


def _fit_counts(texts: list[str], *, common: frozenset[str]):
    def terms(text: str) -> list[str]:
        return [" ".join(gram) for words in clause_words(text) for gram in grams(words, range(1, 3), common)]

    min_df = 2 if len(texts) >= _MIN_DF_FROM_TEXTS else 1
    for attempt_min_df in dict.fromkeys((min_df, 1)):
        vectorizer = CountVectorizer(analyzer=terms, min_df=attempt_min_df)
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


def _without_redundancy(ranked_terms: list[str], *, top_n: int) -> list[str]:
    """Keep the best terms, dropping one whose words a kept term already says ("card" after "new card"); a longer
    term takes the place of the kept shorter ones it contains ("card not working" replaces "not working")."""
    kept: list[str] = []
    kept_stems: list[frozenset[str]] = []
    for term in ranked_terms:
        words = term.split()
        stems = frozenset(stem(word) for word in words)
        if len(stems) < len(words) or any(stems <= other for other in kept_stems):
            continue
        contained = [index for index, other in enumerate(kept_stems) if other < stems]
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
