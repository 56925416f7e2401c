import pytest

pytestmark = pytest.mark.django_db


def test_the_favicon_is_voc_s_icon_not_a_404(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_the_login_page_says_voc_not_django(client):
    page = client.get("/admin/login/").content.decode()

    assert "Django administration" not in page
    assert "voc" in page
    assert "favicon.svg" in page
