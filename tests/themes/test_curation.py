import uuid

import numpy as np
import pytest

from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.feedback.models import FeedbackItem, FeedbackUnit
from voc.ranking.models import ThemeRanking
from voc.ranking.services import rankings_refresh
from voc.themes.curation import items_move, theme_merge, theme_split, theme_split_proposal
from voc.themes.models import Curation, Embedding, ProductArea, Theme, ThemeEvent
from voc.themes.services import _clusterable_units

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm():
    return UserFactory(roles=[PRODUCT])


def themed(theme, count):
    return [FeedbackItemFactory(theme=theme, status=FeedbackItem.Status.PROCESSED) for _ in range(count)]


MODEL_VERSION = "hand-made/vectors"
DIMENSIONS = 32
CARD_TEXTS = [f"My new card has not arrived yet, ordered {n} days ago" for n in range(12)]
TOP_UP_TEXTS = [f"Top up failed with an error on attempt {n}" for n in range(10)]


def themed_near(theme, texts, *, axis, seed):
    """Items of `theme` whose stored vectors lie close together around one axis, far from other axes."""
    noise = np.random.default_rng(seed).standard_normal((len(texts), DIMENSIONS)) * 0.05
    vectors = noise + np.eye(DIMENSIONS)[axis]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = []
    for text, vector in zip(texts, vectors.astype(np.float32), strict=True):
        embedding = Embedding.objects.create(
            text_hash=uuid.uuid4().hex, model_version=MODEL_VERSION, vector=vector.tobytes()
        )
        processed = FeedbackItem.Status.PROCESSED
        item = FeedbackItemFactory(theme=theme, text=text, embedding=embedding, status=processed)
        items.append(item)
    return items


@pytest.fixture
def mixed_theme():
    """A locked theme holding two unrelated problems, 12 about cards and 10 about top-ups, and one item unembedded."""
    area = ProductArea.objects.create(name="Cards", slug="cards")
    theme = Theme.objects.create(
        name="Card top up", locked=True, product_area=area, status=Theme.Status.PLANNED, size=23
    )
    themed_near(theme, CARD_TEXTS, axis=0, seed=1)
    themed_near(theme, TOP_UP_TEXTS, axis=1, seed=2)
    FeedbackItemFactory(theme=theme, text="Unembedded so far", status=FeedbackItem.Status.PROCESSED)
    return theme


def test_merging_moves_the_units_pins_them_and_retires_the_others(pm):
    target, other, third = (Theme.objects.create(name=name, size=size) for name, size in
                            (("Card delivery", 3), ("Card arrival", 2), ("Where is my card", 1)))
    own = themed(target, 3)
    themed(other, 2), themed(third, 1)
    moved = theme_merge(sources=[target, other, third], target=target, user=pm)
    assert moved == 3
    assert FeedbackItem.objects.filter(theme=target).count() == 6
    pinned = FeedbackUnit.objects.filter(theme=target, theme_assigned_by=FeedbackUnit.ThemeAssignedBy.PERSON)
    assert pinned.count() == 3
    assert not pinned.filter(item__in=own).exists()
    other.refresh_from_db()
    target.refresh_from_db()
    assert other.merged_into == target
    assert other.retired_at is not None
    assert target.size == 6
    assert ThemeEvent.objects.filter(theme=other, kind="merged_into", other_theme=target, items_moved=2).exists()
    audit = Curation.objects.get(theme=target)
    assert (audit.action, audit.user, audit.detail["items"]) == ("merge", pm, 3)


def test_merged_units_stay_out_of_reclustering(pm):
    target, other = Theme.objects.create(name="A"), Theme.objects.create(name="B")
    [moved] = themed(other, 1)
    theme_merge(sources=[other], target=target, user=pm)
    assert moved.units.get().pk not in _clusterable_units("any model")[0]


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
    done = client.post("/admin/themes/theme/", selected | {"target": first.pk}, follow=True)
    assert "Merged 1 theme into “First” (2 items moved)." in done.content.decode()
    assert FeedbackItem.objects.filter(theme=first).count() == 2
    assert Theme.objects.get(pk=second.pk).merged_into_id == first.pk


def test_the_admin_merge_message_counts_the_themes_merged(client, pm):
    client.force_login(pm)
    first, second, third = (Theme.objects.create(name=name) for name in ("First", "Second", "Third"))
    themed(third, 1)
    selected = {"action": "merge_themes", "_selected_action": [first.pk, second.pk, third.pk], "target": first.pk}
    done = client.post("/admin/themes/theme/", selected, follow=True)
    assert "Merged 2 themes into “First” (1 item moved)." in done.content.decode()


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


def test_splitting_keeps_the_largest_part_in_the_theme_and_makes_a_new_theme_of_the_rest(pm, mixed_theme):
    kept, *new_themes = theme_split(theme=mixed_theme, user=pm)
    assert kept.pk == mixed_theme.pk
    [new] = new_themes
    assert set(new.items.values_list("text", flat=True)) == set(TOP_UP_TEXTS)
    assert set(kept.items.values_list("text", flat=True)) == {*CARD_TEXTS, "Unembedded so far"}
    assert (kept.size, new.size) == (13, 10)
    # Named the way the engine names themes, from each part's own texts.
    assert set(new.name.lower().split()) <= set(TOP_UP_TEXTS[0].lower().split())
    assert set(kept.name.lower().split()) <= set(CARD_TEXTS[0].lower().replace(",", "").split())
    assert len(new.representative_unit_ids) == 3
    assert set(new.representative_unit_ids) <= set(new.units.values_list("pk", flat=True))
    assert (new.product_area, new.status, new.locked) == (mixed_theme.product_area, Theme.Status.NEW, False)
    assert (kept.status, kept.locked) == (Theme.Status.PLANNED, True)


def test_split_off_items_are_pinned_and_the_split_is_recorded(pm, mixed_theme):
    _, new = theme_split(theme=mixed_theme, user=pm)
    assert set(new.units.values_list("theme_assigned_by", flat=True)) == {FeedbackUnit.ThemeAssignedBy.PERSON}
    assert not mixed_theme.units.filter(theme_assigned_by=FeedbackUnit.ThemeAssignedBy.PERSON).exists()
    assert not set(new.units.values_list("pk", flat=True)) & set(_clusterable_units(MODEL_VERSION)[0])
    event = ThemeEvent.objects.get(theme=new)
    assert (event.kind, event.other_theme_id, event.items_moved) == ("split_from", mixed_theme.pk, 10)
    audit = Curation.objects.get(theme=mixed_theme)
    assert (audit.action, audit.user, audit.detail["items"]) == ("split", pm, 10)
    assert audit.detail["parts"] == [{"id": new.pk, "name": new.name, "items": 10}]


def test_the_proposal_changes_nothing(mixed_theme):
    parts = theme_split_proposal(theme=mixed_theme)
    assert [part.size for part in parts] == [12, 10]
    assert all(len(part.quotes) == 3 for part in parts)
    assert Theme.objects.count() == 1
    assert not Curation.objects.exists()


def test_a_one_item_theme_cannot_be_split(pm):
    theme = Theme.objects.create(name="Lonely")
    themed_near(theme, ["Just me"], axis=0, seed=0)
    with pytest.raises(ValueError, match="has 1 item with a stored vector; splitting needs at least 10"):
        theme_split(theme=theme, user=pm)


def test_a_theme_without_stored_vectors_cannot_be_split(pm):
    theme = Theme.objects.create(name="Not embedded yet")
    themed(theme, 12)
    with pytest.raises(ValueError, match="has 0 items with a stored vector"):
        theme_split(theme=theme, user=pm)
    assert Theme.objects.count() == 1


def test_a_retired_theme_cannot_be_split(pm, mixed_theme):
    Theme.objects.filter(pk=mixed_theme.pk).update(retired_at="2026-01-01T00:00:00Z")
    mixed_theme.refresh_from_db()
    with pytest.raises(ValueError, match="retired"):
        theme_split(theme=mixed_theme, user=pm)


def test_moving_items_into_a_retired_theme_is_refused(pm):
    source = Theme.objects.create(name="A")
    retired = Theme.objects.create(name="Old", retired_at="2026-01-01T00:00:00Z")
    [item] = themed(source, 1)
    with pytest.raises(ValueError, match="retired"):
        items_move(item_ids=[item.pk], target=retired, user=pm)
    assert FeedbackItem.objects.get(pk=item.pk).theme == source


def test_the_admin_split_action_shows_the_parts_then_splits(client, pm, mixed_theme):
    client.force_login(pm)
    selected = {"action": "split_theme", "_selected_action": [mixed_theme.pk]}
    page = client.post("/admin/themes/theme/", selected)
    assert page.status_code == 200
    assert b"Split into 2 themes" in page.content
    assert any(text.encode() in page.content for text in TOP_UP_TEXTS)
    assert Theme.objects.count() == 1
    done = client.post("/admin/themes/theme/", selected | {"confirm": "yes"}, follow=True)
    assert "it keeps 13 items" in done.content.decode()
    assert Theme.objects.count() == 2
    assert Curation.objects.filter(theme=mixed_theme, action="split", user=pm).exists()


def test_the_admin_says_why_a_theme_cannot_be_split(client, pm):
    client.force_login(pm)
    theme = Theme.objects.create(name="Not embedded yet")
    selected = {"action": "split_theme", "_selected_action": [theme.pk]}
    response = client.post("/admin/themes/theme/", selected, follow=True)
    assert "Cannot split: “Not embedded yet” has 0 items with a stored vector" in response.content.decode()


def test_customer_success_is_neither_offered_nor_allowed_to_split(client, mixed_theme):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    assert b"split_theme" not in client.get("/admin/themes/theme/").content
    selected = {"action": "split_theme", "_selected_action": [mixed_theme.pk], "confirm": "yes"}
    forged = client.post("/admin/themes/theme/", selected)
    assert forged.status_code == 403
    assert Theme.objects.count() == 1
    assert not Curation.objects.exists()


def test_a_merge_refreshes_the_ranked_list_once_it_is_committed(django_capture_on_commit_callbacks):
    kept, merged = Theme.objects.create(name="Card delivery"), Theme.objects.create(name="Card never arrived")
    for theme in (kept, merged, merged):
        FeedbackItemFactory(theme=theme, account=AccountFactory(), status=FeedbackItem.Status.PROCESSED)
    rankings_refresh()
    assert ThemeRanking.objects.get(theme=kept, period_days=90, slice="").mentions == 1

    with django_capture_on_commit_callbacks(execute=True):
        theme_merge(sources=[merged], target=kept, user=None)

    assert ThemeRanking.objects.get(theme=kept, period_days=90, slice="").mentions == 3
    assert not ThemeRanking.objects.filter(theme=merged).exists()
