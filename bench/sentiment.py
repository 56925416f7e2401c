"""How well does voc read sentiment? Accuracy and macro-F1 for voc and for VADER on the same texts.

    python -m bench.sentiment [--csv PATH --text-col text --label-col label] [--json OUT]

By default, on each file of the shared Sentiment Labelled Sentences (Amazon, IMDB, Yelp: two classes). Those
sentences train voc's classifier, so voc is measured by 5-fold cross-validation: the 3,000 sentences are cut into
five folds (stratified by file and label, seed 0), and each fold is read by weights fitted with the shipped recipe
(bench/sentiment_train.py) on everything but that fold. No sentence is scored by weights that saw it.

With --csv, on a file labelled negative, neutral or positive, read with the shipped weights
(bench/data/sentiment_social_written.csv: 118 complaint, question and praise posts about companies, written for
this project and never trained on).

Each text is read as processing reads an item: cut into units (voc.feedback.units), each unit embedded and
classified, the item's sentiment from its units (voc.feedback.sentiment.item_reading). VADER (vaderSentiment) reads
the whole text: its compound score, neutral between -0.05 and 0.05 (its authors' thresholds).

Scoring. On three-class data, a method's label against the gold label, macro-F1 over the three classes. On two-class
data (no neutral gold label), each method is reduced to the sign of its score (voc: p(positive) - p(negative),
VADER: compound), the same rule for both: above 0 positive, below 0 negative, exactly 0 neutral, which is wrong
against either gold label; macro-F1 over negative and positive.

--json OUT writes {"voc": {"accuracy", "macro_f1"}, "vader": {...}, "texts": N} for the data measured (by default the
three files pooled), the same figures under the flat keys "voc.accuracy", "voc.macro_f1", "vader.accuracy" and
"vader.macro_f1", and by default each file's under "files": {"amazon": {"voc": ..., "vader": ..., "texts": N}, ...}.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from bench import django_setup, print_table

FOLDS = 5
SEED = 0
LABELS = ("negative", "neutral", "positive")
VADER_NEUTRAL = 0.05


def scores(gold: list[str], predicted: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1; over negative and positive only where the gold labels have no neutral."""
    from sklearn.metrics import f1_score

    classes = list(LABELS) if "neutral" in gold else ["negative", "positive"]
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    macro_f1 = f1_score(gold, predicted, labels=classes, average="macro", zero_division=0)
    return {"accuracy": round(float(accuracy), 4), "macro_f1": round(float(macro_f1), 4)}


def sign_label(score: float) -> str:
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"


def vader_label(compound: float) -> str:
    return "positive" if compound >= VADER_NEUTRAL else "negative" if compound <= -VADER_NEUTRAL else "neutral"


def vader_compounds(texts: list[str]) -> list[float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return [analyzer.polarity_scores(text)["compound"] for text in texts]


class UnitVectors:
    """Each text cut into units as processing cuts it, every unit embedded once, whichever weights read them."""

    def __init__(self, texts: list[str]):
        from bench.sentiment_train import vectors_embed
        from voc.feedback.units import text_units
        from voc.themes.embedding import unit_embedding_texts

        self.texts = texts
        unit_texts = [unit_embedding_texts([span.text for span in text_units(text)], "") for text in texts]
        self.bounds = np.cumsum([0] + [len(units) for units in unit_texts])
        flat = [unit for units in unit_texts for unit in units]
        self.vectors = vectors_embed(flat) if flat else np.zeros((0, 384), dtype=np.float32)

    def readings(self, model, rows) -> list:
        """voc's reading of each text in rows, by `model` (a voc.feedback.sentiment.SentimentModel)."""
        from voc.feedback.sentiment import item_reading

        probabilities = model.probabilities(self.vectors) if len(self.vectors) else self.vectors
        return [
            item_reading(
                unit_probabilities=probabilities[self.bounds[row] : self.bounds[row + 1]], text=self.texts[row]
            )
            for row in rows
        ]


def shared_files_run() -> tuple[dict, list[list]]:
    """The three shared files, voc by 5-fold cross-validation; (JSON result, table rows)."""
    from sklearn.model_selection import StratifiedKFold

    from bench.sentiment_train import SENTENCE_FILES, classifier_fit, sentences_read, training_set
    from voc.feedback.sentiment import SentimentModel, sentiment_model

    vectors, labels, rows = training_set()
    texts, files = [], []
    for name in SENTENCE_FILES:
        file_texts, _ = sentences_read(name)
        texts += file_texts
        files += [name] * len(file_texts)
    sentences = len(texts)
    gold = labels[:sentences]
    neutral = np.arange(rows["neutral"].start, rows["neutral"].stop)
    print(f"Cutting and embedding {sentences:,} sentences as processing does…", file=sys.stderr)
    units = UnitVectors(texts)
    encoder = sentiment_model().encoder
    voc_scores = np.zeros(sentences)
    strata = [f"{name}-{label}" for name, label in zip(files, gold, strict=True)]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fold, (train, held_out) in enumerate(folds.split(np.zeros(sentences), strata), start=1):
        print(f"Fold {fold}/{FOLDS}: fitting on {len(train) + len(neutral):,} texts", file=sys.stderr)
        keep = np.concatenate([train, neutral])
        weights, bias = classifier_fit(vectors[keep], [labels[row] for row in keep])
        model = SentimentModel(weights=weights, bias=bias, encoder=encoder)
        voc_scores[held_out] = [reading.score for reading in units.readings(model, held_out)]
    vader = vader_compounds(texts)
    voc_labels = [sign_label(score) for score in voc_scores]
    vader_labels = [sign_label(compound) for compound in vader]

    def measured(picked: list[int]) -> dict:
        picked_gold = [gold[row] for row in picked]
        return {
            "voc": scores(picked_gold, [voc_labels[row] for row in picked]),
            "vader": scores(picked_gold, [vader_labels[row] for row in picked]),
            "texts": len(picked),
        }

    result = {"files": {}}
    table = []
    for name in SENTENCE_FILES:
        result["files"][name] = measured([row for row in range(sentences) if files[row] == name])
        table += _table_rows(f"{name} (5-fold CV)", result["files"][name])
    result.update(measured(list(range(sentences))))
    table += _table_rows("all three (5-fold CV)", result)
    return result, table


def csv_run(path: Path, text_col: str, label_col: str) -> tuple[dict, list[list]]:
    """A labelled CSV read with the shipped weights; (JSON result, table rows)."""
    from voc.feedback.sentiment import sentiment_model

    texts, gold = csv_read(path, text_col, label_col)
    units = UnitVectors(texts)
    readings = units.readings(sentiment_model(), range(len(texts)))
    vader = vader_compounds(texts)
    if "neutral" in gold:
        voc_labels = [reading.label for reading in readings]
        vader_labels = [vader_label(compound) for compound in vader]
    else:
        voc_labels = [sign_label(reading.score) for reading in readings]
        vader_labels = [sign_label(compound) for compound in vader]
    result = {"voc": scores(gold, voc_labels), "vader": scores(gold, vader_labels), "texts": len(texts)}
    return result, _table_rows(path.name, result)


def csv_read(path: Path, text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of a CSV whose labels are negative, neutral or positive (any case)."""
    if not path.is_file():
        raise SystemExit(f"No such file: {path}")
    texts, gold = [], []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        absent = {text_col, label_col} - set(reader.fieldnames or [])
        if absent:
            raise SystemExit(f"{path} has no column {', '.join(sorted(absent))}; columns: {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            label = (row[label_col] or "").strip().lower()
            if label not in LABELS:
                raise SystemExit(f"{path}, line {line}: label {row[label_col]!r}; use negative, neutral or positive")
            if (row[text_col] or "").strip():
                texts.append(row[text_col])
                gold.append(label)
    if not texts:
        raise SystemExit(f"{path} has no labelled text")
    return texts, gold


def _table_rows(name: str, result: dict) -> list[list]:
    return [
        [name, method, result["texts"], f"{result[method]['accuracy']:.3f}", f"{result[method]['macro_f1']:.3f}"]
        for method in ("voc", "vader")
    ]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, help="a CSV labelled negative/neutral/positive (default: shared files)")
    parser.add_argument("--text-col", default="text", help="the CSV's text column (default text)")
    parser.add_argument("--label-col", default="label", help="the CSV's label column (default label)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    django_setup()
    result, table = csv_run(args.csv, args.text_col, args.label_col) if args.csv else shared_files_run()
    for method in ("voc", "vader"):
        for measure in ("accuracy", "macro_f1"):
            result[f"{method}.{measure}"] = result[method][measure]
    print_table(["Data set", "Method", "Texts", "Accuracy", "Macro-F1"], table)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
