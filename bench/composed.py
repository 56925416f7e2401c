"""Compose multi-problem support tickets from single-intent texts: the development set for feedback units.

    python -m bench.composed --out /tmp/composed.csv [--tickets 3000] [--intents 40] [--seed 0] [--csv PATH ...]

Each ticket joins 1 to 3 texts of different labels the way a support inbox reads: sometimes a greeting first,
connectives between problems ("Also,", "Another thing:"), sometimes thanks or a sign-off at the end. It writes a
CSV with `text` and `labels` (the labels of its problems, joined by "|"), for
`python -m bench.themes --csv OUT --text-col text --label-col labels --multi-label`.

By default the texts come from BANKING77 (CC BY 4.0, Casanueva et al. 2020); --csv takes any labelled CSV, so the
same recipe composes held-out tickets from another domain. Seeded: the same arguments write the same file.
"""

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

from bench.themes.data import BANKING77

GREETINGS = ("Hi,", "Hello team,", "Hi there!", "Good morning,", "Hey support,", "Dear support team,", "Hello,")
CONNECTIVES = ("Also,", "Another thing:", "And", "Plus,", "On top of that,", "Separately,", "One more thing.", "")
CLOSINGS = (
    "Thanks!", "Thanks in advance.", "Thank you, Maria", "Cheers,\nTom", "Sorry to bother you.", "Kind regards,\nAnn",
    "Any help appreciated.", "Thanks for your help!",
)
# How many problems a ticket raises: most raise one, many two, some three (as in the support inbox).
PROBLEM_COUNTS = (1, 2, 3)
PROBLEM_WEIGHTS = (0.4, 0.4, 0.2)


def tickets_compose(
    texts_by_label: dict[str, list[str]], *, tickets: int, intents: int, seed: int
) -> list[tuple[str, list[str]]]:
    """(ticket text, its labels) for `tickets` tickets over `intents` labels drawn at random."""
    rng = random.Random(seed)
    labels = sorted(rng.sample(sorted(texts_by_label), min(intents, len(texts_by_label))))
    composed = []
    for _ in range(tickets):
        count = rng.choices(PROBLEM_COUNTS, PROBLEM_WEIGHTS)[0]
        chosen = rng.sample(labels, count)
        parts = []
        if rng.random() < 0.5:
            parts.append(rng.choice(GREETINGS))
        for position, label in enumerate(chosen):
            text = _sentence(rng.choice(texts_by_label[label]))
            if position and (connective := rng.choice(CONNECTIVES)):
                # After "Also," the sentence runs on in lower case; after "Another thing:" it starts anew.
                opening = f"{text[:1].lower()}{text[1:]}" if connective.endswith(",") else text
                text = f"{connective} {opening}"
            parts.append(text)
        if rng.random() < 0.5:
            parts.append(rng.choice(CLOSINGS))
        composed.append((" ".join(parts), chosen))
    return composed


def _sentence(text: str) -> str:
    """A text as a sentence of its own: BANKING77 queries often lack the full stop that would end them."""
    text = " ".join(text.split())
    return text if text[-1:] in ".?!" else f"{text}."


def labelled_texts(path: Path | None, *, text_col: str, label_col: str) -> dict[str, list[str]]:
    paths = [path] if path else [BANKING77 / "train.csv", BANKING77 / "test.csv"]
    texts: dict[str, list[str]] = defaultdict(list)
    for each in paths:
        with each.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row[text_col].strip():
                    texts[row[label_col]].append(row[text_col])
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.composed", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--intents", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", type=Path, help="labelled texts to compose from instead of BANKING77")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    args = parser.parse_args()
    texts = labelled_texts(args.csv, text_col=args.text_col, label_col=args.label_col)
    composed = tickets_compose(texts, tickets=args.tickets, intents=args.intents, seed=args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "labels"])
        writer.writerows((text, "|".join(labels)) for text, labels in composed)
    problems = sum(len(labels) for _, labels in composed)
    print(f"wrote {len(composed):,} tickets with {problems:,} problems over {args.intents} labels to {args.out}")


if __name__ == "__main__":
    main()
