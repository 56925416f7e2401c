import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory
from tests.search.conftest import VERSION, item_with_text, item_with_vectors, random_vectors, unit_vector
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.search.neighbours import neighbours_index_build
from voc.search.selectors import (
    similar_duplicates,
    similar_lookup,
    similar_to_item,
    similar_to_text,
    similar_to_theme,
    similar_to_unit,
)
from voc.themes.models import ClusterRun, Theme

pytestmark = pytest.mark.django_db


def near(vector, amount: float, seed: int = 0) -> np.ndarray:
    """A vector at a controlled distance from `vector`."""
    return unit_vector(vector + amount * random_vectors(1, seed=seed)[0])


def test_an_items_nearest_feedback_comes_best_first_without_the_item_itself():
    vectors = random_vectors(30, seed=4)
    source = item_with_vectors(vectors[0])
    close, closer, far = (item_with_vectors(near(vectors[0], 0.6, 1)), item_with_vectors(near(vectors[0], 0.2, 2)),
                          item_with_vectors(vectors[20]))

    results = similar_to_item(item_id=source.pk)

    assert [result.item for result in results] == [closer, close, far]
    assert results[0].similarity > results[1].similarity > results[2].similarity


def test_each_item_is_listed_once_through_its_closest_unit():
    vectors = random_vectors(30, seed=5)
    source = item_with_vectors(vectors[0])
    two_problems = item_with_vectors(near(vectors[0], 0.5, 1), near(vectors[0], 0.1, 2))

    [result] = similar_to_item(item_id=source.pk)

    assert result.item == two_problems
    assert result.unit.position == 1
    assert result.words == "Problem 1 here."


def test_a_multi_problem_item_finds_what_is_near_any_of_its_problems():
    vectors = random_vectors(30, seed=6)
    source = item_with_vectors(vectors[0], vectors[20])
    like_first, like_second = item_with_vectors(near(vectors[0], 0.1, 1)), item_with_vectors(near(vectors[20], 0.1, 2))
    item_with_vectors(vectors[10])

    results = similar_to_item(item_id=source.pk, limit=2)

    assert {result.item for result in results} == {like_first, like_second}


def test_results_carry_the_units_theme_and_the_items_account():
    theme, account = Theme.objects.create(name="Card delivery"), AccountFactory(name="Acme")
    vectors = random_vectors(2, seed=7)
    source = item_with_vectors(vectors[0])
    item_with_vectors(near(vectors[0], 0.2), theme=theme, account=account)

    [result] = similar_to_item(item_id=source.pk)

    assert (result.unit.theme, result.item.account) == (theme, account)


def test_a_unit_finds_feedback_like_its_own_words_and_not_its_sibling_units():
    vectors = random_vectors(30, seed=8)
    source = item_with_vectors(vectors[0], vectors[20])
    like_second = item_with_vectors(near(vectors[20], 0.1))
    item_with_vectors(near(vectors[0], 0.1))

    results = similar_to_unit(unit_id=source.units.get(position=1).pk, limit=1)

    assert [result.item for result in results] == [like_second]


def test_a_theme_finds_the_feedback_nearest_its_centroid():
    vectors = random_vectors(30, seed=9)
    ClusterRun.objects.create(model_version=VERSION, status=ClusterRun.Status.DONE)
    theme = Theme.objects.create(name="Card delivery", centroid=vectors[10].tobytes())
    central, off_centre = item_with_vectors(near(vectors[10], 0.1, 1)), item_with_vectors(near(vectors[10], 0.8, 2))
    item_with_vectors(vectors[0])

    results = similar_to_theme(theme_id=theme.pk, limit=2)

    assert [result.item for result in results] == [central, off_centre]


def test_a_theme_without_a_centroid_is_placed_at_the_mean_of_its_members():
    vectors = random_vectors(30, seed=10)
    theme = Theme.objects.create(name="Emerging")
    item_with_vectors(near(vectors[10], 0.2, 1), theme=theme)
    item_with_vectors(near(vectors[10], 0.2, 2), theme=theme)
    item_with_vectors(vectors[0])

    results = similar_to_theme(theme_id=theme.pk, limit=2)

    assert {result.unit.theme for result in results} == {theme}


def test_a_theme_with_nothing_embedded_has_no_similar_feedback():
    assert similar_to_theme(theme_id=Theme.objects.create(name="New").pk) == []


def test_missing_items_units_and_themes_are_none_not_errors():
    assert similar_to_item(item_id=999_999) is None
    assert similar_to_unit(unit_id=999_999) is None
    assert similar_to_theme(theme_id=999_999) is None
    assert similar_lookup(item_id=999_999) is None


def test_a_processed_item_with_no_feedback_content_has_nothing_similar():
    item_with_vectors(random_vectors(1)[0])
    thanks = FeedbackItemFactory(text="thanks!", status=FeedbackItem.Status.PROCESSED, units=False)

    assert similar_to_item(item_id=thanks.pk) == []


def test_deleted_units_drop_out_of_an_index_built_before(settings):
    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 1
    vectors = random_vectors(20, seed=11)
    source = item_with_vectors(vectors[0])
    gone = item_with_vectors(near(vectors[0], 0.05))
    for vector in vectors[1:]:
        item_with_vectors(vector)
    neighbours_index_build(version=VERSION)

    gone.delete()

    assert gone.pk not in {result.item.pk for result in similar_to_item(item_id=source.pk)}


# --- With the real encoder ------------------------------------------------------------------------


def test_free_text_is_embedded_by_the_feedback_encoder_and_finds_feedback_by_meaning():
    card = item_with_text("I ordered a new card two weeks ago and it still has not been delivered.")
    item_with_text("How do I reset the password of my online banking?")
    item_with_text("I was charged twice for the same coffee.")

    results = similar_to_text(text="my card never arrived")

    assert results[0].item == card
    assert len(results) == 3


def test_an_item_not_processed_yet_is_compared_by_its_text():
    charged = item_with_text("There are two identical payments for one purchase on my statement.")
    item_with_text("How do I reset the password of my online banking?")
    pending = FeedbackItemFactory(text="I was charged twice for one thing I bought", units=False)

    results = similar_to_item(item_id=pending.pk)

    assert results[0].item == charged


# --- Likely duplicates ------------------------------------------------------------------------------


def test_likely_duplicates_are_the_accounts_similar_feedback_of_the_last_thirty_days():
    account, other = AccountFactory(), AccountFactory()
    now = timezone.now()
    source = item_with_text("My new card has not arrived yet.", account=account)
    same = [
        item_with_text("Still waiting for my card to be delivered.", account=account),
        item_with_text("The card I ordered last week never came.", account=account),
    ]
    item_with_text("How do I change my PIN?", account=account)  # unlike
    item_with_text("My card still hasn't arrived.", account=other)  # another account
    item_with_text("Where is my card? It has not arrived.", account=account,
                   occurred_at=now - dt.timedelta(days=45))  # too long ago

    duplicates = similar_duplicates(item_id=source.pk)

    assert {result.item for result in duplicates} == set(same)


def test_an_item_without_an_account_has_no_duplicates():
    source = item_with_text("My new card has not arrived yet.")
    item_with_text("Still waiting for my card to be delivered.")

    assert similar_duplicates(item_id=source.pk) == []


def test_duplicates_are_judged_in_the_latest_fits_centred_space_by_its_member_similarity():
    from voc.themes.clustering import ThemeModel

    account = AccountFactory()
    vectors = random_vectors(30, seed=12)
    source = item_with_vectors(vectors[0], account=account)
    close = item_with_vectors(near(vectors[0], 0.3, 1), account=account)
    item_with_vectors(near(vectors[0], 3.0, 2), account=account)
    model = ThemeModel(mean=vectors.mean(axis=0), prototypes=vectors[:1], prototype_themes=np.zeros(1, dtype=int),
                       threshold=0.0, member_similarity=0.8)
    ClusterRun.objects.create(model_version=VERSION, status=ClusterRun.Status.DONE, model=model.to_bytes(),
                              finished_at=timezone.now())

    duplicates = similar_duplicates(item_id=source.pk)

    assert [result.item for result in duplicates] == [close]
    stored = np.frombuffer(FeedbackUnit.objects.get(item=close).embedding.vector, dtype=np.float32)
    expected = unit_vector(stored - model.mean) @ unit_vector(vectors[0] - model.mean)
    assert duplicates[0].similarity == pytest.approx(float(expected), abs=1e-4)
