"""Sentiment: how a customer felt, negative, neutral or positive, with a score from -1 to 1, for every unit and item.

It is read from the vectors processing already stored for the units (voc.themes.embedding), so it costs no second
model pass. The principle, step by step:

1. A unit: a multinomial logistic regression over its vector (voc/feedback/data/sentiment.npz, numpy only here)
   gives p(negative), p(neutral), p(positive). The label is the likeliest class; the score is p(positive) -
   p(negative).
2. Training (bench/sentiment_train.py reproduces the shipped weights): negative and positive are the 3,000 Sentiment
   Labelled Sentences (Amazon, IMDB and Yelp reviews; Kotzias et al. 2015, CC BY 4.0). Neutral is what feedback has
   and reviews do not: questions and requests without feeling. They are the BANKING77 training texts (Casanueva et
   al. 2020, CC BY 4.0) of the 31 intents that ask how something works or ask for something ("How do I change my
   PIN?", "Can I get a Mastercard?"); the 46 intents that report a failure or a loss ("my card was declined") are
   left out, since a complaint post says the same with feeling.
3. An item: the unit with the strongest feeling speaks for it, a negative one before a positive one, since a
   complaint beside praise is what a team must act on; with no feeling in any unit, the mean of its units. An item
   with no unit (greetings or thanks only: "thanks!", "Awesome, thanks a lot!") is positive when it thanks or
   praises (THANKS_WORDS) and neutral otherwise.
4. A survey's own score, where there is one, is further evidence: NPS 0-6 (a rating of 1-2 on a 1-5 scale) makes
   negative twice as likely as neutral and four times as likely as positive, 9-10 (4-5 of 5) the reverse, 7-8 (3)
   says nothing; the item's probabilities are multiplied by these and normalised. The factors are set by hand
   (no labelled survey comments here): they tip a comment whose words are unsure, never clear words (p 0.85
   for positive stays positive under NPS 0). A rating above 5 is taken to be on a 0-10 scale like NPS.
5. A vector of another model than the weights were fitted on says nothing to them: such units and items stay
   blank (not measured). Sentiment is shown beside theme scores and never changes them.

Chosen by measurement: the three review files by 5-fold cross-validation (the held-out fold never trained on; the
sign of the score against the label), "social" on bench/data/sentiment_social_written.csv (118 complaint, question
and praise posts about companies, written for this project and never trained on), and the share of BANKING77 *test*
texts of the how-to intents read neutral. VADER's compound score on the same texts, neutral within ±0.05:

| option (logistic regression, C=1)              | reviews CV acc | social acc / macro-F1 | how-to → neutral |
|------------------------------------------------|----------------|-----------------------|------------------|
| two classes only, neutral where |score| < 0.3  | 0.902          | 0.712 / 0.698         | 0.412            |
| neutral: the how-to intents (chosen)           | 0.903          | 0.771 / 0.774         | 1.000            |
| neutral: the how-to intents, questions only    | 0.902          | 0.771 / 0.774         | 1.000            |
| neutral: every BANKING77 text                  | 0.900          | 0.551 / 0.557         | 1.000            |
| how-to neutral, failure reports negative       | 0.894          | 0.746 / 0.748         | 0.973            |
| VADER                                          | 0.683          | 0.729 / 0.728         | -                |

Every BANKING77 text as neutral teaches "a bank problem is neutral", and complaints went neutral; failure reports
as negative teach "talk of service is negative", and praise of a support team went negative. Taking out the
directions that tell the data sets apart (1 to 20 principal components, or the mean of each source) did not help
(social macro-F1 0.50 to 0.80, review accuracy down to 0.78). Weaker regularisation (C 0.1 to 3) moves the social
figures within ±0.04 on 118 posts, noise at that size; C=1 is best by cross-validation on the training set. The
how-to column is near 1 for every option trained on BANKING77 (the same bank, the same phrasing) and says little.
What remains weak: praise of a service in words reviews use for complaints ("refund processed in a day, no
questions asked") and negation ("never lets us down") can read negative, and a bank problem told without feeling
("My card has not arrived yet") can read neutral, as the bank's questions taught.
"""

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.db import transaction

from voc.core.db import rows_update
from voc.feedback.models import FeedbackItem, FeedbackUnit, Sentiment
from voc.themes.embedding import vector_from_bytes
from voc.themes.models import Embedding

logger = logging.getLogger(__name__)

WEIGHTS_PATH = Path(__file__).parent / "data" / "sentiment.npz"
CLASSES = (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE)
NEGATIVE, NEUTRAL, POSITIVE = range(3)
# An item with no unit is greetings, thanks or sign-offs only (voc.feedback.units); these words make it thanks or
# praise. "Sorry to bother you" or "ok DMed you" stay neutral.
THANKS_WORDS = frozenset({
    "thanks", "thank", "thx", "ty", "tysm", "cheers", "appreciate", "appreciated", "great", "awesome", "nice",
    "perfect", "cool", "excellent", "amazing", "love", "loved", "brilliant", "fantastic", "wonderful",
})
# What an item with no unit is taken to feel: thanks lean positive; otherwise nothing is known, and neutral leads by
# just enough that a survey score, where there is one, decides.
THANKS = np.array([0.1, 0.3, 0.6])
NO_WORDS = np.array([0.3, 0.4, 0.3])
# A survey score's likelihood of each class (step 4 above): a low score, a middling one and a high one.
SURVEY_LOW = np.array([2.0, 1.0, 0.5])
SURVEY_HIGH = np.array([0.5, 1.0, 2.0])
# Items read per transaction by the backfill: a chunk's units and vectors (384 floats each) fit in a few MB.
BACKFILL_CHUNK = 1000
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class SentimentModel:
    """The shipped classifier: one row of weights and a bias per class, for vectors of one embedding model."""

    weights: np.ndarray  # (3, dimensions)
    bias: np.ndarray  # (3,)
    encoder: str  # the embedding model whose vectors it reads, e.g. "all-MiniLM-L6-v2"

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """p(negative), p(neutral), p(positive) for each row of vectors."""
        logits = np.asarray(vectors, dtype=np.float32) @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    def reads(self, model_version: str) -> bool:
        """Whether vectors stored under this Embedding.model_version are of the model the weights were fitted on."""
        return model_version.split("/", 1)[0] == self.encoder


@functools.lru_cache(maxsize=1)
def sentiment_model() -> SentimentModel:
    """The shipped weights, loaded once per process."""
    with np.load(WEIGHTS_PATH) as stored:
        if tuple(stored["classes"]) != tuple(CLASSES):
            raise ValueError(f"{WEIGHTS_PATH} holds classes {tuple(stored['classes'])}, not {CLASSES}")
        return SentimentModel(weights=stored["weights"], bias=stored["bias"], encoder=str(stored["encoder"]))


@dataclass(frozen=True)
class Reading:
    """A sentiment read: the class probabilities, the likeliest class as the label, p(pos) - p(neg) as the score."""

    probabilities: np.ndarray

    @property
    def label(self) -> str:
        return CLASSES[int(np.argmax(self.probabilities))]

    @property
    def score(self) -> float:
        return round(float(self.probabilities[POSITIVE] - self.probabilities[NEGATIVE]), 4)


def survey_likelihood(*, nps_score: int | None, rating: Decimal | float | None) -> np.ndarray | None:
    """How a survey's own score weighs each class, or None without one; NPS first, since it is the survey's question."""
    if nps_score is not None:
        score, low, high = float(nps_score), 6, 9
    elif rating is not None and float(rating) > 5:
        score, low, high = float(rating), 6, 9  # on a 0-10 scale
    elif rating is not None:
        score, low, high = float(rating), 2, 4  # CSAT 1-5
    else:
        return None
    if score <= low:
        return SURVEY_LOW
    if score >= high:
        return SURVEY_HIGH
    return None


def item_reading(
    *, unit_probabilities: np.ndarray, text: str, nps_score: int | None = None, rating: Decimal | float | None = None
) -> Reading:
    """An item's sentiment from its units' probabilities (one row each; none for an item without units), its text
    (read only when it has no unit) and its survey score."""
    units = np.asarray(unit_probabilities, dtype=np.float64).reshape(-1, len(CLASSES))
    if len(units) == 0:
        words = {word.lower() for word in _WORD.findall(text)}
        evidence = THANKS if words & THANKS_WORDS else NO_WORDS
    else:
        labels = units.argmax(axis=1)
        scores = units[:, POSITIVE] - units[:, NEGATIVE]
        if (labels == NEGATIVE).any():
            evidence = units[int(np.argmin(scores))]
        elif (labels == POSITIVE).any():
            evidence = units[int(np.argmax(scores))]
        else:
            evidence = units.mean(axis=0)
    likelihood = survey_likelihood(nps_score=nps_score, rating=rating)
    if likelihood is not None:
        evidence = evidence * likelihood
    return Reading(evidence / evidence.sum())


def units_probabilities(*, units: Iterable[FeedbackUnit]) -> dict[int, np.ndarray]:
    """Class probabilities of each unit whose stored vector the shipped weights can read, by embedding id."""
    model = sentiment_model()
    embedding_ids = {unit.embedding_id for unit in units if unit.embedding_id is not None}
    rows = Embedding.objects.filter(pk__in=list(embedding_ids)).values_list("pk", "model_version", "vector")
    readable = {pk: vector_from_bytes(vector) for pk, version, vector in rows if model.reads(version)}
    if len(readable) < len(embedding_ids):
        logger.warning(
            "Sentiment: %d vectors are not of %s, which the weights were fitted on; their units stay unmeasured",
            len(embedding_ids) - len(readable), model.encoder,
        )
    if not readable:
        return {}
    ids = list(readable)
    return dict(zip(ids, model.probabilities(np.stack([readable[pk] for pk in ids])), strict=True))


def feedback_sentiment_set(*, items: list[FeedbackItem], units: list[FeedbackUnit]) -> None:
    """Read the sentiment of the items' units from their stored vectors, and of the items from their units and
    survey scores. Units and items are changed in place; the caller saves them."""
    probabilities = units_probabilities(units=units)
    by_item: dict[int, list[FeedbackUnit]] = {}
    for unit in units:
        by_item.setdefault(unit.item_id, []).append(unit)
        read = probabilities.get(unit.embedding_id)
        reading = None if read is None else Reading(read)
        unit.sentiment, unit.sentiment_score = ("", None) if reading is None else (reading.label, reading.score)
    for item in items:
        own = by_item.get(item.pk, [])
        measured = [probabilities[unit.embedding_id] for unit in own if unit.embedding_id in probabilities]
        if own and not measured:  # units whose vectors the weights cannot read: not measured
            item.sentiment, item.sentiment_score = "", None
            continue
        reading = item_reading(
            unit_probabilities=np.array(measured), text=item.text, nps_score=item.nps_score, rating=item.rating
        )
        item.sentiment, item.sentiment_score = reading.label, reading.score


def feedback_sentiment_backfill(
    *, chunk: int = BACKFILL_CHUNK, progress: Callable[[int, int], None] | None = None
) -> int:
    """Give processed items that have no sentiment yet (processed before it existed) theirs and their units', from
    the stored vectors; returns how many items were read. progress(done, total) is called per chunk."""
    blank = FeedbackItem.objects.filter(status=FeedbackItem.Status.PROCESSED, sentiment="").order_by("pk")
    total = blank.count()
    done = 0
    last_pk = 0
    while ids := list(blank.filter(pk__gt=last_pk).values_list("pk", flat=True)[:chunk]):
        last_pk = ids[-1]
        with transaction.atomic():
            # Locked, so that an item re-processed meanwhile keeps what processing read for its new units.
            items = list(
                FeedbackItem.objects.select_for_update()
                .filter(pk__in=ids, status=FeedbackItem.Status.PROCESSED, sentiment="")
                .only("pk", "text", "nps_score", "rating", "sentiment", "sentiment_score")
                .order_by("pk")
            )
            units = list(FeedbackUnit.objects.filter(item__in=items).only("pk", "item_id", "embedding_id"))
            feedback_sentiment_set(items=items, units=units)
            rows_update(units, ["sentiment", "sentiment_score"])
            rows_update(items, ["sentiment", "sentiment_score"])
        done += len(ids)
        if progress is not None:
            progress(done, total)
    return done
