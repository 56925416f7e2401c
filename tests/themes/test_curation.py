import pytest

from tests.factories import FeedbackItemFactory, UserFactory
from voc.core.roles import PRODUCT
from voc.feedback.models import FeedbackItem
from voc.themes.curation import items_move, theme_merge
from voc.themes.models import Curation, Theme, ThemeEvent
from voc.themes.services import _clusterable_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm():
    return UserFactory(roles=[PRODUCT])


def themed(theme, count):
    return [FeedbackItemFactory(theme=theme, status=FeedbackItem.Status.PROCESSED) for _ in range(count)]


def test_merging_moves_the_items_pins_them_and_retires_the_others(pm):
    target, other, third = (Theme.objects.create(name=name, size=size) for name, size in
                            (("Card delivery", 3), ("Card arrival", 2), ("Where is my card", 1)))
    own = themed(target, 3)
    themed(other, 2), themed(third, 1)
    moved = theme_merge(sources=[target, other, third], target=target, user=pm)
    assert moved == 3
    assert FeedbackItem.objects.filter(theme=target).count() == 6
    pinned = FeedbackItem.objects.filter(theme=target, theme_assigned_by=FeedbackItem.ThemeAssignedBy.PERSON)
    assert pinned.count() == 3
    assert not pinned.filter(pk__in=[item.pk for item in own]).exists()
    other.refresh_from_db()
    target.refresh_from_db()
    assert other.merged_into == target
    assert other.retired_at is not None
    assert target.size == 6
    assert ThemeEvent.objects.filter(theme=other, kind="merged_into", other_theme=target, items_moved=2).exists()
    audit = Curation.objects.get(theme=target)
    assert (audit.action, audit.user, audit.detail["items"]) == ("merge", pm, 3)


def test_merged_items_stay_out_of_reclustering(pm):
    target, other = Theme.objects.create(name="A"), Theme.objects.create(name="B")
    [moved] = themed(other, 1)
    theme_merge(sources=[other], target=target, user=pm)
    assert moved.pk not in _clusterable_items("any model")[0]


def test_merging_a_theme_into_itself_is_refused(pm):
    theme = Theme.objects.create(name="A")
    with pytest.raises(ValueError, match="other than"):
        theme_merge(sources=[theme], target=theme, user=pm)


def test_moving_items_pins_them_and_is_audited(pm):
    source, target = Theme.objects.create(name="A"), Theme.objects.create(name="B")
    items = themed(source, 3)
    assert items_move(item_ids=[items[0].pk, items[1].pk], target=target, user=pm) == 2
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.size, target.size) == (1, 2)
    assert Curation.objects.get(theme=target, action="move_items").detail["from_themes"] == [source.pk]


def test_the_admin_merge_action_asks_for_the_target_then_merges(client, pm):
    client.force_login(pm)
    first, second = Theme.objects.create(name="First"), Theme.objects.create(name="Second")
    themed(second, 2)
    selected = {"action": "merge_themes", "_selected_action": [first.pk, second.pk]}
    page = client.post("/admin/themes/theme/", selected)
    assert page.status_code == 200
    assert b"Merge into the chosen theme" in page.content
    done = client.post("/admin/themes/theme/", selected | {"target": first.pk})
    assert done.status_code == 302
    assert FeedbackItem.objects.filter(theme=first).count() == 2
    assert Theme.objects.get(pk=second.pk).merged_into_id == first.pk


def test_renaming_in_the_admin_is_audited(client, pm):
    client.force_login(pm)
    theme = Theme.objects.create(name="Top failed")
    inline = {f"{prefix}-{key}": "0" for prefix in ("events", "curations")
              for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS")}
    response = client.post(
        f"/admin/themes/theme/{theme.pk}/change/",
        {"human_name": "Top-ups failing", "status": "new", "tracker_url": ""} | inline,
    )
    assert response.status_code == 302
    audit = Curation.objects.get(theme=theme, action="rename")
    assert audit.detail == {"field": "human_name", "before": "", "after": "Top-ups failing"}
    assert audit.user == pm
