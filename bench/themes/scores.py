"""How a method's themes are scored against the gold labels: clustering scores, purities, names, order stability.

Imported by the stages too, so it imports nothing heavier than numpy at the top; scikit-learn, scipy and voc's
naming are imported inside the functions that use them.
"""

from collections import Counter
from collections.abc import Callable

import numpy as np

# Items no theme took: voc's clustering.UNSORTED and BERTopic's outlier topic alike (a test holds them equal).
# Named here rather than imported so that a stage does not import scipy, with voc's clustering, for a constant.
UNSORTED = -1
EXAMPLE_NAMES = 10
# The process each method's clustering runs in, as named in stage_peak_mb: voc's also names its themes.
CLUSTER_STAGE = {"voc": "cluster_and_name", "bertopic": "cluster", "kmeans_k_given": "cluster"}


def scores(gold: list[str], labels: list[int]) -> dict:
    """NMI, ARI, Hungarian-matched accuracy (unsorted, -1, counts as one more label), themes and unsorted share."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from sklearn.metrics.cluster import contingency_matrix

    contingency = contingency_matrix(gold, labels)
    rows, columns = linear_sum_assignment(-contingency)
    return {
        "nmi": float(normalized_mutual_info_score(gold, labels)),
        "ari": float(adjusted_rand_score(gold, labels)),
        "acc": float(contingency[rows, columns].sum() / len(gold)),
        "themes": len(set(labels) - {UNSORTED}),
        "unsorted_pct": 100 * labels.count(UNSORTED) / len(labels),
    }


def _label_counts(gold: list[str], labels: list[int]) -> dict[int, Counter]:
    """Each theme's gold labels, counted; unsorted items belong to no theme."""
    counts: dict[int, Counter] = {}
    for label, theme in zip(gold, labels, strict=True):
        if theme != UNSORTED:
            counts.setdefault(theme, Counter())[label] += 1
    return counts


def majority_labels(gold: list[str], labels: list[int]) -> dict[int, str]:
    """Each theme's most common gold label (on a tie, the one met first)."""
    return {theme: counts.most_common(1)[0][0] for theme, counts in _label_counts(gold, labels).items()}


def theme_purity(gold: list[str], labels: list[int]) -> float | None:
    """Mean over themes of the share of a theme's members that carry its majority label; None with no themes."""
    shares = [counts.most_common(1)[0][1] / counts.total() for counts in _label_counts(gold, labels).values()]
    return float(np.mean(shares)) if shares else None


def quote_purity(gold: list[str], labels: list[int], quote_rows: dict[int, list[int]]) -> float | None:
    """Share of all quotes, over all themes, whose gold label is their theme's majority label; None with no quotes."""
    majority = majority_labels(gold, labels)
    quotes = [(theme, row) for theme, rows in quote_rows.items() for row in rows]
    if not quotes:
        return None
    return sum(gold[row] == majority[theme] for theme, row in quotes) / len(quotes)


def quote_rows_of_texts(texts: list[str], labels: list[int], quotes_by_topic: dict[int, list[str]]) -> dict:
    """BERTopic quotes by text (its representative documents) as rows: for a text that occurs more than once, the
    first row with that text in that topic. Outliers (-1) have no quotes."""
    first_row: dict[tuple[int, str], int] = {}
    for row, (topic, text) in enumerate(zip(labels, texts, strict=True)):
        first_row.setdefault((topic, text), row)
    return {
        int(topic): [first_row[(topic, text)] for text in quotes]
        for topic, quotes in quotes_by_topic.items()
        if topic != UNSORTED
    }


def name_label_cosine(
    names: dict[int, str], majority: dict[int, str], *, encode: Callable[[list[str]], np.ndarray]
) -> float | None:
    """Mean over themes of the cosine between the embeddings of a theme's name and of its majority label's text."""
    themes = [theme for theme in names if theme in majority]
    if not themes:
        return None
    name_vectors = _unit_rows(encode([names[theme] for theme in themes]))
    label_vectors = _unit_rows(encode([majority[theme].replace("_", " ").strip() for theme in themes]))
    return float(np.mean(np.sum(name_vectors * label_vectors, axis=1)))


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def example_names(names: dict[int, str], majority: dict[int, str], *, count: int = EXAMPLE_NAMES) -> dict[str, str]:
    """Up to `count` names keyed by their theme's majority label, one theme per label, in theme order."""
    examples: dict[str, str] = {}
    for theme in sorted(names):
        if len(examples) == count:
            break
        examples.setdefault(majority[theme], names[theme])
    return examples


def labels_unshuffled(shuffled_labels: list[int], order: np.ndarray) -> list[int]:
    """Labels of a run on rows taken in `order` (its row i is row order[i]), put back on the original rows."""
    labels = np.empty(len(order), dtype=np.int64)
    labels[order] = shuffled_labels
    return labels.tolist()


def order_stability(first: dict, second: dict) -> dict:
    """How much two voc runs on the same texts in different orders agree: ARI of their themes, and the share of
    the first run's names that the second also produced."""
    from sklearn.metrics import adjusted_rand_score

    produced = set(second["names"].values())
    names = list(first["names"].values())
    return {
        "order_ari": float(adjusted_rand_score(first["labels"], second["labels"])),
        "order_same_names": sum(name in produced for name in names) / len(names) if names else None,
    }


def methods_judge(gold: list[str], outputs: dict[str, dict], *, encode: Callable[[list[str]], np.ndarray]) -> dict:
    """Each method's scores and purities from its clustering stage's output; voc's names judged with `encode`."""
    from voc.themes.naming.names import name_quality

    results: dict = {}
    for method, output in outputs.items():
        if "error" in output:
            results[method] = output
            continue
        labels = output["labels"]
        results[method] = {
            **scores(gold, labels),
            "theme_purity": theme_purity(gold, labels),
            "quote_purity": quote_purity(gold, labels, output["quote_rows"]) if "quote_rows" in output else None,
            "cluster_s": output["cluster_s"],
            "stage_peak_mb": {CLUSTER_STAGE[method]: output["peak_mb"]},
        }
    voc = outputs["voc"]
    majority = majority_labels(gold, voc["labels"])
    results["voc"].update(
        name_s=voc["name_s"],
        name_quality=name_quality(voc["names"], majority, sorted(set(gold)), encode=encode),
        name_label_cosine=name_label_cosine(voc["names"], majority, encode=encode),
        example_names=example_names(voc["names"], majority),
    )
    return results
