"""Regenerate data/banking77_sample.csv from the BANKING77 training split. Not run at demo time.

    python -m voc.demo.build_sample /work/shared/datasets/banking77
"""

import argparse
import csv
import random
import re
import sys
from pathlib import Path

from voc.demo.sample import INTENTS, SAMPLE_PATH, texts_wanted

# Fixed so that the committed sample can be rebuilt byte for byte.
SAMPLE_SEED = 77
_WHITESPACE = re.compile(r"\s+")


def sample_build(dataset_dir: Path, output: Path = SAMPLE_PATH) -> int:
    """Write the sample CSV (text,category) and return how many rows it holds."""
    by_intent: dict[str, list[str]] = {intent: [] for intent in INTENTS}
    with open(dataset_dir / "train.csv", newline="", encoding="utf-8") as train:
        for row in csv.DictReader(train):
            text = _WHITESPACE.sub(" ", row["text"]).strip()
            texts = by_intent.get(row["category"])
            if texts is not None and text and text not in texts:
                texts.append(text)

    rng = random.Random(SAMPLE_SEED)
    rows = []
    for intent in INTENTS:
        texts = by_intent[intent]
        wanted = texts_wanted(intent)
        if len(texts) < wanted:
            raise SystemExit(f"{intent} has {len(texts)} distinct texts in train.csv; the sample needs {wanted}")
        # Keep the dataset's order within an intent so that diffs of a rebuilt sample stay readable.
        chosen = sorted(rng.sample(range(len(texts)), wanted))
        rows.extend((texts[index], intent) for index in chosen)

    with open(output, "w", newline="", encoding="utf-8") as sample:
        writer = csv.writer(sample, lineterminator="\n")
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset_dir", type=Path, help="folder holding BANKING77's train.csv")
    parser.add_argument("--output", type=Path, default=SAMPLE_PATH)
    args = parser.parse_args(argv)
    count = sample_build(args.dataset_dir, args.output)
    print(f"Wrote {count} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
