"""--multi-label: items that raise several problems, judged by the labels their themes cover.

voc splits each item into units as production does (voc.feedback.units), embeds and clusters the units, and an item
belongs to the themes of its units. Each theme is mapped to the label that most items containing it carry. Then:

- label_recall: the mean, over items, of the share of the item's labels that its themes cover (an item with no
  theme covers none);
- label_precision: the mean, over items with a theme, of the share of the item's themes whose label it carries;
- units_per_item: how many units the splitter cut an item into.

Beside it: voc with one theme per item (the whole text embedded, as before units: the single-theme baseline) and
BERTopic, one topic per document, as its default does.
"""

import time
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from bench import django_setup, print_table
from bench.themes.scores import UNSORTED
from bench.themes.stages import (
    NOT_INSTALLED,
    _peak_mb,
    in_own_process,
    progress,
    stage_bertopic,
    stage_fp32_embed,
    stage_voc_embed,
)

LABEL_SEPARATOR = "|"


def stage_voc_units(texts: list[str], out_path: str) -> dict:
    """Split every text into units, embed the units as production does, and cluster them: labels per unit."""
    django_setup()
    from voc.feedback.units import text_units
    from voc.themes.clustering import themes_cluster
    from voc.themes.embedding import encoder_get, unit_embedding_texts
    from voc.themes.preprocess import text_for_embedding

    encoder = encoder_get()
    started = time.perf_counter()
    unit_items, unit_texts, unit_parts = [], [], []
    for item, text in enumerate(texts):
        spans = text_units(text)
        for span, unit_text in zip(spans, unit_embedding_texts([span.text for span in spans], ""), strict=True):
            unit_items.append(item)
            unit_texts.append(text_for_embedding(unit_text))
            unit_parts.append([text_for_embedding(part.text) for part in span.parts])
    split_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = encoder.encode(unit_texts)
    embed_s = time.perf_counter() - started
    # As in production once a fit exists (voc.feedback.pipeline): a unit that blends problems the customer did not
    # mark is cut into its parts when the fit explains them better apart. Here the first fit is on these units.
    started = time.perf_counter()
    model, _, _ = themes_cluster(vectors, seed=0)
    blended = [index for index, parts in enumerate(unit_parts) if parts]
    part_vectors = iter(encoder.encode([part for index in blended for part in unit_parts[index]]))
    apart = {}
    for index in blended:
        parts = np.stack([next(part_vectors) for _ in unit_parts[index]])
        if model.better_apart(vectors[index], parts):
            apart[index] = parts
    rows = [
        (item, vector) for index, (item, whole) in enumerate(zip(unit_items, vectors, strict=True))
        for vector in apart.get(index, [whole])
    ]
    unit_items, vectors = [item for item, _ in rows], np.stack([vector for _, vector in rows])
    apart_s = time.perf_counter() - started
    started = time.perf_counter()
    _, labels, _ = themes_cluster(vectors, seed=0)
    cluster_s = time.perf_counter() - started
    np.save(out_path, vectors)
    return {
        "unit_items": unit_items, "labels": labels.tolist(), "split_s": split_s, "embed_s": embed_s,
        "apart_s": apart_s, "taken_apart": len(apart), "cluster_s": cluster_s, "peak_mb": _peak_mb(),
    }


def stage_voc_whole(vectors_path: str) -> dict:
    django_setup()
    from voc.themes.clustering import themes_cluster

    started = time.perf_counter()
    _, labels, _ = themes_cluster(np.load(vectors_path), seed=0)
    return {"labels": labels.tolist(), "cluster_s": time.perf_counter() - started, "peak_mb": _peak_mb()}


def item_themes(unit_items: list[int], unit_labels: list[int], items: int) -> list[set[int]]:
    """The themes of each item: those of its units, unsorted units aside."""
    themes: list[set[int]] = [set() for _ in range(items)]
    for item, label in zip(unit_items, unit_labels, strict=True):
        if label != UNSORTED:
            themes[item].add(label)
    return themes


def label_scores(label_sets: list[set[str]], themes_of_items: list[set[int]]) -> dict:
    """label_recall and label_precision (see the module's opening), with each theme mapped to its majority label."""
    carried: dict[int, Counter] = {}
    for labels, themes in zip(label_sets, themes_of_items, strict=True):
        for theme in themes:
            carried.setdefault(theme, Counter()).update(labels)
    # Ties go to the label first in sorted order, so the mapping does not depend on item order.
    label_of = {theme: min(counts, key=lambda label: (-counts[label], label)) for theme, counts in carried.items()}
    recalls, precisions = [], []
    for labels, themes in zip(label_sets, themes_of_items, strict=True):
        covered = {label_of[theme] for theme in themes}
        recalls.append(len(labels & covered) / len(labels))
        if themes:
            precisions.append(sum(label_of[theme] in labels for theme in themes) / len(themes))
    return {
        "label_recall": float(np.mean(recalls)),
        "label_precision": float(np.mean(precisions)) if precisions else 0.0,
        "themes": len(label_of),
        "items_without_theme_pct": 100 * sum(not themes for themes in themes_of_items) / len(themes_of_items),
    }


def run_multi_label(texts: list[str], gold: list[str], workdir: Path) -> dict:
    """voc with units, voc with one theme per item and BERTopic on items whose labels are joined by '|'."""
    label_sets = [{label for label in joined.split(LABEL_SEPARATOR) if label} for joined in gold]
    progress(f"voc: splitting {len(texts):,} items into units, embedding and clustering them")
    units = in_own_process(stage_voc_units, texts, str(workdir / "units.npy"))
    results = {
        "voc": {
            **label_scores(label_sets, item_themes(units["unit_items"], units["labels"], len(texts))),
            "units_per_item": len(units["unit_items"]) / len(texts),
            "units_per_s": len(units["unit_items"]) / (units["split_s"] + units["embed_s"]),
            "split_s": units["split_s"], "embed_s": units["embed_s"], "cluster_s": units["cluster_s"],
            "apart_s": units["apart_s"], "taken_apart": units["taken_apart"],
        }
    }
    progress("voc, one theme per item: embedding the whole texts and clustering them")
    in_own_process(stage_voc_embed, texts, str(workdir / "whole.npy"))
    whole = in_own_process(stage_voc_whole, str(workdir / "whole.npy"))
    results["voc_single_theme"] = {
        **label_scores(label_sets, [{label} - {UNSORTED} for label in whole["labels"]]),
        "units_per_item": 1.0, "cluster_s": whole["cluster_s"],
    }
    if all(find_spec(name) for name in ("bertopic", "umap", "hdbscan")):
        progress("bertopic: one topic per document")
        in_own_process(stage_fp32_embed, texts, str(workdir / "fp32.npy"))
        topics = in_own_process(stage_bertopic, str(workdir / "fp32.npy"), texts)
        results["bertopic"] = {
            **label_scores(label_sets, [{topic} - {UNSORTED} for topic in topics["labels"]]),
            "units_per_item": 1.0, "cluster_s": topics["cluster_s"],
        }
    else:
        results["bertopic"] = {"error": NOT_INSTALLED}
    problems = sum(len(labels) for labels in label_sets)
    results["dataset"] = {"items": len(texts), "problems": problems, "labels": len(set().union(*label_sets))}
    return results


def print_multi_label(results: dict, name: str) -> None:
    dataset = results["dataset"]
    print(
        f"\n{name}: {dataset['items']:,} items raising {dataset['problems']:,} problems "
        f"({dataset['problems'] / dataset['items']:.2f} an item) over {dataset['labels']} labels\n"
    )
    rows = []
    for method in ("voc", "voc_single_theme", "bertopic"):
        row = results[method]
        if "error" in row:
            rows.append([method, row["error"]])
            continue
        rows.append([
            method, f"{row['label_recall']:.3f}", f"{row['label_precision']:.3f}", f"{row['units_per_item']:.2f}",
            row["themes"], f"{row['items_without_theme_pct']:.1f}",
        ])
    print_table(["method", "label recall", "label precision", "units/item", "themes", "no theme %"], rows)
    voc = results["voc"]
    print(
        f"\nvoc: split {voc['split_s']:.1f} s, embed {voc['embed_s']:.1f} s "
        f"({voc['units_per_s']:,.0f} units/s split and embedded), cluster {voc['cluster_s']:.1f} s; "
        f"{voc['taken_apart']:,} units taken apart in {voc['apart_s']:.1f} s (a first fit and their parts embedded)."
    )
