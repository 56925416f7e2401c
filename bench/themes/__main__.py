"""The command line: python -m bench.themes (usage in bench/themes/__init__.py)."""

import argparse
import json
import tempfile
from pathlib import Path

import bench.themes
from bench.themes.data import Subset, dataset_summary, load_dataset, rows_take, sizes_parse, subset_rows
from bench.themes.multilabel import print_multi_label, run_multi_label
from bench.themes.report import print_comparison, print_scale, print_sizes
from bench.themes.runs import run_comparison, run_scale, run_sizes


def main() -> None:
    args = _arguments()
    texts, gold, name = load_dataset(args)
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as workdir:
        if args.multi_label:
            output = {"multi_label": run_multi_label(texts, gold, Path(workdir))}
            print_multi_label(output["multi_label"], name)
        elif args.sizes:
            output = {"sizes": run_sizes(texts, gold, name, args.sizes, Path(workdir))}
            print_sizes(output["sizes"])
        else:
            rows, described = subset_rows(
                Subset(limit=args.limit, intents=args.intents, per_intent=args.per_intent), gold
            )
            texts, gold = rows_take(rows, texts, gold)
            dataset = dataset_summary(name + described, gold)
            if args.scale:
                output = {"scale": run_scale(texts, gold, args.scale, Path(workdir)), "dataset": dataset}
                print_scale(output["scale"])
            else:
                results = run_comparison(texts, gold, Path(workdir), shuffle_seed=args.shuffle_seed)
                output = {**results, "dataset": dataset}
                print_comparison(output, dataset)
    if args.json:
        Path(args.json).write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


def _arguments() -> argparse.Namespace:
    # prog named, or argparse would call the command "__main__.py".
    parser = argparse.ArgumentParser(prog="python -m bench.themes", description=bench.themes.__doc__.splitlines()[0])
    parser.add_argument("--csv", help="a CSV of labelled texts instead of BANKING77")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", help="default: category for BANKING77, label for --csv")
    parser.add_argument("--json", help="write the results here as JSON")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--limit", type=int, help="a stratified subset of this many texts, for quick runs")
    which.add_argument("--intents", type=int, help="a young product: this many labels drawn at random (seeded)")
    which.add_argument("--sizes", help="compare voc and bertopic at each size: e.g. 600,1500,30x20,all")
    parser.add_argument("--per-intent", type=int, help="with --intents: this many texts of each label")
    parser.add_argument("--shuffle-seed", type=int, help="run voc again on the texts in this seed's random order")
    parser.add_argument("--scale", type=int, help="time re-clustering this many synthetic vectors instead")
    parser.add_argument(
        "--multi-label", action="store_true",
        help="labels are joined by '|' (python -m bench.composed): score the labels each item's themes cover",
    )
    args = parser.parse_args()

    if (args.intents is None) != (args.per_intent is None):
        parser.error("--intents and --per-intent go together")
    if args.intents is not None and min(args.intents, args.per_intent) < 1:
        parser.error("--intents and --per-intent must be at least 1")
    if args.sizes and args.scale:
        parser.error("--sizes and --scale are separate runs; give one of them")
    if args.shuffle_seed is not None and (args.sizes or args.scale):
        parser.error("--shuffle-seed applies to the single comparison, not to --sizes or --scale")
    if args.multi_label and (args.sizes or args.scale or args.shuffle_seed is not None):
        parser.error("--multi-label is a run of its own; leave out --sizes, --scale and --shuffle-seed")
    args.sizes = sizes_parse(args.sizes) if args.sizes else []
    return args


if __name__ == "__main__":
    main()
