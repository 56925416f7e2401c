"""The digest email as a mail client would lay it out: built from the demo data, rendered by headless Chromium
to test-artifacts/digest.png, so the layout can be looked at."""

import pytest
from django.core.management import call_command

from voc.demo.services import demo_load
from voc.digests.rendering import digest_render
from voc.digests.selectors import DigestFilters, digest_build

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_digest(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demo_load(limit=400)
    call_command("voc_pipeline", verbosity=0)
    return digest_build(filters=DigestFilters())


def test_the_demo_digest_renders_with_movers_explained_in_words(demo_digest, page, screenshot, tmp_path):
    assert demo_digest.risers, "the demo data should have a theme that rose this week"
    html = tmp_path / "digest.html"
    html.write_text(digest_render(demo_digest, inline_images=False, unsubscribe_url="http://voc.test/u/").html)
    page.set_viewport_size({"width": 700, "height": 900})

    page.goto(html.as_uri())
    path = screenshot("digest")

    assert page.get_by_role("heading", name="Top themes").is_visible()
    assert page.get_by_role("heading", name="What moved").is_visible()
    riser = demo_digest.risers[0]
    assert page.get_by_text(riser.reason, exact=False).first.is_visible()
    assert "in the last 7 days" in riser.reason
    # Every sparkline drew: an image that failed to load has no natural width.
    widths = page.eval_on_selector_all("img", "images => images.map(image => image.naturalWidth)")
    assert widths
    assert all(width == 240 for width in widths)
    # The top five fit one screen of a laptop mail client.
    top_five_bottom = page.locator("text=What moved").bounding_box()["y"]
    assert top_five_bottom < 1100
    assert path.stat().st_size > 20_000
