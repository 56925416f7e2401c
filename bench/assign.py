"""Incremental assignment: how fast new feedback joins existing themes, and how soon after it arrives.

    python -m bench.assign [--csv PATH --text-col text --label-col label] [--new-share 0.2]

Clusters most of a labelled data set (default BANKING77) through the real services, then brings in the held-back
share as new items and measures:
- assignment alone (themes_assign_nearest on the new items' units, whose vectors exist): the step the issue asks
  ≥ 2,000 a second of;
- processing new items end to end (splitting into units, embedding, account resolution, assignment, writes), in
  batches of 500;
- the latency from ingesting one item to its theme being set, with tasks running in-process;
- how often a new item lands in the theme holding most of its gold label (assignment accuracy, on the item's lead
  theme: the theme of its first themed unit).
Items are split into units (voc.feedback.units) and themes are given to units, so steps count both.
Re-clustering takes in every item in the database, so the benchmark runs on a scratch SQLite file of its own, or on
DATABASE_URL when set, which must then hold no feedback; what it wrote there is deleted afterwards.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import numpy as np

from bench import django_setup, print_table
from bench.themes import load_dataset
from bench.themes.data import Subset, rows_take, subset_rows

BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col")
    parser.add_argument("--limit", type=int, help="a stratified subset of this many texts")
    parser.add_argument("--new-share", type=float, default=0.2, help="share of texts held back as new items")
    args = parser.parse_args()
    texts, gold, name = load_dataset(args)
    rows, described = subset_rows(Subset(limit=args.limit), gold)
    texts, gold = rows_take(rows, texts, gold)
    name += described
    if not os.environ.get("DATABASE_URL"):
        scratch = Path(tempfile.mkdtemp(prefix="voc-bench-assign-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    django_setup()

    from django.core.management import call_command
    from django.db import connection

    from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
    from voc.feedback.pipeline import feedback_process
    from voc.feedback.services import feedback_ingest, feedback_ingest_batch
    from voc.feedback.tasks import feedback_process_task
    from voc.themes.models import ClusterRun, Embedding, Theme
    from voc.themes.services import themes_assign_nearest, themes_recluster

    call_command("migrate", verbosity=0)
    if FeedbackItem.objects.exists():
        raise SystemExit("DATABASE_URL holds feedback: point it at an empty scratch database; re-clustering takes all.")
    source = Source.objects.create(name="bench-assign", kind=Source.Kind.API)
    order = np.random.default_rng(0).permutation(len(texts))
    held_back = set(order[: int(len(texts) * args.new_share)].tolist())
    records = [{"external_id": f"b{index}", "text": text, "kind": "ticket"} for index, text in enumerate(texts)]
    old = [record for index, record in enumerate(records) if index not in held_back]
    new = [record for index, record in enumerate(records) if index in held_back]

    def ingest(batch_records) -> list[int]:
        """Ingest without running the processing it would queue; returns the queued item ids."""
        queued: list[list[int]] = []
        with mock.patch.object(feedback_process_task, "delay", side_effect=queued.append):
            for batch in _chunks(batch_records):
                rejected = [result for result in feedback_ingest_batch(source=source, records=batch) if result.errors]
                if rejected:
                    raise SystemExit(f"{len(rejected)} records rejected, e.g. {rejected[0].errors}")
        return [item_id for chunk in queued for item_id in chunk]

    try:
        print(f"{name}: {len(old):,} items clustered first, {len(new):,} new; database {connection.vendor}")
        old_ids = ingest(old)
        for chunk in _chunks(old_ids):
            feedback_process(item_ids=chunk)
        old_units = FeedbackUnit.objects.filter(item_id__in=old_ids).count()
        started = time.perf_counter()
        themes_recluster(seed=0)
        recluster_s = time.perf_counter() - started

        new_ids = ingest(new)
        # Split and embed the new items first (assignment needs their units' vectors), with no theme given on the
        # way (neither nearest nor emerging), then time assignment on its own.
        with (
            mock.patch("voc.feedback.pipeline.themes_assign_nearest", return_value=0),
            mock.patch("voc.feedback.pipeline.units_join_emerging", return_value=0),
            mock.patch("voc.feedback.pipeline.themes_emerge", return_value=[]),
        ):
            for chunk in _chunks(new_ids):
                feedback_process(item_ids=chunk)
        units = list(FeedbackUnit.objects.filter(item_id__in=new_ids).order_by("pk"))
        started = time.perf_counter()
        assigned = sum(themes_assign_nearest(units=batch) for batch in _chunks(units))
        assign_s = time.perf_counter() - started
        in_memory_s = _in_memory_assign_seconds(len(units) * 10)

        # End to end on the same texts, processed again: the vectors come from the cache by hash, as they would for
        # any text seen before; everything else (splitting, resolution, assignment, emerging themes) is done again.
        FeedbackItem.objects.filter(pk__in=new_ids).update(status=FeedbackItem.Status.PENDING, theme=None)
        started = time.perf_counter()
        for chunk in _chunks(new_ids):
            feedback_process(item_ids=chunk)
        process_s = time.perf_counter() - started
        new_units = FeedbackUnit.objects.filter(item_id__in=new_ids)
        process_units = new_units.count()
        emerging = new_units.filter(theme__emerging=True).values("item_id").distinct().count()

        latencies = []
        for n in range(20):
            started = time.perf_counter()
            late = new[n] | {"external_id": f"late-{n}", "text": new[n]["text"] + "!"}
            result = feedback_ingest(source=source, record=late)
            latencies.append(time.perf_counter() - started)
            assert FeedbackItem.objects.get(pk=result.item_id).status == FeedbackItem.Status.PROCESSED

        themes = dict(FeedbackItem.objects.filter(source=source, pk__in=new_ids).values_list("external_id", "theme"))
        accuracy = _assignment_accuracy(gold, records, old, themes, source)
        themed = sum(1 for theme in themes.values() if theme)
        print_table(
            ["step", "items", "units", "seconds", "items/s", "units/s"],
            [
                ["re-cluster the first items", len(old), old_units, recluster_s, len(old) / recluster_s,
                 old_units / recluster_s],
                ["assign new units (themes_assign_nearest)", len(new_ids), len(units), assign_s,
                 len(new_ids) / assign_s, len(units) / assign_s],
                ["  nearest prototype in memory only", "", len(units) * 10, in_memory_s, "",
                 len(units) * 10 / in_memory_s],
                ["process new items end to end (cached vectors)", len(new_ids), process_units, process_s,
                 len(new_ids) / process_s, process_units / process_s],
            ],
        )
        print(
            f"\nassigned {assigned:,} of {len(units):,} new units ({100 * assigned / max(len(units), 1):.1f}%) to "
            f"their nearest theme; end to end, {themed:,} of {len(new_ids):,} new items have a theme "
            f"({emerging:,} with a unit in an emerging theme); {100 * accuracy:.1f}% of those joined the theme "
            f"holding most of their gold label (a theme that emerged counts as a miss)\n"
            f"ingest → theme set, one item, tasks in-process (a new text, embedded on the way): "
            f"median {1000 * statistics.median(latencies):.0f} ms, max {1000 * max(latencies):.0f} ms"
        )
    finally:
        FeedbackItem.objects.all().delete()
        source.delete()
        Theme.objects.all().delete()
        ClusterRun.objects.all().delete()
        Embedding.objects.all().delete()


def _chunks(values: list):
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _majority_label(majority: dict[int, Counter], theme: int) -> str | None:
    return majority[theme].most_common(1)[0][0] if theme in majority else None


def _in_memory_assign_seconds(count: int) -> float:
    from voc.themes.clustering import ThemeModel
    from voc.themes.models import ClusterRun

    model = ThemeModel.from_bytes(ClusterRun.objects.order_by("-pk").first().model)
    vectors = np.random.default_rng(0).standard_normal((count, model.prototypes.shape[1])).astype(np.float32)
    started = time.perf_counter()
    model.assign(vectors)
    return time.perf_counter() - started


def _assignment_accuracy(gold, records, old, themes_by_key, source) -> float:
    """Share of assigned new items whose theme's majority gold label (from the clustered items) is their own."""
    from voc.feedback.models import FeedbackItem

    label_of = {record["external_id"]: label for record, label in zip(records, gold, strict=True)}
    old_keys = {record["external_id"] for record in old}
    majority: dict[int, Counter] = {}
    for key, theme in FeedbackItem.objects.filter(source=source, external_id__in=old_keys).values_list(
        "external_id", "theme"
    ):
        if theme:
            majority.setdefault(theme, Counter())[label_of[key]] += 1
    assigned = [(key, theme) for key, theme in themes_by_key.items() if theme]
    hits = sum(1 for key, theme in assigned if _majority_label(majority, theme) == label_of[key])
    return hits / max(len(assigned), 1)


if __name__ == "__main__":
    main()
