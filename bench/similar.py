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
import sys
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


# --- On the bench.pages data set, through the production code (python -m bench.search calls this) -------------

BENCH_HASH_PREFIX = "bench-similar:"
RECALL_QUERIES = 1_000


def similar_measure(args) -> tuple[list[list], float]:
    """"More like this" at the scale of the bench.pages data set (already loaded: bench.pages.data_set_ready): rows
    [lookup, p50 ms, p95 ms, max ms] timed through voc.search.selectors, and the index's recall@10 against an exact
    NumPy scan of the same stored vectors.

    The data set's units get vectors once: the distinct unit texts are embedded by the production encoder, and each
    unit gets its text's vector plus seeded Gaussian noise of length NOISE, re-normalised, so that no two units share
    a vector. They are stored like any embedding (an Embedding row per unit, under the encoder's model version) and
    the index is built by voc.search.neighbours.neighbours_index_build from the database, as the beat task builds it.
    """
    from django.conf import settings
    from django.db import connection

    from voc.search import neighbours
    from voc.themes.embedding import encoder_get

    encoder = encoder_get()
    base, texts = _units_vectors_stored(encoder, seed=args.seed)
    settings.VOC_INDEX_DIR = settings.VAR_DIR / "bench" / f"index-{connection.settings_dict['NAME']}"
    build = neighbours.neighbours_index_build(version=encoder.version)
    print(f"more-like-this index of {build.units:,} units built in {build.seconds:.0f} s "
          f"({build.path.stat().st_size / 2**20:,.0f} MB)")
    return _lookups_timed(args, texts, base, encoder.version), _index_recall(base, encoder.version, seed=args.seed)


NOISE = 0.2


def _units_vectors_stored(encoder, *, seed: int) -> tuple[np.ndarray, list[str]]:
    """Give every unit of the data set a vector (once per data set); (vectors of the distinct texts, the texts)."""
    from django.db import connection, transaction

    from voc.feedback.models import FeedbackItem, FeedbackUnit
    from voc.themes.models import Embedding
    from voc.themes.preprocess import text_for_embedding

    units, items, embeddings = (model._meta.db_table for model in (FeedbackUnit, FeedbackItem, Embedding))
    end = connection.ops.quote_name("end")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, CASE WHEN u.start IS NULL THEN u.text ELSE substr(i.text, u.start + 1, u.{end} - u.start)"
            f" END FROM {units} u JOIN {items} i ON i.id = u.item_id ORDER BY u.id"
        )
        rows = cursor.fetchall()
    text_index: dict[str, int] = {}
    text_of_unit = np.fromiter((text_index.setdefault(text, len(text_index)) for _, text in rows), dtype=np.int64,
                               count=len(rows))
    texts = list(text_index)
    base = texts_vectors([text_for_embedding(text) for text in texts])
    stored = FeedbackUnit.objects.filter(
        embedding__text_hash__startswith=BENCH_HASH_PREFIX, embedding__model_version=encoder.version
    ).count()
    if stored == len(rows):
        print(f"reusing the vectors of {len(rows):,} units ({len(texts):,} distinct texts)")
        return base, texts

    started = time.perf_counter()
    unit_ids = np.array([unit_id for unit_id, _ in rows], dtype=np.int64)
    del rows
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {units} SET embedding_id = NULL WHERE embedding_id IS NOT NULL")
        cursor.execute(f"DELETE FROM {embeddings} WHERE text_hash LIKE %s", [f"{BENCH_HASH_PREFIX}%"])
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {embeddings}")
        offset = cursor.fetchone()[0]
        copy = f"COPY {embeddings} (id, text_hash, model_version, vector, created_at) FROM STDIN"
        rng = np.random.default_rng(seed)
        now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
        with cursor.connection.cursor().copy(copy) as writer:
            for start in range(0, len(unit_ids), 100_000):
                of_texts = base[text_of_unit[start : start + 100_000]]
                block = noisy_copies(of_texts, count=len(of_texts), noise=NOISE, seed=int(rng.integers(2**31)))
                for row, vector in enumerate(block):
                    unit_id = int(unit_ids[start + row])
                    writer.write_row((offset + start + row + 1, f"{BENCH_HASH_PREFIX}{unit_id}", encoder.version,
                                      vector.tobytes(), now))
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{embeddings}', 'id'), (SELECT MAX(id) FROM {embeddings}))"
        )
        cursor.execute(
            f"UPDATE {units} u SET embedding_id = e.id FROM {embeddings} e "
            f"WHERE e.text_hash = %s || u.id AND e.model_version = %s",
            [BENCH_HASH_PREFIX, encoder.version],
        )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {embeddings}")
        cursor.execute(f"ANALYZE {units}")
    print(f"stored vectors for {len(unit_ids):,} units ({len(texts):,} distinct texts, noise {NOISE}) "
          f"in {time.perf_counter() - started:.0f} s")
    return base, texts


def _index_recall(base: np.ndarray, version: str, *, seed: int) -> float:
    """recall@10 of the built index against an exact scan of every stored vector, for fresh noisy copies of texts."""
    from voc.search import neighbours

    index = neighbours.index_loaded()
    unit_ids, blocks = [], []
    for ids, matrix in neighbours.units_vectors_chunked(neighbours.units_embedded(version)):
        unit_ids.append(ids)
        blocks.append(matrix.copy())
    unit_ids = np.concatenate(unit_ids)
    vectors = np.concatenate(blocks)
    del blocks
    rng = np.random.default_rng(seed + 1)
    queries = noisy_copies(base[rng.choice(len(base), size=RECALL_QUERIES)], count=RECALL_QUERIES, noise=NOISE,
                           seed=seed + 2)
    truth = unit_ids[exact_top(vectors, queries, k=K)]
    found = np.array([[each.unit_id for each in index.search(query[None, :], K)] for query in queries])
    return recall_at(found, truth)


def _lookups_timed(args, texts: list[str], base: np.ndarray, version: str) -> list[list]:
    from django.conf import settings
    from django.db.models import Count

    from voc.feedback.models import FeedbackItem
    from voc.search.neighbours import units_embedded, units_nearest
    from voc.search.selectors import similar_duplicates, similar_to_item, similar_to_text, similar_to_theme
    from voc.themes.models import Theme

    requests = getattr(args, "requests", 40)
    rng = np.random.default_rng(args.seed + 3)
    last_item = FeedbackItem.objects.order_by("-pk").values_list("pk", flat=True).first()
    item_ids = FeedbackItem.objects.filter(pk__in=rng.integers(1, last_item + 1, size=20 * requests).tolist())
    item_ids = list(item_ids.values_list("pk", flat=True)[:requests])
    with_account = list(
        FeedbackItem.objects.filter(pk__in=rng.integers(1, last_item + 1, size=20 * requests).tolist(),
                                    account__isnull=False).values_list("pk", flat=True)[:requests]
    )
    theme_ids = list(Theme.objects.annotate(units_count=Count("units")).filter(units_count__gt=0)
                     .values_list("pk", flat=True))
    themes = [int(theme) for theme in rng.choice(theme_ids, size=requests)]
    words = [texts[index] for index in rng.choice(len(texts), size=requests)]
    # What a lookup costs just below the size from which an index is built: an exact scan of that many units.
    below = settings.VOC_SIMILAR_INDEX_MIN_UNITS
    last_below = units_embedded(version).order_by("pk").values_list("pk", flat=True)[below - 1]
    scanned = units_embedded(version).filter(pk__lte=last_below)
    lookups = [
        ("more like this: an item", lambda n: similar_to_item(item_id=item_ids[n % len(item_ids)])),
        ("more like this: a theme", lambda n: similar_to_theme(theme_id=themes[n])),
        ("more like this: free text, embedding it", lambda n: similar_to_text(text=words[n])),
        ("likely duplicates: the account's month",
         lambda n: similar_duplicates(item_id=with_account[n % len(with_account)])),
        (f"exact scan of {below:,} units (index threshold)",
         lambda n: units_nearest(queries=base[n % len(base)], version=version, limit=150, among=scanned)),
    ]
    rows = []
    for label, lookup in lookups:
        lookup(0)  # warm: the first lookup maps the index and loads the encoder
        timings = []
        for n in range(requests):
            started = time.perf_counter()
            lookup(n)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
        rows.append([label, statistics.median(timings), p95, timings[-1]])
    return rows


def _pages_main() -> None:
    from bench.pages import data_set_parser, data_set_ready

    parser = data_set_parser("python -m bench.similar pages: more like this on the bench.pages data set")
    parser.add_argument("--requests", type=int, default=40, help="lookups per kind (default 40)")
    args = parser.parse_args(sys.argv[2:])
    data_set_ready(args, benchmark="bench.similar")
    rows, recall = similar_measure(args)
    print(f"\nMore like this through voc.search.selectors, {args.requests} lookups each (ms)")
    print_table(["lookup", "p50", "p95", "max"], rows)
    print(f"recall@{K} of the index against an exact NumPy scan: {recall:.3f}")


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
    _pages_main() if sys.argv[1:2] == ["pages"] else main()
