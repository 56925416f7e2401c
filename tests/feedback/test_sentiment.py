"""Sentiment is read for every unit and item from the stored vectors, with the survey score as further evidence."""

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from voc.feedback.models import FeedbackItem, FeedbackUnit, Sentiment, Source
from voc.feedback.pipeline import feedback_process_pending
from voc.feedback.sentiment import (
    Reading,
    feedback_sentiment_backfill,
    feedback_sentiment_set,
    item_reading,
    sentiment_model,
)
from voc.feedback.services import feedback_ingest_batch, source_get_or_create
from voc.themes.models import Embedding

QUESTION = "How do I change my PIN?"
COMPLAINT = "The app keeps crashing and I lost my work, terrible"
PRAISE = "Love the new dashboard, great job"
# Unit probabilities (negative, neutral, positive) for the rules that combine them.
UNSURE = [0.3, 0.4, 0.3]
CLEARLY_NEGATIVE = [0.9, 0.05, 0.05]
CLEARLY_POSITIVE = [0.05, 0.1, 0.85]
NO_FEELING = [0.05, 0.9, 0.05]


def ingested(texts, **fields) -> list[FeedbackItem]:
    source = source_get_or_create(name="Posts", kind=Source.Kind.TWITTER)
    feedback_ingest_batch(
        source=source, records=[{"external_id": f"p{n}", "text": text, **fields} for n, text in enumerate(texts)]
    )
    feedback_process_pending()
    return list(FeedbackItem.objects.filter(source=source).order_by("pk"))


@pytest.mark.django_db
def test_processing_reads_a_question_as_neutral_a_complaint_as_negative_and_praise_as_positive():
    question, complaint, praise = ingested([QUESTION, COMPLAINT, PRAISE])

    assert [question.sentiment, complaint.sentiment, praise.sentiment] == [
        Sentiment.NEUTRAL, Sentiment.NEGATIVE, Sentiment.POSITIVE,
    ]
    assert complaint.sentiment_score < -0.5 < 0.5 < praise.sentiment_score
    assert abs(question.sentiment_score) < 0.2


@pytest.mark.django_db
def test_processing_writes_each_units_sentiment_beside_its_items():
    [item] = ingested([f"{PRAISE}.\n\n{COMPLAINT}."])

    units = list(item.units.order_by("position"))
    assert [unit.sentiment for unit in units] == [Sentiment.POSITIVE, Sentiment.NEGATIVE]
    assert all(-1 <= unit.sentiment_score <= 1 for unit in units)
    # The complaint speaks for the item, with its own score.
    assert item.sentiment == Sentiment.NEGATIVE
    assert item.sentiment_score == pytest.approx(units[1].sentiment_score, abs=1e-4)


@pytest.mark.django_db
def test_an_item_of_thanks_only_is_positive_and_one_of_greetings_neutral():
    thanks, okay = ingested(["@acme thanks!", "ok DMed you"])

    assert not thanks.units.exists()
    assert (thanks.sentiment, okay.sentiment) == (Sentiment.POSITIVE, Sentiment.NEUTRAL)


@pytest.mark.django_db
def test_a_detractors_score_tips_a_comment_without_feeling_to_negative():
    [item] = ingested(["ok DMed you"], nps_score=2)

    assert item.sentiment == Sentiment.NEGATIVE


def test_the_score_is_p_positive_minus_p_negative_and_the_label_the_likeliest_class():
    reading = Reading(np.array([0.2, 0.3, 0.5]))

    assert reading.label == Sentiment.POSITIVE
    assert reading.score == pytest.approx(0.3)


def test_the_shipped_weights_read_384_dimensional_vectors_into_three_probabilities_that_sum_to_one():
    model = sentiment_model()
    vectors = np.random.default_rng(0).normal(size=(50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    probabilities = model.probabilities(vectors)

    assert probabilities.shape == (50, 3)
    assert np.allclose(probabilities.sum(axis=1), 1)
    scores = [Reading(row).score for row in probabilities]
    assert all(-1 <= score <= 1 for score in scores)
    assert model.reads("all-MiniLM-L6-v2/openvino-int8/seq128")
    assert not model.reads("all-mpnet-base-v2/torch/seq384")


def test_a_negative_unit_speaks_for_the_item_before_a_positive_one():
    reading = item_reading(unit_probabilities=np.array([CLEARLY_POSITIVE, CLEARLY_NEGATIVE]), text="")

    assert reading.label == Sentiment.NEGATIVE
    assert reading.score == pytest.approx(-0.85)


def test_a_positive_unit_speaks_for_an_item_whose_other_units_have_no_feeling():
    reading = item_reading(unit_probabilities=np.array([NO_FEELING, CLEARLY_POSITIVE]), text="")

    assert (reading.label, reading.score) == (Sentiment.POSITIVE, pytest.approx(0.8))


def test_units_without_feeling_give_the_item_their_mean():
    reading = item_reading(unit_probabilities=np.array([NO_FEELING, [0.15, 0.8, 0.05]]), text="")

    assert (reading.label, reading.score) == (Sentiment.NEUTRAL, pytest.approx(-0.05))


@pytest.mark.parametrize(
    ("nps_score", "rating", "expected"),
    [
        (0, None, Sentiment.NEGATIVE),
        (6, None, Sentiment.NEGATIVE),
        (7, None, Sentiment.NEUTRAL),
        (8, None, Sentiment.NEUTRAL),
        (9, None, Sentiment.POSITIVE),
        (None, 1, Sentiment.NEGATIVE),
        (None, 3, Sentiment.NEUTRAL),
        (None, 5, Sentiment.POSITIVE),
        (None, 9, Sentiment.POSITIVE),  # above 5: a 0-10 scale
        (None, 6, Sentiment.NEGATIVE),
        (10, 1, Sentiment.POSITIVE),  # the NPS answer is the survey's question
    ],
)
def test_a_survey_score_decides_an_unsure_comment(nps_score, rating, expected):
    reading = item_reading(unit_probabilities=np.array([UNSURE]), text="", nps_score=nps_score, rating=rating)

    assert reading.label == expected


def test_a_survey_score_never_overturns_clear_words():
    praise = item_reading(unit_probabilities=np.array([CLEARLY_POSITIVE]), text="", nps_score=0)
    complaint = item_reading(unit_probabilities=np.array([CLEARLY_NEGATIVE]), text="", nps_score=10)

    assert (praise.label, complaint.label) == (Sentiment.POSITIVE, Sentiment.NEGATIVE)
    # ...though it moves the score towards itself.
    assert praise.score < item_reading(unit_probabilities=np.array([CLEARLY_POSITIVE]), text="").score


@pytest.mark.django_db
def test_units_whose_vectors_are_of_another_model_stay_unmeasured():
    [item] = ingested([COMPLAINT])
    Embedding.objects.filter(units__item=item).update(model_version="all-mpnet-base-v2/torch/seq384")
    units = list(item.units.all())

    feedback_sentiment_set(items=[item], units=units)

    assert [(unit.sentiment, unit.sentiment_score) for unit in units] == [("", None)]
    assert (item.sentiment, item.sentiment_score) == ("", None)


@pytest.mark.django_db
def test_the_backfill_reads_items_processed_before_sentiment_from_their_stored_vectors(monkeypatch):
    complaint, praise, thanks = ingested([COMPLAINT, PRAISE, "thanks!"])
    FeedbackItem.objects.update(sentiment="", sentiment_score=None)
    FeedbackUnit.objects.update(sentiment="", sentiment_score=None)
    # No model pass: the encoder is never asked for a vector.
    monkeypatch.setattr("voc.themes.embedding.encoder_get", lambda: pytest.fail("the backfill embedded a text"))
    calls = []

    read = feedback_sentiment_backfill(chunk=2, progress=lambda done, total: calls.append((done, total)))

    assert read == 3
    assert calls == [(2, 3), (3, 3)]
    assert [item.sentiment for item in FeedbackItem.objects.order_by("pk")] == [
        Sentiment.NEGATIVE, Sentiment.POSITIVE, Sentiment.POSITIVE,
    ]
    assert set(FeedbackUnit.objects.values_list("sentiment", flat=True)) == {Sentiment.NEGATIVE, Sentiment.POSITIVE}
    assert feedback_sentiment_backfill() == 0  # nothing blank is left


@pytest.mark.django_db
def test_voc_pipeline_backfills_the_sentiment_of_items_processed_before_it():
    [item] = ingested([COMPLAINT])
    FeedbackItem.objects.update(sentiment="", sentiment_score=None)

    call_command("voc_pipeline", stdout=StringIO())

    item.refresh_from_db()
    assert item.sentiment == Sentiment.NEGATIVE
    assert item.units.get().sentiment == Sentiment.NEGATIVE


@pytest.mark.django_db
def test_the_item_page_shows_the_items_sentiment_and_each_units(pm):
    [item] = ingested([f"{PRAISE}.\n\n{COMPLAINT}."])
    units = list(item.units.order_by("position"))

    page = pm.get(f"/feedback/{item.pk}/").content.decode()

    badge = page[page.index('id="item-sentiment"'):]
    assert badge.startswith('id="item-sentiment"><span class="sentiment sentiment-negative"')
    assert f"Negative {item.sentiment_score:.2f}</span>" in badge
    card = page[page.index('id="where-it-went"'):]
    assert '<span class="sentiment sentiment-positive"' in card
    assert f"Positive {units[0].sentiment_score:.2f}</span>" in card
    assert f"Negative {units[1].sentiment_score:.2f}</span>" in card


@pytest.mark.django_db
def test_an_item_not_measured_shows_no_sentiment_badge(pm):
    [item] = ingested([COMPLAINT])
    FeedbackItem.objects.update(sentiment="", sentiment_score=None)
    FeedbackUnit.objects.update(sentiment="", sentiment_score=None)

    page = pm.get(f"/feedback/{item.pk}/").content.decode()

    assert 'class="sentiment ' not in page


@pytest.mark.django_db
def test_the_admin_list_shows_each_items_sentiment_and_filters_by_it(admin_client):
    complaint, praise = ingested([COMPLAINT, PRAISE])

    page = admin_client.get("/admin/feedback/feedbackitem/").content.decode()
    negatives = admin_client.get("/admin/feedback/feedbackitem/?sentiment=negative").content.decode()

    assert f"Negative {complaint.sentiment_score:+.2f}" in page
    assert f"Positive {praise.sentiment_score:+.2f}" in page
    assert f"Negative {complaint.sentiment_score:+.2f}" in negatives
    assert "Positive " not in negatives.split('id="result_list"')[1]
