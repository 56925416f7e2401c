"""Fit the sentiment weights that voc ships (voc/feedback/data/sentiment.npz) from the shared data sets.

    python -m bench.sentiment_train [--out PATH] [--check]

The recipe (why each choice: voc/feedback/sentiment.py):
- negative and positive: the 3,000 Sentiment Labelled Sentences (Amazon, IMDB, Yelp; Kotzias et al. 2015, UCI,
  CC BY 4.0), 0 as negative and 1 as positive;
- neutral: the BANKING77 training texts (Casanueva et al. 2020, CC BY 4.0) whose intent asks how something works or
  asks for something (HOW_TO_INTENTS), not the ones reporting that something went wrong;
- each text embedded as processing embeds a unit (cleaned by text_for_embedding, voc's encoder), so the weights read
  the vectors the pipeline stores;
- a multinomial logistic regression (scikit-learn, lbfgs, C=1), its weights and bias saved as float32.

The fit is deterministic: the same vectors give the same weights. --check fits again and prints the largest
difference from the shipped file (0 on the machine that fitted it; the int8 encoder may differ in the last bits of a
vector on another CPU, which moves a weight by far less than it moves a reading).
"""

import argparse
import csv
from pathlib import Path

import numpy as np

from bench import django_setup

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared" / "datasets"
SENTENCES = SHARED / "sentiment-labelled-sentences"
BANKING77 = SHARED / "banking77"
SENTENCE_FILES = {"amazon": "amazon_cells_labelled.txt", "imdb": "imdb_labelled.txt", "yelp": "yelp_labelled.txt"}
OUT = REPO_ROOT / "voc" / "feedback" / "data" / "sentiment.npz"
CLASSES = ("negative", "neutral", "positive")
# Measured by 5-fold cross-validation on the training set (reviews and neutral texts, macro-F1): C=0.1 0.925,
# 0.3 0.931, 1 0.932, 3 0.929.
C = 1.0
MAX_ITER = 5000
# BANKING77 intents where the customer asks how something works, what it costs or for something to be done, and
# reports nothing gone wrong: "How do I change my PIN?", "Do you support Apple Pay?". The other 46 intents report a
# failure or a loss ("my card was declined", "I was charged twice"), which a complaint post would say with feeling;
# they are left out rather than called neutral.
HOW_TO_INTENTS = frozenset({
    "age_limit", "apple_pay_or_google_pay", "atm_support", "automatic_top_up", "card_acceptance",
    "card_delivery_estimate", "card_linking", "change_pin", "country_support", "disposable_card_limits",
    "edit_personal_details", "exchange_charge", "exchange_rate", "exchange_via_app", "fiat_currency_support",
    "get_disposable_virtual_card", "getting_spare_card", "getting_virtual_card", "order_physical_card",
    "receiving_money", "supported_cards_and_currencies", "top_up_by_bank_transfer_charge", "top_up_by_card_charge",
    "top_up_by_cash_or_cheque", "top_up_limits", "transfer_into_account", "verify_my_identity",
    "verify_source_of_funds", "verify_top_up", "visa_or_mastercard", "why_verify_identity",
})


def sentences_read(name: str) -> tuple[list[str], list[str]]:
    """(texts, labels) of one Sentiment Labelled Sentences file, labels as 'negative' or 'positive'."""
    path = SENTENCES / SENTENCE_FILES[name]
    if not path.is_file():
        raise SystemExit(f"Data set not found: {path}. Put sentiment-labelled-sentences under {SHARED}.")
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition("\t")
        if text.strip():
            texts.append(text.strip())
            labels.append("positive" if label.strip() == "1" else "negative")
    return texts, labels


def neutral_read() -> list[str]:
    """BANKING77 training texts of the how-to intents, in file order."""
    path = BANKING77 / "train.csv"
    if not path.is_file():
        raise SystemExit(f"Data set not found: {path}. Put banking77 under {SHARED}.")
    with path.open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle) if row["category"] in HOW_TO_INTENTS]


def vectors_embed(texts: list[str]) -> np.ndarray:
    """Texts embedded as processing embeds a unit's words."""
    from voc.themes.embedding import encoder_get
    from voc.themes.preprocess import text_for_embedding

    return encoder_get().encode([text_for_embedding(text) for text in texts])


def classifier_fit(vectors: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The recipe's logistic regression: (weights, bias) as float32, rows in CLASSES order."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=MAX_ITER)
    model.fit(vectors.astype(np.float64), np.array([CLASSES.index(label) for label in labels]))
    return model.coef_.astype(np.float32), model.intercept_.astype(np.float32)


def training_set() -> tuple[np.ndarray, list[str], dict[str, slice]]:
    """Vectors and labels of every training text, and where each sentence file's rows are among them."""
    texts, labels, rows = [], [], {}
    for name in SENTENCE_FILES:
        file_texts, file_labels = sentences_read(name)
        rows[name] = slice(len(texts), len(texts) + len(file_texts))
        texts += file_texts
        labels += file_labels
    neutral = neutral_read()
    rows["neutral"] = slice(len(texts), len(texts) + len(neutral))
    return vectors_embed(texts + neutral), labels + ["neutral"] * len(neutral), rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the weights (default {OUT})")
    parser.add_argument("--check", action="store_true", help="fit, compare with --out and write nothing")
    args = parser.parse_args(argv)
    django_setup()
    from voc.themes.embedding import encoder_get

    vectors, labels, rows = training_set()
    weights, bias = classifier_fit(vectors, labels)
    # The weights read vectors of this model only (any backend of it); processing checks each vector's model.
    encoder_name = encoder_get().version.split("/")[0]
    counts = {label: labels.count(label) for label in CLASSES}
    print(f"Fitted on {len(labels):,} texts ({', '.join(f'{n:,} {label}' for label, n in counts.items())}), "
          f"encoder {encoder_get().version}")
    if args.check:
        shipped = np.load(args.out)
        difference = max(np.abs(shipped["weights"] - weights).max(), np.abs(shipped["bias"] - bias).max())
        print(f"Largest difference from {args.out}: {difference:.3g}")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, weights=weights, bias=bias, classes=np.array(CLASSES), encoder=np.array(encoder_name))
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
