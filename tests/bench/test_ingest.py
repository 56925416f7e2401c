"""bench.ingest cleans up after itself: its items and their units, and the vectors it cached that nothing else uses."""

from bench.ingest import bench_data_delete
from tests.factories import FeedbackItemFactory, SourceFactory
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.themes.models import Embedding


def _embedding(text_hash: str) -> Embedding:
    return Embedding.objects.create(text_hash=text_hash, model_version="test", vector=b"\0" * 16)


def test_it_deletes_its_items_and_the_vectors_only_their_units_used(db):
    only_bench, shared = _embedding("only-bench"), _embedding("shared")
    bench = SourceFactory(name="bench")
    FeedbackItemFactory(source=bench, embedding=only_bench)
    FeedbackItemFactory(source=bench, embedding=shared)
    kept = FeedbackItemFactory(source=SourceFactory(name="customer"), embedding=shared)

    bench_data_delete()

    assert list(FeedbackItem.objects.all()) == [kept]
    assert list(FeedbackUnit.objects.values_list("item_id", flat=True)) == [kept.pk]
    assert list(Embedding.objects.all()) == [shared]
