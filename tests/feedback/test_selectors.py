"""Where an item's feedback went: its units, their themes, and what a person is told about it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FeedbackItemFactory
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.feedback.selectors import THEMES_NAMED, TextPart, feedback_placement
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

PROCESSED, PENDING, FAILED = FeedbackItem.Status.PROCESSED, FeedbackItem.Status.PENDING, FeedbackItem.Status.FAILED
THREE_PROBLEMS = "The export times out. Also the SSO login loops. Thanks!"


def item_with_units(text, *units, status=PROCESSED):
    """An item cut into units given as (words, theme); words found in the text keep their offsets."""
    item = FeedbackItemFactory(text=text, status=status, units=False)
    for position, (words, theme) in enumerate(units):
        start = text.find(words)
        if start == -1:
            FeedbackUnit.objects.create(item=item, position=position, text=words, theme=theme)
        else:
            FeedbackUnit.objects.create(item=item, position=position, start=start, end=start + len(words), theme=theme)
    if themed := [theme for _, theme in units if theme is not None]:
        FeedbackItem.objects.filter(pk=item.pk).update(theme=themed[0])
    return item


def test_an_item_in_two_themes_joined_each_once_in_the_order_it_raised_them():
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO login loops")
    item = item_with_units(
        "SSO loops. The export times out. SSO again.", ("SSO loops.", sso), ("The export times out.", export),
        ("SSO again.", sso),
    )
    placement = feedback_placement(item_id=item.pk)
    assert placement.themes == [sso, export]
    assert [unit.words for unit in placement.units] == ["SSO loops.", "The export times out.", "SSO again."]
    assert not placement.has_unsorted
    assert placement.summary == "joined SSO login loops, Export times out"


def test_a_person_given_name_is_what_the_summary_says():
    theme = Theme.objects.create(name="export time big", human_name="Export times out")
    item = item_with_units("The export times out.", ("The export times out.", theme))
    assert feedback_placement(item_id=item.pk).summary == "joined Export times out"


def test_an_item_whose_units_fit_no_theme_is_unsorted_for_now():
    item = item_with_units("Something new entirely.", ("Something new entirely.", None))
    placement = feedback_placement(item_id=item.pk)
    assert (placement.themes, placement.has_unsorted, placement.no_content) == ([], True, False)
    assert placement.summary == "Unsorted for now"


def test_an_item_partly_themed_names_its_themes_and_says_the_rest_is_unsorted():
    export = Theme.objects.create(name="Export times out")
    item = item_with_units(THREE_PROBLEMS, ("The export times out.", export), ("the SSO login loops.", None))
    placement = feedback_placement(item_id=item.pk)
    assert placement.has_unsorted
    assert placement.summary == "joined Export times out; the rest is Unsorted for now"


def test_a_processed_item_without_units_has_no_feedback_content_and_no_theme():
    item = item_with_units("@acme thanks!")
    placement = feedback_placement(item_id=item.pk)
    assert (placement.no_content, placement.themes, placement.has_unsorted) == (True, [], False)
    assert placement.summary == "no feedback content (greetings or thanks only)"


def test_a_pending_item_is_being_sorted_and_never_has_no_content():
    item = item_with_units("The export times out.", status=PENDING)
    placement = feedback_placement(item_id=item.pk)
    assert not placement.no_content
    assert placement.summary == "being sorted — its page will show where it went"


def test_a_failed_item_points_to_its_page():
    item = item_with_units("The export times out.", status=FAILED)
    assert feedback_placement(item_id=item.pk).summary == "could not be sorted — its page says why"


def test_a_long_list_of_themes_names_the_first_few_and_counts_the_rest():
    themes = [Theme.objects.create(name=f"Theme {n}") for n in range(THEMES_NAMED + 2)]
    text = " ".join(f"Problem {n}." for n in range(len(themes)))
    item = item_with_units(text, *((f"Problem {n}.", theme) for n, theme in enumerate(themes)))
    summary = feedback_placement(item_id=item.pk).summary
    assert summary.startswith("joined Theme 0, Theme 1")
    assert summary.endswith(f"Theme {THEMES_NAMED - 1} and 2 more")


def test_a_unit_that_is_not_verbatim_in_the_text_gives_its_own_words():
    item = item_with_units("<p>The export &amp; import fail.</p>", ("The export & import fail.", None))
    [unit] = feedback_placement(item_id=item.pk).units
    assert (unit.words, unit.start) == ("The export & import fail.", None)


def test_the_placement_of_an_item_with_many_units_takes_two_queries():
    theme = Theme.objects.create(name="Export times out")
    text = " ".join(f"Export {n} times out." for n in range(10))
    item = item_with_units(text, *((f"Export {n} times out.", theme) for n in range(10)))
    with CaptureQueriesContext(connection) as queries:
        placement = feedback_placement(item_id=item.pk)
        assert [unit.theme.display_name for unit in placement.units] == ["Export times out"] * 10
    assert len(queries) == 2


def test_a_missing_item_has_no_placement():
    assert feedback_placement(item_id=999_999) is None


# --- Marking each unit in the text ---------------------------------------------------------------


def test_the_text_is_cut_at_each_unit_with_the_words_between_left_unmarked():
    export, sso = Theme.objects.create(name="Export"), Theme.objects.create(name="SSO")
    item = item_with_units(THREE_PROBLEMS, ("The export times out.", export), ("the SSO login loops.", sso))
    placement = feedback_placement(item_id=item.pk)
    first, second = placement.units
    assert placement.text_parts(THREE_PROBLEMS) == [
        TextPart("The export times out.", first), TextPart(" Also "), TextPart("the SSO login loops.", second),
        TextPart(" Thanks!"),
    ]


def test_units_without_offsets_and_a_pending_item_leave_the_text_unmarked():
    html = "<p>The export &amp; import fail.</p>"
    placement = feedback_placement(item_id=item_with_units(html, ("The export & import fail.", None)).pk)
    assert placement.text_parts(html) == [TextPart(html)]
    pending = item_with_units("The export times out.", ("The export times out.", None), status=PENDING)
    assert feedback_placement(item_id=pending.pk).text_parts("The export times out.") == [
        TextPart("The export times out.")
    ]


def test_a_unit_that_overlaps_the_one_before_or_runs_past_the_text_is_not_marked():
    item = FeedbackItemFactory(text="abcdefghij", status=PROCESSED, units=False)
    FeedbackUnit.objects.create(item=item, position=0, start=0, end=6)
    FeedbackUnit.objects.create(item=item, position=1, start=4, end=8)  # overlaps the first
    FeedbackUnit.objects.create(item=item, position=2, start=7, end=40)  # past the end
    parts = feedback_placement(item_id=item.pk).text_parts(item.text)
    assert [(part.text, part.unit and part.unit.number) for part in parts] == [("abcdef", 1), ("ghij", None)]
