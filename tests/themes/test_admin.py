import pytest

from tests.factories import UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.themes.models import Theme

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
