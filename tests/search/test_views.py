import uuid

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, UserFactory
from tests.search.conftest import item_with_text, item_with_vectors, random_vectors
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.feedback.forms import manual_source
from voc.feedback.models import FeedbackItem
from voc.themes.models import Theme

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def pm_client(client):
    client.force_login(UserFactory(roles=[PRODUCT]))
    return client


@pytest.fixture
def cs_client(client):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    return client


def test_the_page_lists_an_items_nearest_feedback_with_similarity_theme_and_account(pm_client):
    vectors = random_vectors(30)
    theme, account = Theme.objects.create(name="Card delivery"), AccountFactory(name="Acme")
    source = item_with_vectors(vectors[0])
    near = item_with_vectors(vectors[1], theme=theme, account=account, text=f"Card late {SCRIPT}")

    response = pm_client.get(f"/similar/?item={source.pk}")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="/feedback/{source.pk}/">feedback #{source.pk}</a>' in page
    assert f'<a href="/feedback/{near.pk}/" class="truncate" title="Card late &lt;script&gt;' in page
    assert "<q>Card late &lt;script&gt;" in page
    assert f'<a href="/admin/ranking/{theme.pk}/">Card delivery</a>' in page
    assert f'<a href="/feedback/?account={account.pk}">Acme</a>' in page
    assert f'?unit={near.units.get().pk}"' in page
    assert SCRIPT not in page


def test_the_page_answers_for_a_unit_and_a_theme(pm_client):
    vectors = random_vectors(30)
    theme = Theme.objects.create(name="Card delivery")
    source = item_with_vectors(vectors[0], theme=theme)
    near = item_with_vectors(vectors[1], theme=theme)

    by_unit = pm_client.get(f"/similar/?unit={source.units.get().pk}")
    by_theme = pm_client.get(f"/similar/?theme={theme.pk}")

    assert f"/feedback/{near.pk}/" in by_unit.content.decode()
    assert "Nearest to the theme" in by_theme.content.decode()
    assert f"/feedback/{near.pk}/" in by_theme.content.decode()


def test_free_text_finds_feedback_by_meaning(cs_client):
    card = item_with_text("I ordered a new card two weeks ago and it still has not been delivered.")
    password = item_with_text("How do I reset the password of my online banking?")

    page = cs_client.get("/similar/", {"q": "my card never arrived"}).content.decode()

    assert page.index(f"/feedback/{card.pk}/") < page.index(f"/feedback/{password.pk}/")
    assert 'value="my card never arrived"' in page


def test_without_a_question_the_page_explains_itself(cs_client):
    response = cs_client.get("/similar/")

    assert response.status_code == 200
    assert "Type the words customers use" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("item=abc", "item: Enter a whole number."),
        ("item=-4", "item: Ensure this value is greater than or equal to 1."),
        ("item=1&q=card", "Ask about one thing at a time"),
        ("theme=3&duplicates=1", "Likely duplicates are looked up for one feedback item."),
        (f"q={'x' * 2001}", "q: Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_input_is_answered_with_a_clear_message(cs_client, query, message):
    response = cs_client.get(f"/similar/?{query}")

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(("kind", "label"), [("item", "feedback item"), ("unit", "feedback unit"), ("theme", "theme")])
def test_a_missing_item_unit_or_theme_is_404_with_a_message(cs_client, kind, label):
    response = cs_client.get(f"/similar/?{kind}=999999")

    assert response.status_code == 404
    assert f"No {label} #999999." in response.content.decode()


def test_an_item_with_nothing_similar_says_so(cs_client):
    source = item_with_vectors(random_vectors(1)[0])

    assert "No similar feedback yet" in cs_client.get(f"/similar/?item={source.pk}").content.decode()


def test_the_page_needs_permission_to_view_feedback(client):
    assert client.get("/similar/?q=card").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/similar/?q=card").status_code == 403


def test_the_item_page_links_to_more_like_it_and_like_each_of_its_units(cs_client):
    item = item_with_vectors(*random_vectors(2))
    first, second = item.units.order_by("position")

    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()

    assert f'href="/similar/?item={item.pk}"' in page
    assert f'href="/similar/?unit={first.pk}"' in page
    assert f'href="/similar/?unit={second.pk}"' in page


def test_the_theme_page_links_to_more_like_it(client):
    client.force_login(UserFactory(is_superuser=True))
    theme = Theme.objects.create(name="Card delivery")

    assert f'href="/similar/?theme={theme.pk}"' in client.get(f"/admin/ranking/{theme.pk}/").content.decode()


# --- Likely duplicates when CS logs a note --------------------------------------------------------


def log_data(account, text):
    return {
        "account": account.name, "account_id": account.pk, "kind": "manual", "source": manual_source().pk,
        "title": "", "text": text, "author_email": "", "occurred_at": timezone.localdate().isoformat(),
        "rating": "", "nps_score": "", "idempotency_key": str(uuid.uuid4()),
    }


def test_logging_a_note_flags_similar_feedback_from_the_account_this_month(cs_client):
    account = AccountFactory(name="Acme")
    for text in ["Still waiting for my card to be delivered.", "The card I ordered last week never came.",
                 "My card has not arrived yet, where is it?"]:
        item_with_text(text, account=account)
    item_with_text("How do I change my PIN?", account=account)
    item_with_text("My card still hasn't arrived.", account=AccountFactory())

    response = cs_client.post("/log/", log_data(account, "The new card has not arrived."), follow=True)

    item = FeedbackItem.objects.get(logged_by__isnull=False)
    assert (
        f' · <a href="/similar/?item={item.pk}&amp;duplicates=1">3 similar items from this account this month</a>'
    ) in response.content.decode()
    duplicates = cs_client.get(f"/similar/?item={item.pk}&duplicates=1").content.decode()
    assert duplicates.count("<td class=\"similarity\">") == 3
    assert "Likely the same as" in duplicates


def test_a_note_unlike_anything_the_account_said_is_not_flagged(cs_client):
    account = AccountFactory(name="Acme")
    item_with_text("How do I change my PIN?", account=account)

    response = cs_client.post("/log/", log_data(account, "The new card has not arrived."), follow=True)

    assert "similar item" not in response.content.decode()
    assert "Logged:" in response.content.decode()


def test_a_failing_duplicate_lookup_does_not_hide_that_the_note_was_logged(cs_client, monkeypatch, caplog):
    from voc.feedback import views

    def broken(**kwargs):
        raise RuntimeError("the model is gone")

    monkeypatch.setattr(views, "similar_duplicates", broken)
    account = AccountFactory(name="Acme")

    response = cs_client.post("/log/", log_data(account, "The new card has not arrived."), follow=True)

    assert response.status_code == 200
    assert "Logged:" in response.content.decode()
    assert FeedbackItemFactory._meta.model.objects.filter(account=account).count() == 1
    assert "Looking up likely duplicates" in caplog.text


def test_the_results_keep_to_their_box_with_long_words_cut_and_whole_on_hover(pm_client):
    vectors = random_vectors(30)
    source = item_with_vectors(vectors[0])
    long_words = "The card I ordered three weeks ago has still not arrived and nobody answers " * 6
    near = item_with_vectors(vectors[1], text=long_words)

    page = pm_client.get(f"/similar/?item={source.pk}").content.decode()

    assert '<table class="similar fit" id="similar-results">' in page  # fixed layout: columns keep to the box
    assert f'<a href="/feedback/{near.pk}/" class="truncate" title="{long_words}">' in page
    assert ">Unresolved<" in page
