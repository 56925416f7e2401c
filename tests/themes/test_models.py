import pytest

from voc.themes.models import Curation, Theme, ThemeEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme():
    return Theme.objects.create(name="Card arrival")


@pytest.mark.parametrize(
    ("kind", "items", "sentence"),
    [
        (ThemeEvent.Kind.BORN, 101, "Born with 101 items"),
        (ThemeEvent.Kind.BORN, 1, "Born with 1 item"),
        (ThemeEvent.Kind.GREW, 2, "Grew by 2 items"),
        (ThemeEvent.Kind.SHRANK, 1, "Shrank by 1 item"),
        (ThemeEvent.Kind.RETIRED, 0, "Retired"),
    ],
)
def test_a_lineage_event_reads_as_a_sentence_with_its_count_pluralised(theme, kind, items, sentence):
    event = ThemeEvent.objects.create(theme=theme, kind=kind, items_moved=items)
    assert event.sentence == sentence


def test_a_merge_names_the_theme_on_each_side(theme):
    target = Theme.objects.create(name="Card delivery", human_name="Cards arrive late")
    event = ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.MERGED_INTO, other_theme=target, items_moved=3)
    assert event.sentence == "Merged into “Cards arrive late” (3 items)"
    assert event.sentence_for_other == "“Card arrival” merged into this theme (3 items)"


def test_an_event_whose_other_theme_is_gone_leaves_no_empty_slot(theme):
    event = ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.SPLIT_FROM, other_theme=None, items_moved=1)
    assert event.sentence == "Split from another theme (1 item)"


def test_a_curation_says_what_the_person_did(theme):
    merge = Curation(theme=theme, action=Curation.Action.MERGE,
                     detail={"merged": [{"id": 7, "name": "Card limits"}], "items": 1})
    split = Curation(theme=theme, action=Curation.Action.SPLIT,
                     detail={"parts": [{"id": 8, "name": "Top up", "items": 10}], "items": 10, "kept": 13})
    rename = Curation(theme=theme, action=Curation.Action.RENAME,
                      detail={"field": "human_name", "before": "", "after": "Cards arrive late"})
    moved = Curation(theme=theme, action=Curation.Action.MOVE_ITEMS, detail={"items": [4, 5], "from_themes": [2]})
    assert merge.summary == "Merged “Card limits” into this theme (1 item)"
    assert split.summary == "Split off “Top up” (10 items); 13 items stayed"
    assert rename.summary == "Name: none → “Cards arrive late”"
    assert moved.summary == "Moved 2 items into this theme by hand"
