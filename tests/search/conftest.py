import uuid

import numpy as np
import pytest

from tests.factories import FeedbackItemFactory
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.search import neighbours
from voc.themes.embedding import embeddings_for_texts
from voc.themes.models import Embedding

VERSION = "test-vectors/v1"
DIMENSIONS = 384


@pytest.fixture(autouse=True)
def index_dir(settings, tmp_path):
    """Each test builds into a folder of its own, and no process-wide mapped index carries over from another test."""
    settings.VOC_INDEX_DIR = tmp_path / "index"
    neighbours._loaded = None
    yield settings.VOC_INDEX_DIR
    neighbours._loaded = None


def unit_vector(vector) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def random_vectors(count: int, *, seed: int = 0, dimensions: int = DIMENSIONS) -> np.ndarray:
    """`count` unit vectors in groups of ten around shared centres, as feedback about one problem clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count // 10 + 1, dimensions))
    vectors = centres[np.arange(count) // 10] + 0.3 * rng.normal(size=(count, dimensions))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def item_with_vectors(*vectors, version: str = VERSION, text: str = "", **fields) -> FeedbackItem:
    """A processed item with one unit per vector given, each embedded with that vector under `version`."""
    words = [f"Problem {n} here." for n in range(len(vectors))]
    item = FeedbackItemFactory(
        text=text or " ".join(words), status=FeedbackItem.Status.PROCESSED, units=False, **fields
    )
    at = 0
    for position, vector in enumerate(vectors):
        embedding = Embedding.objects.create(
            text_hash=uuid.uuid4().hex, model_version=version, vector=unit_vector(vector).tobytes()
        )
        end = len(item.text) if len(vectors) == 1 else at + len(words[position])
        FeedbackUnit.objects.create(
            item=item, position=position, start=at, end=end, embedding=embedding, theme=fields.get("theme")
        )
        at = end + 1
    return item


def item_with_text(text: str, **fields) -> FeedbackItem:
    """A processed item of one unit, embedded by the real encoder, as the pipeline would embed it."""
    item = FeedbackItemFactory(text=text, status=FeedbackItem.Status.PROCESSED, units=False, **fields)
    [embedding_id] = embeddings_for_texts([text])
    FeedbackUnit.objects.create(item=item, position=0, start=0, end=len(text), embedding_id=embedding_id,
                                theme=fields.get("theme"))
    return item
