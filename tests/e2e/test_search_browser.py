"""A PM searches feedback for "apple pay", asks for more like one result, and keeps only mostly negative themes."""

import pytest

from tests.factories import SourceFactory, UserFactory
from voc.core.roles import PRODUCT
from voc.feedback.models import FeedbackItem, FeedbackUnit, Sentiment, Source
from voc.feedback.pipeline import feedback_process_pending
from voc.feedback.services import feedback_ingest_batch
from voc.ranking.services import rankings_refresh, weeks_refresh
from voc.themes.services import themes_recluster

pytestmark = pytest.mark.django_db(transaction=True)

COMPLAINTS = [
    "Apple Pay keeps failing at every checkout, this is terrible",
    "My Apple Pay payment was declined again, so frustrating",
    "Apple pay does not work with my card, awful experience",
    "Why is Apple Pay broken again? I am really annoyed",
    "Apple Pay stopped working on my phone and nobody helps, horrible",
    "Terrible: apple pay rejected my card twice today",
]
PRAISE = [
    "Love the new savings pots, great feature",
    "The savings pots are brilliant, thank you",
    "Great job on savings pots, really useful",
    "Savings pots are wonderful, love them",
    "Really happy with the savings pots feature",
    "The savings pots work beautifully, excellent",
]


@pytest.fixture
def processed_feedback():
    records = [{"external_id": f"t{n}", "text": text} for n, text in enumerate(COMPLAINTS + PRAISE)]
    feedback_ingest_batch(source=SourceFactory(name="tickets", kind=Source.Kind.ZENDESK), records=records)
    feedback_process_pending()
    themes_recluster()
    weeks_refresh(weeks=12)
    rankings_refresh()


def test_a_pm_searches_opens_more_like_this_and_filters_by_negative_sentiment(
    live_server, page, screenshot, processed_feedback
):
    UserFactory(username="pat", roles=[PRODUCT])
    page.goto(f"{live_server.url}/admin/login/?next=/feedback/")
    page.fill("#id_username", "pat")
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.click("input[type=submit]")

    page.fill("input[name=q]", "apple pay")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    results = page.inner_text("main")
    assert "savings pots" not in results.lower()
    assert page.locator("mark").count() >= len(COMPLAINTS)  # each match highlights the words searched
    screenshot("search-apple-pay")

    first = FeedbackItem.objects.get(text=COMPLAINTS[0])
    page.goto(f"{live_server.url}/feedback/{first.pk}/")
    with page.expect_navigation():
        page.click("text=More like this >> nth=0")
    similar = page.inner_text("main").lower()
    assert "apple pay" in similar
    if "savings pots" in similar:  # praise may follow, far down, but never before the other complaints
        assert similar.find("apple pay") < similar.find("savings pots")
    screenshot("more-like-this")

    negative_themes = set(
        FeedbackUnit.objects.filter(sentiment=Sentiment.NEGATIVE, theme__isnull=False)
        .values_list("theme__name", flat=True)
    )
    assert negative_themes, "the complaints are read as negative"
    page.goto(f"{live_server.url}/admin/ranking/")
    page.select_option("#id_sentiment", "negative")
    with page.expect_navigation():
        page.click("#ranking-filters button[type=submit]")
    shown = page.inner_text("#ranked-themes")
    assert any(name in shown for name in negative_themes)
    assert "savings" not in shown.lower()
    screenshot("ranking-mostly-negative")
