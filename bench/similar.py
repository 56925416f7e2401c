"""Which approximate-nearest-neighbour library serves "more like this": usearch, hnswlib and faiss against NumPy.

    python -m bench.similar [--vectors 1000000] [--queries 1000] [--noise 0.2] [--libraries usearch,hnswlib,faiss]

The vectors are real: all-MiniLM-L6-v2 (the production encoder) on the 13,083 BANKING77 texts (train + test),
cached in VAR_DIR/bench. A million distinct vectors are made from them by adding Gaussian noise of total length
--noise to copies of each text's vector and re-normalising (about 76 copies of each text; two copies of one text sit
at cosine ~0.96, much as two wordings of one complaint do). The queries are fresh noisy copies of random texts,
not in the index. Every library gets the same graph: HNSW with 16 links per node, 128 candidates while building,
and 64 then 128 while searching; one thread per query (one web request). Recall@10 is against an exact NumPy scan.

Each index is written to disk and read back in a separate process the way a web process would: memory-mapped where
the library can (usearch `restore(view=True)`, faiss `IO_FLAG_MMAP_IFC`), loaded whole where it cannot (hnswlib
has no memory-mapped load). "private MB" is that process's anonymous memory after loading and answering every
query: what each web process would hold of its own. Memory-mapped pages are the kernel's page cache, one copy
shared by every process on the machine.

`similar_measure(args)` is the production side, called by `python -m bench.search` on the bench.pages data set: it
gives the units vectors, builds the index with voc.search.neighbours and times "more like this" lookups through
the production selectors.
"""

import argparse
import csv
import gc
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import django_setup, print_table

BANKING77 = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "banking77"
K = 10
LINKS = 16
EXPANSION_ADD = 128
EXPANSIONS_SEARCH = (64, 128)
LIBRARIES = ("usearch", "hnswlib", "faiss")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--noise", type=float, default=0.2, help="length of the noise added to each copy")
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    django_setup()

    texts = banking77_texts()
    base = texts_vectors(texts)
    vectors = noisy_copies(base, count=args.vectors, noise=args.noise, seed=args.seed)
    rng = np.random.default_rng(args.seed + 1)
    queries = noisy_copies(base[rng.choice(len(base), size=args.queries)], count=args.queries, noise=args.noise,
                           seed=args.seed + 2)
    print(f"{len(vectors):,} vectors ({len(base):,} BANKING77 texts + noise {args.noise}), {len(queries):,} queries")

    started = time.perf_counter()
    truth = exact_top(vectors, queries, k=K)
    print(f"exact top-{K} of every query in {time.perf_counter() - started:.0f} s")
    rows = [_exact_row(vectors, queries)]
    with tempfile.TemporaryDirectory(prefix="bench-similar-") as work:
        queries_path = Path(work) / "queries.npy"
        np.save(queries_path, queries)
        for library in args.libraries.split(","):
            path = Path(work) / f"{library}.index"
            started = time.perf_counter()
            try:
                BUILDERS[library](vectors, path)
            except ImportError as error:
                rows.append([library, f"not installed: {error} (pip install -r requirements-bench.txt)"])
                continue
            build_seconds = time.perf_counter() - started
            gc.collect()
            size_mb = path.stat().st_size / 2**20
            for expansion in EXPANSIONS_SEARCH:
                # A fresh process per setting: its memory is what one web process holding this index would hold.
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    found, timings, private_mb, mapped = pool.apply(
                        _search_in_process, (library, str(path), str(queries_path), expansion)
                    )
                rows.append([
                    f"{library} HNSW M={LINKS} ef={expansion}", f"{build_seconds:.0f}", f"{size_mb:,.0f}",
                    "yes" if mapped else "no", f"{private_mb:,.0f}", *_percentiles(timings),
                    f"{recall_at(found, truth):.3f}",
                ])
            path.unlink()
    print(f"\n{len(queries):,} queries, one at a time, one thread each (ms); build on every core")
    print_table(["method", "build s", "file MB", "memory-mapped", "private MB", "p50", "p95", "recall@10"], rows)


def banking77_texts() -> list[str]:
    texts = []
    for name in ("train.csv", "test.csv"):
        path = BANKING77 / name
        if not path.is_file():
            raise SystemExit(f"BANKING77 not found at {BANKING77}")
        with path.open(newline="", encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle) if row["text"].strip()]
    return texts


def texts_vectors(texts: list[str]) -> np.ndarray:
    """The production encoder's vectors of these texts, cached on disk by model version and texts."""
    import hashlib

    from django.conf import settings

    from voc.themes.embedding import encoder_get

    encoder = encoder_get()
    digest = hashlib.sha256("\n".join([encoder.version, *texts]).encode()).hexdigest()[:16]
    cache = settings.VAR_DIR / "bench" / f"vectors-{digest}.npy"
    if cache.is_file():
        return np.load(cache)
    started = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"embedded {len(texts):,} texts in {time.perf_counter() - started:.0f} s ({encoder.version})")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def noisy_copies(base: np.ndarray, *, count: int, noise: float, seed: int, chunk: int = 100_000) -> np.ndarray:
    """`count` unit vectors: row i is base[i % len(base)] plus Gaussian noise of expected length `noise`."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, base.shape[1]), dtype=np.float32)
    scale = noise / np.sqrt(base.shape[1])
    for start in range(0, count, chunk):
        rows = np.arange(start, min(start + chunk, count))
        block = base[rows % len(base)] + rng.normal(0, scale, size=(len(rows), base.shape[1])).astype(np.float32)
        out[rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, *, k: int, chunk: int = 100_000) -> np.ndarray:
    """Row numbers of each query's k most similar vectors (inner product), best first, by a chunked NumPy scan."""
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = queries @ vectors[start : start + chunk].T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if scores.shape[1] > k else np.argsort(-scores, axis=1)
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        merged_rows = np.concatenate([best_rows, top + start], axis=1)
        keep = np.argsort(-merged_scores, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_rows = np.take_along_axis(merged_rows, keep, axis=1)
    return best_rows


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """The share of the exact top-k that the approximate search found, over all queries."""
    hits = sum(len(set(row.tolist()) & set(exact.tolist())) for row, exact in zip(found, truth, strict=True))
    return hits / truth.size


def _exact_row(vectors: np.ndarray, queries: np.ndarray, *, sample: int = 100) -> list:
    timings = []
    for query in queries[:sample]:
        started = time.perf_counter()
        scores = vectors @ query
        np.argpartition(-scores, K - 1)[:K]
        timings.append(time.perf_counter() - started)
    return ["exact NumPy scan (in memory)", "-", f"{vectors.nbytes / 2**20:,.0f}", "-", "-", *_percentiles(timings),
            "1.000"]


def _percentiles(timings: list[float]) -> list[str]:
    ms = sorted(1000 * seconds for seconds in timings)
    return [f"{statistics.median(ms):.2f}", f"{ms[max(0, int(0.95 * len(ms)) - 1)]:.2f}"]


def _build_usearch(vectors: np.ndarray, path: Path) -> None:
    from usearch.index import Index

    index = Index(ndim=vectors.shape[1], metric="ip", dtype="f32", connectivity=LINKS, expansion_add=EXPANSION_ADD)
    index.add(np.arange(len(vectors), dtype=np.uint64), vectors)
    index.save(str(path))


def _build_hnswlib(vectors: np.ndarray, path: Path) -> None:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=vectors.shape[1])
    index.init_index(max_elements=len(vectors), M=LINKS, ef_construction=EXPANSION_ADD, random_seed=0)
    index.add_items(vectors, np.arange(len(vectors)))
    index.save_index(str(path))


def _build_faiss(vectors: np.ndarray, path: Path) -> None:
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], LINKS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EXPANSION_ADD
    index.add(vectors)
    faiss.write_index(index, str(path))


BUILDERS = {"usearch": _build_usearch, "hnswlib": _build_hnswlib, "faiss": _build_faiss}


def _search_in_process(library: str, path: str, queries_path: str, expansion: int):
    """In a fresh process: load the index as a web process would, answer each query alone; (rows found, seconds per
    query, private MB, memory-mapped)."""
    queries = np.load(queries_path)
    before = _anonymous_mb()
    if library == "usearch":
        from usearch.index import Index

        index = Index.restore(path, view=True)
        index.expansion_search = expansion

        def search(query):
            return index.search(query, K, threads=1).keys

        mapped = True
    elif library == "hnswlib":
        import hnswlib

        index = hnswlib.Index(space="ip", dim=queries.shape[1])
        index.load_index(path)
        index.set_ef(expansion)
        index.set_num_threads(1)

        def search(query):
            return index.knn_query(query, k=K)[0][0]

        mapped = False
    else:
        import faiss

        faiss.omp_set_num_threads(1)
        index = faiss.read_index(path, faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        index.hnsw.efSearch = expansion

        def search(query):
            return index.search(query[None, :], K)[1][0]

        mapped = True
    search(queries[0])  # the first search pages in the graph's entry levels
    found, timings = [], []
    for query in queries:
        started = time.perf_counter()
        keys = search(query)
        timings.append(time.perf_counter() - started)
        found.append(np.asarray(keys, dtype=np.int64))
    return np.stack(found), timings, _anonymous_mb() - before, mapped


def _anonymous_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
