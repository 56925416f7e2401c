import pytest

from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.themes.models import Curation, Theme, ThemeEvent

pytestmark = pytest.mark.django_db


def test_a_product_person_renames_a_theme_and_the_engine_name_stays_apart(client):
    theme = Theme.objects.create(name="Card arrival", keywords=["card", "arrive"], size=12)
    client.force_login(UserFactory(roles=[PRODUCT]))
    response = client.post(
        f"/admin/themes/theme/{theme.pk}/change/",
        {"human_name": "Cards arrive late", "status": "planned", "tracker_url": "", "product_area": "",
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
         "curations-TOTAL_FORMS": "0", "curations-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.name, theme.display_name, theme.status) == ("Card arrival", "Cards arrive late", "planned")


def test_customer_success_may_see_themes_but_not_change_them(client):
    theme = Theme.objects.create(name="Card arrival")
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    assert client.get("/admin/themes/theme/").status_code == 200
    assert client.post(f"/admin/themes/theme/{theme.pk}/change/", {"human_name": "x"}).status_code == 403


def test_only_product_may_start_a_re_cluster_from_the_admin(client):
    theme = Theme.objects.create(name="Card arrival")
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    assert b"recluster_now" not in client.get("/admin/themes/theme/").content
    forged = {"action": "recluster_now", "_selected_action": [theme.pk]}
    assert client.post("/admin/themes/theme/", forged).status_code == 403
    client.force_login(UserFactory(roles=[PRODUCT]))
    assert b"recluster_now" in client.get("/admin/themes/theme/").content


def test_the_theme_list_filters_emerging_themes(client):
    Theme.objects.create(name="CSV export times out", emerging=True)
    Theme.objects.create(name="Card arrival")
    client.force_login(UserFactory(roles=[PRODUCT]))

    page = client.get("/admin/themes/theme/?emerging__exact=1").content.decode()

    assert "CSV export times out" in page
    assert "Card arrival" not in page


def test_the_curate_page_shows_one_name_keywords_as_chips_and_quotes_as_quotes(client):
    theme = Theme.objects.create(name="Card arrival", keywords=["card", "arrive"], size=1)
    item = FeedbackItemFactory(theme=theme, text="My card never arrived", account=AccountFactory(name="Acme"))
    Theme.objects.filter(pk=theme.pk).update(representative_unit_ids=[item.units.get().pk])
    client.force_login(UserFactory(roles=[PRODUCT]))

    page = client.get(f"/admin/themes/theme/{theme.pk}/change/").content.decode()

    assert '<label for="id_human_name">Name:</label>' in page
    assert "Human name" not in page
    assert "voc's suggestion “Card arrival”" in page  # the engine's name, offered beside the one a PM sets
    assert '<ul class="chips"><li class="chip">card</li><li class="chip">arrive</li></ul>' in page
    assert '<blockquote class="quote">My card never arrived<footer>Acme · ' in page
    assert "&quot;card&quot;" not in page  # no keywords as a JSON list
    assert "Representative item ids" not in page
    assert "1 item<" in page


def test_the_curate_page_tells_the_lineage_and_the_audit_trail_in_sentences(client):
    theme = Theme.objects.create(name="Card arrival", size=101)
    ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.BORN, items_moved=101)
    Curation.objects.create(theme=theme, action=Curation.Action.STATUS,
                            detail={"field": "status", "before": "new", "after": "under_review"})
    client.force_login(UserFactory(roles=[PRODUCT]))

    page = client.get(f"/admin/themes/theme/{theme.pk}/change/").content.decode()

    assert "Born with 101 items" in page
    assert "Status: “New” → “Under review”" in page
    assert "under_review" not in page.split('id="curations-group"')[1]


def test_the_theme_list_counts_items_in_words_and_flags_with_badges(client):
    Theme.objects.create(name="CSV export times out", emerging=True, size=1)
    Theme.objects.create(name="Card arrival", locked=True, size=12)
    client.force_login(UserFactory(roles=[PRODUCT]))

    page = client.get("/admin/themes/theme/").content.decode()

    assert ">1 item<" in page
    assert ">12 items<" in page
    assert '<span class="badge" title="Gathered since the last re-clustering' in page
    assert '<span class="badge" title="The clusterer leaves its members alone">Locked</span>' in page
