"""The runs: one comparison of voc, BERTopic and k-means told k, voc against BERTopic at each size, and scale."""

from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from bench import django_setup
from bench.themes.data import Subset, dataset_summary, rows_take, subset_rows
from bench.themes.scores import labels_unshuffled, methods_judge, order_stability
from bench.themes.stages import (
    NOT_INSTALLED,
    in_own_process,
    progress,
    stage_bertopic,
    stage_fp32_embed,
    stage_kmeans,
    stage_scale_cluster,
    stage_scale_synthesise,
    stage_voc_cluster,
    stage_voc_embed,
)


def _embed_both(texts: list[str], workdir: Path) -> tuple[dict, dict]:
    """Embed the texts once with voc's encoder (voc.npy) and once with plain fp32 sentence-transformers (fp32.npy)."""
    progress(f"voc: embedding {len(texts):,} texts")
    voc = in_own_process(stage_voc_embed, texts, str(workdir / "voc.npy"))
    progress(f"fp32: embedding {len(texts):,} texts (plain sentence-transformers, for the baselines)")
    fp32 = in_own_process(stage_fp32_embed, texts, str(workdir / "fp32.npy"))
    return voc, fp32


def _methods_cluster(
    texts: list[str], *, voc_path: Path, fp32_path: Path, kmeans_k: int | None = None
) -> dict[str, dict]:
    """Each method's clustering stage output (labels, seconds, peak memory; names and quotes where it has them)."""
    progress("voc: clustering and naming")
    outputs = {"voc": in_own_process(stage_voc_cluster, str(voc_path), texts)}
    if all(find_spec(name) for name in ("bertopic", "umap", "hdbscan")):
        progress("bertopic: UMAP + HDBSCAN + c-TF-IDF")
        outputs["bertopic"] = in_own_process(stage_bertopic, str(fp32_path), texts)
    else:
        outputs["bertopic"] = {"error": NOT_INSTALLED}
    if kmeans_k:
        progress(f"kmeans_k_given: k = {kmeans_k}")
        outputs["kmeans_k_given"] = in_own_process(stage_kmeans, str(fp32_path), kmeans_k)
    return outputs


def _voc_cluster_shuffled(texts: list[str], vectors_path: Path, seed: int) -> dict:
    """voc's themes and names for the same texts and vectors taken in a seeded random order; labels in data order."""
    order = np.random.default_rng(seed).permutation(len(texts))
    shuffled_path = vectors_path.with_name(f"shuffled-{vectors_path.name}")
    np.save(shuffled_path, np.load(vectors_path)[order])
    progress(f"voc: clustering and naming again, texts shuffled (seed {seed})")
    shuffled = in_own_process(stage_voc_cluster, str(shuffled_path), [texts[row] for row in order])
    return {"labels": labels_unshuffled(shuffled["labels"], order), "names": shuffled["names"]}


def _judging_encode() -> Callable[[list[str]], np.ndarray]:
    """voc's encoder for judging names, loaded in this process only once every stage has run (see in_own_process)."""
    progress("judging")
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
        size_texts, golds[label] = rows_take(rows, texts, gold)
        datasets[label] = dataset_summary(name + described, golds[label])
        progress(f"size {label}: {len(rows):,} texts")
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


def run_scale(texts: list[str], gold: list[str], count: int, workdir: Path) -> dict:
    progress(f"scale: embedding {len(texts):,} real texts with voc's encoder")
    real = in_own_process(stage_voc_embed, texts, str(workdir / "real.npy"))
    progress(f"scale: synthesising {count:,} vectors")
    synthetic = in_own_process(stage_scale_synthesise, str(workdir / "real.npy"), gold, count,
                               str(workdir / "synthetic.npy"))
    progress(f"scale: themes_cluster on {count:,} vectors")
    result = in_own_process(stage_scale_cluster, str(workdir / "synthetic.npy"))
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = result.pop("labels")
    result["nmi_vs_source_label"] = float(normalized_mutual_info_score(synthetic["labels"], labels))
    result["ari_vs_source_label"] = float(adjusted_rand_score(synthetic["labels"], labels))
    result.update({"items": count, "real_texts": len(texts), "encoder": real["version"],
                   "embed_texts_per_s": len(texts) / real["embed_s"]})
    return result
