"""bench.pages' synthetic data set, written with COPY: each item is one unit of its whole text in its theme, which is
what the ranking counts, and each theme's size and quotes come from those units."""

from types import SimpleNamespace

import pytest

from bench.pages import _load
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
