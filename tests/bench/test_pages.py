"""bench.pages' synthetic data set, written with COPY: each item is one unit of its whole text in its theme, which is
what the ranking counts, and each theme's size and quotes come from those units."""

from types import SimpleNamespace

import pytest

from bench.pages import _intent_texts, _load, _loaded
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.feedback.units import UNITS_VERSION
from voc.themes.models import Theme

pytestmark = pytest.mark.services  # COPY and TRUNCATE: PostgreSQL only

DATA_SET = SimpleNamespace(items=300, themes=12, accounts=40, seed=0)


def test_every_item_is_one_unit_of_its_whole_text_in_its_theme(db):
    _load(DATA_SET)

    units = list(FeedbackUnit.objects.select_related("item"))
    assert len(units) == FeedbackItem.objects.count() == DATA_SET.items
    assert [(unit.position, unit.words, unit.theme_id) for unit in units] == [
        (0, unit.item.text, unit.item.theme_id) for unit in units
    ]
    assert all(unit.theme_id and unit.embedding_id is None for unit in units)
    assert set(FeedbackItem.objects.values_list("units_version", flat=True)) == {UNITS_VERSION}


def test_each_themes_size_and_quotes_are_its_units(db):
    _load(DATA_SET)

    for theme in Theme.objects.all():
        members = list(FeedbackUnit.objects.filter(theme=theme).order_by("pk").values_list("pk", flat=True))
        assert (theme.size, theme.representative_unit_ids) == (len(members), members[:3])


# Committed between loads, as between two runs: TRUNCATE refuses rows whose deferred key checks are still pending.
@pytest.mark.django_db(transaction=True)
def test_loading_again_replaces_the_data_set():
    _load(DATA_SET)
    _load(DATA_SET)

    assert FeedbackUnit.objects.count() == FeedbackItem.objects.count() == DATA_SET.items


def test_each_item_says_a_banking77_text_of_its_themes_intent(db):
    _load(DATA_SET)

    intents, texts_of_intent = _intent_texts()
    for item in FeedbackItem.objects.select_related("theme")[:50]:
        intent = item.theme.name.split(" / ", 1)[1].replace(" ", "_")
        assert intent in intents
        assert item.text in texts_of_intent[intent]


def test_a_data_set_with_the_old_made_up_texts_is_loaded_again(db):
    _load(DATA_SET)
    assert _loaded(DATA_SET)

    FeedbackItem.objects.filter(pk=FeedbackItem.objects.order_by("pk").first().pk).update(
        text="Feedback 0: the problem again, theme 1"
    )

    assert not _loaded(DATA_SET)
