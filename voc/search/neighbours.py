"""More like this: the feedback units nearest by meaning to one or more query vectors.

The principle, step by step:

1. Every embedded unit has an L2-normalised vector (voc.themes.embedding), so cosine similarity is the inner
   product. Nearness is only asked among vectors of one model version: two models' vectors do not compare.
2. Exact first. Below VOC_SIMILAR_INDEX_MIN_UNITS units (20,000 by default) a lookup reads the vectors from the
   database in chunks and scans them with NumPy: nothing to build and always current. The read is what it costs:
   about 10 ms per 1,000 units on PostgreSQL here (2.5 ms on SQLite), so 20,000 units take ~200 ms, inside the 300 ms
   asked for a lookup (`python -m bench.similar pages` prints the scan at the threshold). The embedded default
   (SQLite, no beat) is served this way until something builds an index (a re-cluster does), as is any lookup when
   no index file exists or it holds another model's vectors.
3. Approximate above it. A Celery task (neighbours_index_build_task, hourly on beat and after each re-cluster)
   builds an HNSW graph of every unit's vector with faiss, keyed by unit id, writes it to VOC_INDEX_DIR under a new
   name and then swaps a small manifest in atomically (os.replace). Web processes map the file read-only
   (IO_FLAG_MMAP_IFC): the kernel keeps one copy in its page cache for all of them, and each process holds only
   the unit ids (8 bytes a unit) and a few MB of its own. A process checks the manifest on each lookup and maps the
   new file when it changed.
4. Fresh feedback shows at once: units stored after the build (ids above the last one it read) are scanned exactly,
   few as they are between builds, and merged with the graph's answer. Deleted units drop out when their rows are
   read; a unit committed during a build with a lower id than the build reached waits for the next build.
5. A lookup restricted to a few units (one account's month, for duplicates) is always an exact scan of those: a
   graph would have to over-fetch and filter, and the scan is exact.

Chosen by `python -m bench.similar` (1M vectors: all-MiniLM-L6-v2 vectors of the 13,083 BANKING77 texts, each
copied with Gaussian noise of length 0.2 and re-normalised; 1,000 held-out queries, one at a time on one thread;
HNSW with 16 links and 128 candidates while building in every library; 2 cores shared with other work, so build
times are rough):

| method                       | build s | file MB | memory-mapped | private MB | p50 ms | p95 ms | recall@10 |
|------------------------------|---------|---------|---------------|------------|--------|--------|-----------|
| exact NumPy scan (in memory) |       - |   1,465 |             - |          - | 118.83 | 178.05 |     1.000 |
| usearch HNSW M=16 ef=64      |     352 |   1,607 |           yes |         53 |   0.24 |   2.77 |     0.990 |
| usearch HNSW M=16 ef=128     |     352 |   1,607 |           yes |         53 |   0.37 |   4.49 |     0.993 |
| hnswlib HNSW M=16 ef=64      |     135 |   1,606 |            no |      1,699 |   0.09 |   0.14 |     0.989 |
| hnswlib HNSW M=16 ef=128     |     135 |   1,606 |            no |      1,699 |   0.15 |   0.22 |     0.996 |
| faiss HNSW M=16 ef=64        |     192 |   1,602 |           yes |         19 |   0.09 |   0.15 |     0.980 |
| faiss HNSW M=16 ef=128       |     192 |   1,602 |           yes |         19 |   0.17 |   0.25 |     0.990 |

faiss (faiss-cpu) was chosen. hnswlib is out: it cannot map its file, so every web process would hold its own
1.7 GB copy. Of the two that can, faiss answered faster (p95 0.25 ms against 4.5 ms, where usearch pays for pages
touched on first use), built faster and kept less memory per process, at recall@10 0.990 with 128 candidates while
searching (EXPANSION_SEARCH); any of the three is far inside the 300 ms asked, which embedding the query (~2 ms) and
reading the rows dominate. Through the selectors on bench.pages' 1M items (`python -m bench.similar pages`): p95
31 ms from an item, 33 ms from free text with its embedding, 83 ms from a theme; recall@10 0.980; build 242 s.
"""

import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from voc.feedback.models import FeedbackUnit

logger = logging.getLogger(__name__)

MANIFEST_NAME = "units.json"
INDEX_PREFIX = "units-"
INDEX_SUFFIX = ".faiss"
# HNSW as measured in bench.similar: 16 links per node, 128 candidates while building, EXPANSION_SEARCH while
# searching (recall@10 0.990 at 1M; a lookup asking for more results than that widens the search to match).
LINKS = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# 20,000 vectors are 30 MB: one read's worth that keeps a build's and a scan's memory flat on any size.
READ_CHUNK = 20_000


@dataclass(frozen=True)
class Neighbour:
    unit_id: int
    similarity: float


@dataclass(frozen=True)
class IndexBuild:
    """What a build did: the units indexed, how long it took, and the file (None: below the size, none is kept)."""

    units: int
    seconds: float
    path: Path | None


@dataclass(frozen=True)
class UnitIndex:
    """A built graph, memory-mapped, and what its manifest says about it."""

    index: object  # faiss.IndexIDMap over an IndexHNSWFlat, its vectors and graph mapped from the file
    version: str
    last_unit_id: int
    units: int

    def search(self, queries: np.ndarray, limit: int) -> list[Neighbour]:
        """The graph's `limit` nearest units to each query row, all rows together (best similarity per unit)."""
        import faiss

        # Per call, not set on the shared index: threads of one web process may search it at once.
        params = faiss.SearchParametersHNSW(efSearch=max(EXPANSION_SEARCH, limit))
        similarities, keys = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), limit, params=params)
        # -1 pads a row when fewer than `limit` units exist; the inner product of unit vectors is their similarity.
        return [
            Neighbour(int(key), float(similarity))
            for row_keys, row_similarities in zip(keys, similarities, strict=True)
            for key, similarity in zip(row_keys.tolist(), row_similarities.tolist(), strict=True)
            if key >= 0
        ]


def units_embedded(version: str) -> QuerySet[FeedbackUnit]:
    """Units whose vector is of this model version: the ones a lookup in that version may find."""
    return FeedbackUnit.objects.filter(embedding__model_version=version)


def units_nearest(
    *, queries: np.ndarray, version: str, limit: int, among: QuerySet[FeedbackUnit] | None = None,
    centre: np.ndarray | None = None,
) -> list[Neighbour]:
    """The `limit` units most similar to any of the query vectors (rows), best first.

    `among` restricts the lookup to those units, scanned exactly; `centre` (only with `among`) compares vectors
    after subtracting it, as themes do. Without `among`, every unit of the version: the index and the units stored
    since it was built, or an exact scan of them all when there is no index for this version.
    """
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if among is not None:
        return _scan(queries, among.filter(embedding__model_version=version), limit, centre=centre)
    index = index_loaded()
    if index is None or index.version != version:
        return _scan(queries, units_embedded(version), limit)
    fresh = _scan(queries, units_embedded(version).filter(pk__gt=index.last_unit_id), limit)
    return _best(index.search(queries, limit) + fresh, limit)


def _best(neighbours: list[Neighbour], limit: int) -> list[Neighbour]:
    best: dict[int, float] = {}
    for each in neighbours:
        if each.similarity > best.get(each.unit_id, -np.inf):
            best[each.unit_id] = each.similarity
    ranked = sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    return [Neighbour(unit_id, similarity) for unit_id, similarity in ranked]


def _scan(queries: np.ndarray, units: QuerySet[FeedbackUnit], limit: int, *, centre=None) -> list[Neighbour]:
    """Exact: read the units' vectors in chunks and keep the `limit` best by their best similarity to a query."""
    if centre is not None:
        queries = _unit_rows(queries - centre)
    best_ids = np.zeros(0, dtype=np.int64)
    best_scores = np.zeros(0, dtype=np.float32)
    for ids, matrix in units_vectors_chunked(units):
        if centre is not None:
            matrix = _unit_rows(matrix - centre)
        scores = (matrix @ queries.T).max(axis=1)
        best_ids = np.concatenate([best_ids, ids])
        best_scores = np.concatenate([best_scores, scores])
        if len(best_ids) > limit:
            keep = np.argpartition(-best_scores, limit - 1)[:limit]
            best_ids, best_scores = best_ids[keep], best_scores[keep]
    order = np.lexsort((best_ids, -best_scores))
    return [Neighbour(int(best_ids[row]), float(best_scores[row])) for row in order[:limit]]


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def units_vectors_chunked(units: QuerySet[FeedbackUnit], *, chunk: int | None = None):
    """(unit ids, vectors) of the given embedded units, READ_CHUNK at a time in id order (keyset pages, so a chunk
    costs the same at the end of a million rows as at the start)."""
    chunk = chunk or READ_CHUNK
    rows = units.exclude(embedding__isnull=True).order_by("pk").values_list("pk", "embedding__vector")
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:chunk]):
        last = batch[-1][0]
        ids = np.fromiter((unit_id for unit_id, _ in batch), dtype=np.int64, count=len(batch))
        matrix = np.frombuffer(b"".join(vector for _, vector in batch), dtype=np.float32).reshape(len(batch), -1)
        yield ids, matrix


# --- The index: built by a task, mapped by web processes -------------------------------------------------------


def index_dir() -> Path:
    return Path(settings.VOC_INDEX_DIR)


def neighbours_index_build(*, version: str | None = None) -> IndexBuild:
    """Build the graph of every embedded unit's vector and put it in place for web processes to map; below
    VOC_SIMILAR_INDEX_MIN_UNITS, remove any graph instead: the exact scan serves."""
    import faiss

    from voc.themes.embedding import encoder_get

    started = time.perf_counter()
    version = version or encoder_get().version
    directory = index_dir()
    units = units_embedded(version)
    count = units.count()
    if count < settings.VOC_SIMILAR_INDEX_MIN_UNITS:
        _index_remove(directory)
        return IndexBuild(units=count, seconds=time.perf_counter() - started, path=None)
    directory.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory) as held:
        if not held:
            logger.info("An index build is already running; this one stops")
            return IndexBuild(units=0, seconds=time.perf_counter() - started, path=None)
        index, added, last_unit_id = None, 0, 0
        for ids, matrix in units_vectors_chunked(units):
            if index is None:
                graph = faiss.IndexHNSWFlat(matrix.shape[1], LINKS, faiss.METRIC_INNER_PRODUCT)
                graph.hnsw.efConstruction = EXPANSION_ADD
                index = faiss.IndexIDMap(graph)
            index.add_with_ids(np.ascontiguousarray(matrix), ids)
            added += len(ids)
            last_unit_id = int(ids[-1])
        name = f"{INDEX_PREFIX}{time.time_ns()}{INDEX_SUFFIX}"
        partial = directory / f"{name}.partial"
        faiss.write_index(index, str(partial))
        os.replace(partial, directory / name)
        manifest = {"file": name, "version": version, "last_unit_id": last_unit_id, "units": added}
        _write_atomically(directory / MANIFEST_NAME, json.dumps(manifest))
        # A process still mapping an older file keeps reading it after the unlink until it maps the new one.
        for old in directory.glob(f"{INDEX_PREFIX}*{INDEX_SUFFIX}"):
            if old.name != name:
                old.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    logger.info("Indexed %d units for more-like-this in %.0f s", added, seconds)
    return IndexBuild(units=added, seconds=seconds, path=directory / name)


class _build_lock:
    """One build at a time per index folder (beat's and a re-cluster's may overlap); a second one does not wait."""

    def __init__(self, directory: Path):
        self.path = directory / ".build.lock"

    def __enter__(self) -> bool:
        self.handle = self.path.open("w")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *exc_info) -> None:
        self.handle.close()  # closing releases the lock


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _index_remove(directory: Path) -> None:
    (directory / MANIFEST_NAME).unlink(missing_ok=True)
    for old in directory.glob(f"{INDEX_PREFIX}*{INDEX_SUFFIX}"):
        old.unlink(missing_ok=True)


_loaded: tuple[tuple, UnitIndex | None] | None = None
_load_lock = threading.Lock()


def index_loaded() -> UnitIndex | None:
    """The current graph, memory-mapped once per process and again when a build replaced it; None when there is none
    (or it cannot be read: then the exact scan answers, and the log says why)."""
    global _loaded
    manifest_path = index_dir() / MANIFEST_NAME
    try:
        stat = manifest_path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    with _load_lock:
        if _loaded is None or _loaded[0] != stamp:
            _loaded = (stamp, _index_open(manifest_path))
        return _loaded[1]


def _index_open(manifest_path: Path) -> UnitIndex | None:
    import faiss

    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # Mapped in place and read-only: never add to it (faiss aborts on writing to a mapped vector).
        index = faiss.read_index(
            str(manifest_path.parent / manifest["file"]), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
        )
        return UnitIndex(
            index=index, version=manifest["version"], last_unit_id=int(manifest["last_unit_id"]),
            units=int(manifest["units"]),
        )
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        logger.warning("The more-like-this index at %s cannot be read (%r); exact scans answer", manifest_path, error)
        return None
