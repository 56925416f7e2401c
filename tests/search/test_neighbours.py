import json
from pathlib import Path

import numpy as np
import pytest

from tests.search.conftest import VERSION, item_with_vectors, random_vectors, unit_vector
from voc.feedback.models import FeedbackUnit
from voc.search import neighbours
from voc.search.neighbours import index_loaded, neighbours_index_build, units_nearest

pytestmark = pytest.mark.django_db


def stored(vectors, **fields) -> list[int]:
    """Unit ids of one single-unit item per vector, in order."""
    return [item_with_vectors(vector, **fields).units.get().pk for vector in vectors]


def exact_top(vectors: np.ndarray, query: np.ndarray, unit_ids: list[int], k: int) -> list[int]:
    scores = vectors @ query
    return [unit_ids[row] for row in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture
def indexed(settings):
    """Any number of units is enough for an index here."""
    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 1
    return settings


def test_an_exact_scan_finds_the_most_similar_units_best_first():
    vectors = random_vectors(60)
    unit_ids = stored(vectors)
    query = unit_vector(vectors[7] + 0.1 * vectors[33])

    found = units_nearest(queries=query, version=VERSION, limit=5)

    assert [each.unit_id for each in found] == exact_top(vectors, query, unit_ids, 5)
    assert found[0].similarity == pytest.approx(float(vectors[7] @ query), abs=1e-5)
    assert [each.similarity for each in found] == sorted((each.similarity for each in found), reverse=True)


def test_the_scan_keeps_the_best_of_every_chunk_it_reads(monkeypatch):
    vectors = random_vectors(45)
    unit_ids = stored(vectors)
    monkeypatch.setattr(neighbours, "READ_CHUNK", 4)
    query = vectors[44]  # in the last, partial chunk

    found = units_nearest(queries=query, version=VERSION, limit=8)

    assert [each.unit_id for each in found] == exact_top(vectors, query, unit_ids, 8)


def test_several_query_vectors_rank_each_unit_by_its_best_similarity_to_any_of_them():
    vectors = random_vectors(40)
    unit_ids = stored(vectors)

    found = units_nearest(queries=vectors[[3, 25]], version=VERSION, limit=2)

    assert {each.unit_id for each in found} == {unit_ids[3], unit_ids[25]}
    assert [each.similarity for each in found] == pytest.approx([1.0, 1.0], abs=1e-5)


def test_only_vectors_of_the_model_version_asked_for_are_compared():
    vectors = random_vectors(20)
    stored(vectors[:10])
    other_model = stored(vectors[10:], version="another-model/v2")

    found = units_nearest(queries=vectors[12], version=VERSION, limit=20)

    assert len(found) == 10
    assert not {each.unit_id for each in found} & set(other_model)


def test_below_the_size_threshold_no_index_is_built_and_an_old_one_is_removed(settings, index_dir):
    stored(random_vectors(12))
    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 10
    assert neighbours_index_build(version=VERSION).path is not None

    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 13
    build = neighbours_index_build(version=VERSION)

    assert (build.units, build.path) == (12, None)
    assert list(index_dir.glob("units*")) == []
    assert index_loaded() is None


def test_the_index_mapped_from_disk_gives_the_same_top_results_as_the_exact_scan(indexed, index_dir):
    vectors = random_vectors(400, seed=1)
    unit_ids = stored(vectors)

    build = neighbours_index_build(version=VERSION)
    index = index_loaded()

    assert (build.units, build.path.parent) == (400, index_dir)
    assert (index.units, index.last_unit_id) == (400, max(unit_ids))
    queries = random_vectors(20, seed=2)
    for query in queries:
        from_index = [each.unit_id for each in index.search(query[None, :], 10)]
        assert from_index == exact_top(vectors, query, unit_ids, 10)
        assert [each.unit_id for each in units_nearest(queries=query, version=VERSION, limit=10)] == from_index


def private_mb() -> float:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(status["RssAnon"].split()[0]) / 1024


def test_web_processes_map_the_file_instead_of_loading_a_copy(index_dir):
    import faiss

    # 40,000 vectors are 59 MB: a process that loaded a copy would grow by that much.
    vectors = random_vectors(40_000, seed=3)
    graph = faiss.IndexHNSWFlat(vectors.shape[1], 4, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 8  # a poor graph built fast: only the loading is under test
    index = faiss.IndexIDMap(graph)
    index.add_with_ids(vectors, np.arange(1, len(vectors) + 1, dtype=np.int64))
    index_dir.mkdir()
    faiss.write_index(index, str(index_dir / "units-1.faiss"))
    del index, graph
    (index_dir / "units.json").write_text(
        json.dumps({"file": "units-1.faiss", "version": VERSION, "last_unit_id": len(vectors), "units": len(vectors)})
    )
    before = private_mb()

    loaded = index_loaded()
    [found] = loaded.search(vectors[7][None, :], 1)

    assert 1 <= found.unit_id <= len(vectors)
    assert private_mb() - before < 20
    assert vectors.nbytes / 2**20 > 55


def test_units_stored_after_the_build_are_found_at_once(indexed):
    vectors = random_vectors(50)
    stored(vectors)
    neighbours_index_build(version=VERSION)

    [fresh] = stored([vectors[5] + 0.01 * vectors[6]])
    found = units_nearest(queries=vectors[5], version=VERSION, limit=3)

    assert fresh in [each.unit_id for each in found[:2]]
    assert index_loaded().last_unit_id < fresh


def test_a_process_maps_the_new_index_once_a_build_replaced_it(indexed, index_dir):
    vectors = random_vectors(30)
    stored(vectors[:20])
    neighbours_index_build(version=VERSION)
    first = index_loaded()
    assert index_loaded() is first  # mapped once, not per lookup

    stored(vectors[20:])
    neighbours_index_build(version=VERSION)

    assert index_loaded() is not first
    assert index_loaded().units == 30
    assert len(list(index_dir.glob("units-*.faiss"))) == 1  # the old file is gone from the folder


def test_an_unreadable_index_leaves_the_exact_scan_to_answer(indexed, index_dir, caplog):
    vectors = random_vectors(20)
    unit_ids = stored(vectors)
    build = neighbours_index_build(version=VERSION)
    build.path.write_bytes(b"not an index")
    manifest = index_dir / "units.json"
    manifest.write_text(manifest.read_text())  # a new stamp: the process looks again

    found = units_nearest(queries=vectors[3], version=VERSION, limit=1)

    assert index_loaded() is None
    assert [each.unit_id for each in found] == [unit_ids[3]]
    assert "cannot be read" in caplog.text


def test_an_index_of_another_model_version_is_not_used(indexed, index_dir, monkeypatch):
    vectors = random_vectors(20)
    unit_ids = stored(vectors)
    neighbours_index_build(version=VERSION)
    manifest = index_dir / "units.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"version": "older-model/v0"}))

    def refuse(*args, **kwargs):
        raise AssertionError("vectors of another model were searched")

    monkeypatch.setattr(neighbours.UnitIndex, "search", refuse)
    found = units_nearest(queries=vectors[4], version=VERSION, limit=1)

    assert [each.unit_id for each in found] == [unit_ids[4]]


def test_a_restricted_lookup_scans_only_those_units_and_can_compare_them_centred():
    vectors = random_vectors(30)
    unit_ids = stored(vectors)
    among = FeedbackUnit.objects.filter(pk__in=unit_ids[10:20])
    centre = vectors.mean(axis=0)

    found = units_nearest(queries=vectors[0], version=VERSION, limit=30, among=among, centre=centre)

    assert {each.unit_id for each in found} == set(unit_ids[10:20])
    centred = vectors[10:20] - centre
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    query = unit_vector(vectors[0] - centre)
    assert found[0].similarity == pytest.approx(float((centred @ query).max()), abs=1e-5)
