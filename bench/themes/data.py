"""Which labelled texts a run takes: the data set read from CSV, and a stratified or young-product subset of it."""

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
BANKING77 = REPO_ROOT.parent / "shared" / "datasets" / "banking77"
_SIZE_ENTRY = re.compile(r"(?:(?P<all>all)|(?P<limit>\d+)|(?P<intents>\d+)x(?P<per_intent>\d+))")


@dataclass(frozen=True)
class Subset:
    """Which texts a run uses: all of them, a stratified `limit`, or `intents` labels with `per_intent` texts each."""

    label: str = "all"
    limit: int | None = None
    intents: int | None = None
    per_intent: int | None = None


def load_dataset(args) -> tuple[list[str], list[str], str]:
    """(texts, gold labels, description) of every non-empty text from --csv or the BANKING77 default."""
    if args.csv:
        paths = [Path(args.csv)]
        text_col, label_col = args.text_col, args.label_col or "label"
        name = Path(args.csv).name
    else:
        paths = [BANKING77 / "train.csv", BANKING77 / "test.csv"]
        text_col, label_col = args.text_col, args.label_col or "category"
        name = "BANKING77 (train + test)"
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise SystemExit(f"Data set not found: {', '.join(missing)}. Put BANKING77 at {BANKING77} or pass --csv.")
    texts, gold = [], []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            absent = {text_col, label_col} - set(reader.fieldnames or [])
            if absent:
                raise SystemExit(f"{path} has no column {', '.join(sorted(absent))}; columns: {reader.fieldnames}")
            for row in reader:
                if row[text_col].strip():
                    texts.append(row[text_col])
                    gold.append(row[label_col])
    return texts, gold, name


def subset_rows(subset: Subset, gold: list[str]) -> tuple[list[int], str]:
    """The rows of the data set that `subset` keeps, in data set order, and what it adds to the data set's name."""
    if subset.intents:
        rows = _young_product(gold, intents=subset.intents, per_intent=subset.per_intent)
        return rows, f", young product: {subset.intents} intents x {subset.per_intent} texts"
    if subset.limit and subset.limit < len(gold):
        return _stratified(gold, subset.limit), f", stratified subset of {subset.limit:,}"
    return list(range(len(gold))), ""


def _stratified(gold: list[str], count: int) -> list[int]:
    """Indices of `count` items whose labels keep their shares: take each label's shuffled items in turn."""
    order = np.random.default_rng(0).permutation(len(gold))
    sizes = Counter(gold)
    seen: Counter = Counter()
    position = np.empty(len(gold))
    for index in order:
        position[index] = seen[gold[index]] / sizes[gold[index]]
        seen[gold[index]] += 1
    return sorted(np.argsort(position, kind="stable")[:count].tolist())


def _young_product(gold: list[str], *, intents: int, per_intent: int) -> list[int]:
    """Indices of `per_intent` texts of each of `intents` labels, all drawn at random (seeded) from those that have
    enough texts: a product with few themes so far, each with a few dozen mentions."""
    rng = np.random.default_rng(0)
    eligible = sorted(label for label, count in Counter(gold).items() if count >= per_intent)
    if len(eligible) < intents:
        raise SystemExit(
            f"--intents {intents} --per-intent {per_intent}: only {len(eligible)} labels have {per_intent} texts "
            f"or more"
        )
    chosen = sorted(eligible[index] for index in rng.choice(len(eligible), size=intents, replace=False))
    rows_by_label: dict[str, list[int]] = {}
    for row, label in enumerate(gold):
        rows_by_label.setdefault(label, []).append(row)
    return sorted(
        int(row) for label in chosen for row in rng.choice(rows_by_label[label], size=per_intent, replace=False)
    )


def sizes_parse(value: str) -> list[Subset]:
    """--sizes "600,1500,30x20,all": a stratified limit, 'all', or intents x texts per intent, per entry."""
    subsets = []
    for entry in (part.strip().lower() for part in value.split(",")):
        match = _SIZE_ENTRY.fullmatch(entry)
        numbers = [int(number) for number in match.groups()[1:] if number is not None] if match else []
        if not match or 0 in numbers:
            raise SystemExit(
                f"--sizes: {entry!r} is not a size; give a number of texts (600), 'all', or intents x texts per "
                f"intent (30x20), separated by commas"
            )
        if entry in (subset.label for subset in subsets):
            raise SystemExit(f"--sizes: {entry!r} is given twice")
        if match["all"]:
            subsets.append(Subset())
        elif match["limit"]:
            subsets.append(Subset(label=entry, limit=int(match["limit"])))
        else:
            subsets.append(Subset(label=entry, intents=int(match["intents"]), per_intent=int(match["per_intent"])))
    return subsets


def dataset_summary(name: str, gold: list[str]) -> dict:
    return {"name": name, "texts": len(gold), "labels": len(set(gold))}


def rows_take(rows: list[int], *columns: list) -> list[list]:
    return [[column[row] for row in rows] for column in columns]
