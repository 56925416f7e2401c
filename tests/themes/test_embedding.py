import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.factories import SourceFactory
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.services import feedback_ingest_batch
from voc.themes import embedding
from voc.themes.embedding import embeddings_for_texts, encoder_get, vector_from_bytes
from voc.themes.models import Embedding

pytestmark = pytest.mark.django_db


def test_the_packaged_model_loads_offline_and_gives_unit_vectors():
    vectors = encoder_get().encode(["My card has not arrived", "How do I top up?"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_feedback_is_closer_than_unrelated_feedback():
    card, card_again, top_up = encoder_get().encode(
        ["My card still has not arrived", "When will my new card be delivered?", "Can I change my PIN at an ATM?"]
    )
    assert card @ card_again > card @ top_up


def test_identical_texts_are_embedded_once():
    ids = embeddings_for_texts(["Card declined at the shop", "Card declined at the shop", "Where is my card?"])
    assert ids[0] == ids[1] != ids[2]
    assert Embedding.objects.count() == 2


def test_markup_and_pii_do_not_make_a_text_new():
    plain, html = embeddings_for_texts(
        ["Card declined, call me on +44 20 7946 0958", "<p>Card declined, call me on +1 415 555 0132</p>"]
    )
    assert plain == html


def test_a_text_seen_before_is_not_encoded_again(monkeypatch):
    embeddings_for_texts(["Exchange rate looks wrong"])
    calls = []
    real_encode = embedding.Encoder.encode

    def encode(self, texts):
        calls.append(texts)
        return real_encode(self, texts)

    monkeypatch.setattr(embedding.Encoder, "encode", encode)
    embeddings_for_texts(["Exchange rate looks wrong"])
    assert calls == []


def test_stored_vectors_round_trip():
    [embedding_id] = embeddings_for_texts(["Transfer pending for days"])
    stored = vector_from_bytes(Embedding.objects.get(pk=embedding_id).vector)
    assert np.allclose(stored, encoder_get().encode(["Transfer pending for days"])[0], atol=1e-6)


def test_processing_embeds_each_item(django_capture_on_commit_callbacks):
    source = SourceFactory(kind=Source.Kind.ZENDESK)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_ingest_batch(source=source, records=[{"text": "Card declined"}, {"text": "Refund please"}])
    assert not FeedbackItem.objects.filter(units__embedding__isnull=True).exists()
    assert FeedbackItem.objects.filter(units__isnull=False).count() == 2
    assert set(FeedbackItem.objects.values_list("status", flat=True)) == {"processed"}


def test_a_text_that_breaks_the_model_fails_only_its_own_item(monkeypatch, django_capture_on_commit_callbacks):
    real_encode = embedding.Encoder.encode

    def encode(self, texts):
        if any("poison" in text for text in texts):
            raise RuntimeError("tokenizer exploded")
        return real_encode(self, texts)

    monkeypatch.setattr(embedding.Encoder, "encode", encode)
    source = SourceFactory(kind=Source.Kind.ZENDESK)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_ingest_batch(source=source, records=[{"text": "fine one"}, {"text": "poison"}, {"text": "fine two"}])
    statuses = dict(FeedbackItem.objects.values_list("text", "status"))
    assert statuses == {"fine one": "processed", "poison": "pending", "fine two": "processed"}
    assert "tokenizer exploded" in FeedbackItem.objects.get(text="poison").last_error


@pytest.mark.parametrize("backend", ["openvino", "openvino-int8"])
def test_the_openvino_backends_agree_with_sentence_transformers(backend, settings):
    texts = ["My card still has not arrived", "Why was I charged a fee for a transfer?", "Top up failed again"]
    settings.VOC_EMBEDDING_BACKEND = "torch"
    encoder_get.cache_clear()
    reference = encoder_get().encode(texts)
    settings.VOC_EMBEDDING_BACKEND = backend
    encoder_get.cache_clear()
    try:
        openvino_encoder = encoder_get()
        vectors = openvino_encoder.encode(texts)
    finally:
        encoder_get.cache_clear()
    assert openvino_encoder.version == f"all-MiniLM-L6-v2/{backend}/seq128"
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # int8 moves vectors a little; fp32 is the same network.
    assert (vectors * reference).sum(axis=1).min() > (0.97 if backend == "openvino-int8" else 0.9999)


def test_batch_order_and_padding_do_not_change_a_vector():
    texts = ["Top up failed", "Why is my transfer still pending after three whole days of waiting?", "PIN blocked"]
    encoder = encoder_get()
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_texts_that_differ_only_in_case_run_through_the_model_once(monkeypatch):
    model = encoder_get().model
    fed_rows = []
    real_batches = model._batches

    def batches(token_ids, batch_size):
        for rows, feeds in real_batches(token_ids, batch_size):
            fed_rows.extend(rows)
            yield rows, feeds

    monkeypatch.setattr(model, "_batches", batches)
    great, shouting, other = encoder_get().encode(["Great app!", "GREAT APP!", "Slow app"])
    assert len(fed_rows) == 2
    assert np.array_equal(great, shouting)
    assert not np.allclose(great, other)


def test_a_converted_model_is_cached_on_disk(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    encoder_get.cache_clear()
    try:
        encoder_get()
    finally:
        encoder_get.cache_clear()
    [converted] = (tmp_path / "models").glob("*.xml")
    assert converted.with_suffix(".bin").stat().st_size > 1_000_000
    assert not list((tmp_path / "models").glob("partial-*"))


def test_an_unknown_backend_is_refused(settings):
    settings.VOC_EMBEDDING_BACKEND = "tensorflow"
    encoder_get.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="VOC_EMBEDDING_BACKEND"):
            encoder_get()
    finally:
        encoder_get.cache_clear()
