import datetime as dt
import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from tests.feedback.test_selectors import item_with_units
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.demo.sample import sample_read
from voc.feedback.forms import manual_source
from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
from voc.feedback.pipeline import feedback_process_pending
from voc.feedback.selectors import PREVIEW_CHARS
from voc.feedback.services import feedback_ingest_batch
from voc.themes.models import Theme
from voc.themes.services import themes_recluster

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def cs_user():
    return UserFactory(roles=[CUSTOMER_SUCCESS])


@pytest.fixture
def cs_client(client, cs_user):
    client.force_login(cs_user)
    return client


@pytest.fixture
def account():
    return AccountFactory(name="Acme")


def log_data(picked, **overrides):
    data = {
        "account": picked.name,
        "account_id": picked.pk,
        "kind": "manual",
        "source": manual_source().pk,
        "title": "",
        "text": "They need SSO before renewal.\nSoon.",
        "author_email": "",
        "occurred_at": timezone.localdate().isoformat(),
        "rating": "",
        "nps_score": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    return {**data, **overrides}


# --- Log feedback --------------------------------------------------------------------------------


def test_the_log_page_shows_an_empty_form_with_the_manual_source_chosen(cs_client):
    response = cs_client.get("/log/")
    assert response.status_code == 200
    form = response.context["form"]
    source = Source.objects.get(name="manual")
    assert source.kind == Source.Kind.MANUAL
    assert form["source"].value() == source.pk
    assert form["kind"].value() == "manual"
    assert form["occurred_at"].value() == timezone.localdate()
    uuid.UUID(str(form["idempotency_key"].value()))
    assert re.search(r'<input[^>]+name="account"[^>]+autofocus', response.content.decode())


def test_each_render_of_the_form_gets_a_new_idempotency_key(cs_client):
    first = cs_client.get("/log/").context["form"]["idempotency_key"].value()
    second = cs_client.get("/log/").context["form"]["idempotency_key"].value()
    assert first != second


def test_logging_creates_an_item_for_the_account_logged_by_the_user(cs_client, cs_user, account):
    data = log_data(account, author_email="Jane@Acme.example", rating="4.5", nps_score="9")
    response = cs_client.post("/log/", data)
    item = FeedbackItem.objects.get()
    assert (item.account, item.logged_by, item.kind) == (account, cs_user, "manual")
    assert item.resolved_by == FeedbackItem.ResolvedBy.GIVEN
    assert item.source.name == "manual"
    assert item.external_id == data["idempotency_key"]
    assert item.text == "They need SSO before renewal.\nSoon."
    assert item.author_email == "jane@acme.example"
    assert (str(item.rating), item.nps_score) == ("4.50", 9)
    assert response.status_code == 302
    assert response["Location"] == f"/log/?account={account.pk}&kind=manual&source={item.source_id}"


def test_after_logging_the_form_comes_back_empty_with_the_account_and_kind_kept(cs_client, account):
    response = cs_client.post("/log/", log_data(account, kind="sales_note"), follow=True)
    item = FeedbackItem.objects.get()
    page = response.content.decode()
    assert f'Logged: <a href="/feedback/{item.pk}/">feedback #{item.pk}</a>' in page
    form = response.context["form"]
    kept = (form["account_id"].value(), form["account"].value(), form["kind"].value())
    assert kept == (account.pk, "Acme", "sales_note")
    assert not form["text"].value()
    assert re.search(r'<textarea[^>]+autofocus', page)


def test_a_double_submit_with_the_same_key_logs_one_item(cs_client, account):
    data = log_data(account)
    cs_client.post("/log/", data)
    response = cs_client.post("/log/", data, follow=True)
    item = FeedbackItem.objects.get()
    assert f'Already logged: <a href="/feedback/{item.pk}/">feedback #{item.pk}</a>' in response.content.decode()


def test_a_form_without_a_usable_key_still_logs_the_note(cs_client, account):
    cs_client.post("/log/", log_data(account, idempotency_key="not-a-uuid"))
    uuid.UUID(FeedbackItem.objects.get().external_id)


def test_an_empty_text_shows_an_error_and_logs_nothing(cs_client, account):
    response = cs_client.post("/log/", log_data(account, text="   "))
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert FeedbackItem.objects.count() == 0


def test_a_rejection_by_the_service_shows_next_to_the_field(cs_client, account):
    response = cs_client.post("/log/", log_data(account, nps_score="11", author_email="not-an-address"))
    errors = response.context["form"].errors
    assert errors["nps_score"] == ["NPS must be between 0 and 10."]
    assert "is not an email address" in errors["author_email"][0]
    assert FeedbackItem.objects.count() == 0


def test_a_date_in_the_future_is_rejected(cs_client, account):
    later = timezone.localdate() + dt.timedelta(days=5)
    response = cs_client.post("/log/", log_data(account, occurred_at=later.isoformat()))
    assert "is in the future" in response.context["form"].errors["occurred_at"][0]
    assert FeedbackItem.objects.count() == 0


def test_an_earlier_date_is_kept(cs_client, account):
    cs_client.post("/log/", log_data(account, occurred_at="2024-03-05"))
    assert FeedbackItem.objects.get().occurred_at.date() == dt.date(2024, 3, 5)


def test_an_account_is_required(cs_client, account):
    response = cs_client.post("/log/", log_data(account, account="", account_id=""))
    assert response.context["form"].errors["account"] == ["Pick the customer's account."]
    assert FeedbackItem.objects.count() == 0


def test_without_javascript_a_name_that_matches_one_account_is_enough(cs_client, account):
    AccountFactory(name="Globex")
    cs_client.post("/log/", log_data(account, account="acme", account_id=""))
    assert FeedbackItem.objects.get().account == account


def test_a_name_that_matches_several_accounts_asks_to_pick_one(cs_client, account):
    AccountFactory(name="Acme Europe")
    response = cs_client.post("/log/", log_data(account, account="acm", account_id=""))
    assert "pick one from the list" in response.context["form"].errors["account"][0]
    assert FeedbackItem.objects.count() == 0


def test_only_enabled_sources_are_offered(cs_client):
    SourceFactory(name="old-survey", kind=Source.Kind.SURVEY, enabled=False)
    SourceFactory(name="calls", kind=Source.Kind.MANUAL)
    names = [source.name for source in cs_client.get("/log/").context["form"].fields["source"].queryset]
    assert names == ["calls", "manual"]


def test_a_product_user_without_add_permission_gets_403(client, account):
    client.force_login(UserFactory(roles=[PRODUCT]))
    assert client.get("/log/").status_code == 403
    assert client.post("/log/", log_data(account)).status_code == 403
    assert FeedbackItem.objects.count() == 0


def test_anonymous_is_sent_to_log_in(client, account):
    response = client.post("/log/", log_data(account))
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/log/"
    assert FeedbackItem.objects.count() == 0


# --- The confirmation says where the note went ---------------------------------------------------

# Three problems, one sentence each, in the words of the sample's card_arrival, exchange_rate and top_up_failed.
THREE_PROBLEMS = {
    "card_arrival": "My new card still hasn't arrived after two weeks.",
    "exchange_rate": "Also, how are your exchange rates calculated?",
    "top_up_failed": "Another thing: my top-up failed again this morning.",
}
SAMPLE_PER_INTENT = 20


def themes_from_sample(intents=tuple(THREE_PROBLEMS), *, per_intent=SAMPLE_PER_INTENT) -> dict[str, str]:
    """Themes built for real from BANKING77 texts about each intent (ingested, processed, re-clustered);
    returns each sample item's external id with its intent."""
    by_intent = sample_read()
    intent_of = {f"{intent}-{n}": intent for intent in intents for n in range(per_intent)}
    records = [{"external_id": external_id, "text": by_intent[intent][int(external_id.rsplit("-", 1)[1])]}
               for external_id, intent in intent_of.items()]
    feedback_ingest_batch(source=SourceFactory(name="tickets", kind=Source.Kind.ZENDESK), records=records)
    feedback_process_pending()
    themes_recluster()
    return intent_of


def intent_of_theme(theme, intent_of) -> str:
    """The intent most of the theme's sample items were about."""
    intents = [intent_of.get(external_id) for external_id in theme.items.values_list("external_id", flat=True)]
    return max(set(intents) - {None}, key=intents.count)


def test_a_note_waiting_for_a_worker_is_confirmed_as_being_sorted(cs_client, account):
    # The test's transaction never commits, so processing has not run when the page answers: as with a worker busy.
    response = cs_client.post("/log/", log_data(account), follow=True)
    item = FeedbackItem.objects.get()
    assert item.status == FeedbackItem.Status.PENDING
    assert (
        f'Logged: <a href="/feedback/{item.pk}/">feedback #{item.pk}</a> — being sorted — its page will show where '
        "it went"
    ) in response.content.decode()


def test_logging_a_note_again_names_the_themes_it_joined_escaped(cs_client, account):
    data = log_data(account, text="The export times out. Also the SSO login loops.")
    cs_client.post("/log/", data)
    item = FeedbackItem.objects.get()
    export, sso = Theme.objects.create(name="Export <b>times</b> out"), Theme.objects.create(name="SSO login loops")
    FeedbackUnit.objects.create(item=item, position=0, start=0, end=21, theme=export)
    FeedbackUnit.objects.create(item=item, position=1, start=27, end=47, theme=sso)
    FeedbackItem.objects.filter(pk=item.pk).update(status=FeedbackItem.Status.PROCESSED)

    response = cs_client.post("/log/", data, follow=True)
    assert (
        f'Already logged: <a href="/feedback/{item.pk}/">feedback #{item.pk}</a> — '
        "joined Export &lt;b&gt;times&lt;/b&gt; out, SSO login loops"
    ) in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_names_the_themes_a_three_problem_note_joined(client, account):
    intent_of = themes_from_sample()
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))

    response = client.post("/log/", log_data(account, text=" ".join(THREE_PROBLEMS.values())), follow=True)
    item = FeedbackItem.objects.get(logged_by__isnull=False)
    units = list(item.units.select_related("theme"))
    assert [intent_of_theme(unit.theme, intent_of) for unit in units] == list(THREE_PROBLEMS)
    names = ", ".join(unit.theme.display_name for unit in units)
    assert f"feedback #{item.pk}</a> — joined {names}</li>" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_note_that_fits_no_theme_is_confirmed_as_unsorted_for_now(client, account):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))  # no re-clustering yet: there is no theme to join
    response = client.post("/log/", log_data(account, text="The export times out on big reports."), follow=True)
    item = FeedbackItem.objects.get()
    assert (item.status, item.units.get().theme) == (FeedbackItem.Status.PROCESSED, None)
    assert f"feedback #{item.pk}</a> — Unsorted for now</li>" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_note_of_thanks_only_is_confirmed_as_no_feedback_content(client, account):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    response = client.post("/log/", log_data(account, text="@acme thanks!"), follow=True)
    item = FeedbackItem.objects.get()
    assert (item.status, item.units.count(), item.theme) == (FeedbackItem.Status.PROCESSED, 0, None)
    assert f"feedback #{item.pk}</a> — no feedback content (greetings or thanks only)</li>" in response.content.decode()


# --- Feedback list -------------------------------------------------------------------------------


def test_the_list_shows_feedback_newest_first(cs_client):
    older = FeedbackItemFactory(title="Older", occurred_at=timezone.now() - dt.timedelta(days=3))
    newer = FeedbackItemFactory(title="Newer", occurred_at=timezone.now() - dt.timedelta(days=1))
    response = cs_client.get("/feedback/")
    assert response.status_code == 200
    assert list(response.context["items"]) == [newer, older]


def test_the_list_filters_by_source_kind_account_and_status(cs_client, account):
    tickets = SourceFactory(name="tickets", kind=Source.Kind.ZENDESK)
    wanted = FeedbackItemFactory(source=tickets, kind="ticket", account=account, status="processed")
    FeedbackItemFactory(source=tickets, kind="ticket", account=account, status="pending")
    FeedbackItemFactory(source=tickets, kind="survey", account=account, status="processed")
    FeedbackItemFactory(source=tickets, kind="ticket", status="processed")
    FeedbackItemFactory(kind="ticket", account=account, status="processed")
    query = {"source": tickets.pk, "kind": "ticket", "account": account.pk, "status": "processed"}
    response = cs_client.get("/feedback/", query)
    assert list(response.context["items"]) == [wanted]
    assert "Feedback from Acme" in response.content.decode()


def test_an_invalid_filter_is_reported_and_ignored(cs_client):
    item = FeedbackItemFactory()
    response = cs_client.get("/feedback/", {"kind": "nonsense"})
    assert list(response.context["items"]) == [item]
    assert "kind" in response.context["filter_form"].errors


def test_the_list_pages_by_fifty_and_keeps_the_filters(cs_client):
    source = SourceFactory(name="tickets")
    FeedbackItemFactory.create_batch(51, source=source)
    first = cs_client.get("/feedback/", {"source": source.pk})
    assert len(first.context["items"]) == 50
    assert f'href="?source={source.pk}&amp;page=2"' in first.content.decode()
    second = cs_client.get("/feedback/", {"source": source.pk, "page": 2})
    assert len(second.context["items"]) == 1


def test_a_page_number_past_the_end_shows_the_last_page(cs_client):
    FeedbackItemFactory()
    response = cs_client.get("/feedback/", {"page": 99})
    assert response.context["page"].number == 1


def test_script_in_feedback_is_escaped_in_the_list(cs_client):
    FeedbackItemFactory(text=SCRIPT)
    FeedbackItemFactory(title=SCRIPT, text="fine")
    page = cs_client.get("/feedback/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_the_list_needs_view_permission(client):
    client.force_login(UserFactory(roles=[]))
    assert client.get("/feedback/").status_code == 403


def test_the_list_loads_no_text_row_by_row(cs_client):
    FeedbackItemFactory(text="x" * 5000, account=AccountFactory())
    with CaptureQueriesContext(connection) as one_row:
        cs_client.get("/feedback/")
    FeedbackItemFactory.create_batch(5, text="y" * 5000, account=AccountFactory())
    with CaptureQueriesContext(connection) as six_rows:
        response = cs_client.get("/feedback/")
    assert len(six_rows) == len(one_row)
    assert "y" * 201 not in response.content.decode()



def _cells(row: str) -> list[str]:
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_the_list_shows_the_text_first_then_themes_account_source_sentiment_and_date(cs_client, account):
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO login loops")
    item = item_with_units(
        "SSO loops again. The export times out. SSO once more.",
        ("SSO loops again.", sso), ("The export times out.", export), ("SSO once more.", sso),
    )
    FeedbackItem.objects.filter(pk=item.pk).update(
        account=account, sentiment="negative", sentiment_score=-0.62,
        occurred_at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC),
    )
    page = cs_client.get("/feedback/").content.decode()
    table = page[page.index('id="feedback-list"'):page.index("</table>")]
    header, row = re.findall(r"<tr>(.*?)</tr>", table, re.S)[:2]
    assert _cells(header) == ["Feedback", "Themes", "Account", "Source", "Sentiment", "Date"]
    assert _cells(row) == [
        "SSO loops again. The export times out. SSO once more.", "SSO login loops Export times out", "Acme",
        f"{item.source.name} {item.get_kind_display()}", "Negative -0.62", "27 Nov 2026",
    ]
    assert f'href="?theme={sso.pk}"' in row  # each theme is a way into the rest of its feedback


def test_long_feedback_is_cut_to_two_lines_with_the_text_whole_on_hover(cs_client):
    words = "The nightly export to our warehouse times out after an hour and leaves half the rows behind. " * 3
    FeedbackItemFactory(title="Export", text=words)
    page = cs_client.get("/feedback/").content.decode()
    row = page[page.index('id="feedback-list"'):page.index("</table>")]
    assert f'title="Export: {words[:PREVIEW_CHARS]}"' in row
    assert f'<span class="truncate">{words[:PREVIEW_CHARS]}</span>' in row
    assert '<table class="fit feedback" id="feedback-list">' in page  # fixed layout: columns keep to the box


def test_the_list_reads_the_themes_of_a_page_in_one_query(cs_client):
    theme = Theme.objects.create(name="Export times out")
    item_with_units("The export times out.", ("The export times out.", theme))
    with CaptureQueriesContext(connection) as one_row:
        cs_client.get("/feedback/")
    for _ in range(5):
        item_with_units("The export times out.", ("The export times out.", Theme.objects.create(name="Another")))
    with CaptureQueriesContext(connection) as six_rows:
        page = cs_client.get("/feedback/").content.decode()
    assert len(six_rows) == len(one_row)
    assert page.count(">Another</a>") == 5


# --- Searching the feedback list -----------------------------------------------------------------


def test_a_search_lists_the_matches_best_first_with_their_words_marked(cs_client):
    in_text = FeedbackItemFactory(text="Paying with apple pay fails at checkout")
    in_title = FeedbackItemFactory(title="Apple Pay broken", text="Fails at checkout",
                                   occurred_at=timezone.now() - dt.timedelta(days=3))
    FeedbackItemFactory(text="My card never arrived")

    response = cs_client.get("/feedback/", {"q": "apple pay"})

    assert response.status_code == 200
    assert [hit.item for hit in response.context["hits"]] == [in_title, in_text]
    page = response.content.decode()
    assert "<mark>apple</mark> <mark>pay</mark>" in page.lower() or "<mark>apple pay</mark>" in page.lower()
    assert "2 results" in page
    assert "My card never arrived" not in page


def test_the_list_page_has_a_search_box_that_keeps_the_query(cs_client):
    page = cs_client.get("/feedback/", {"q": '"top up" -failed'}).content.decode()

    assert 'type="search" name="q"' in page
    assert 'value="&quot;top up&quot; -failed"' in page


def test_script_in_feedback_stays_text_in_search_results(cs_client):
    FeedbackItemFactory(title=SCRIPT + " refund", text=SCRIPT + " refund please")

    page = cs_client.get("/feedback/", {"q": "refund"}).content.decode()

    assert "<script>alert" not in page
    assert "<mark>refund</mark>" in page


def test_a_search_keeps_the_filters(cs_client, account):
    wanted = FeedbackItemFactory(text="Refund please", account=account, sentiment="negative")
    FeedbackItemFactory(text="Refund please", account=account, sentiment="positive")
    FeedbackItemFactory(text="Refund please", sentiment="negative")

    response = cs_client.get("/feedback/", {"q": "refund", "account": account.pk, "sentiment": "negative",
                                            "segment": account.segment})

    assert [hit.item for hit in response.context["hits"]] == [wanted]


def test_the_list_filters_by_segment_theme_sentiment_and_days_without_a_search(cs_client, account):
    theme = Theme.objects.create(name="Refunds")
    now = timezone.now()
    two_days_ago, long_ago = now - dt.timedelta(days=2), now - dt.timedelta(days=20)
    wanted = FeedbackItemFactory(theme=theme, account=account, sentiment="negative", occurred_at=two_days_ago)
    FeedbackItemFactory(theme=theme, account=account, sentiment="negative", occurred_at=long_ago)
    FeedbackItemFactory(account=account, sentiment="negative", occurred_at=two_days_ago)
    FeedbackItemFactory(theme=theme, sentiment="negative", account=AccountFactory(segment="smb"))

    response = cs_client.get("/feedback/", {
        "theme": theme.pk, "segment": account.segment, "sentiment": "negative",
        "since": (now - dt.timedelta(days=5)).date().isoformat(), "until": now.date().isoformat(),
    })

    assert list(response.context["items"]) == [wanted]
    assert "In theme “Refunds”" in response.content.decode()


def test_a_query_of_only_operators_gets_a_message_not_an_error(cs_client):
    FeedbackItemFactory(text="Refund please")

    response = cs_client.get("/feedback/", {"q": '- OR "" ---'})

    assert response.status_code == 200
    assert "Nothing to search for" in response.content.decode()
    assert response.context["hits"] == []


def test_a_ten_thousand_character_query_is_searched_by_its_start_with_a_note(cs_client):
    FeedbackItemFactory(text="Refund please")

    response = cs_client.get("/feedback/", {"q": "refund " * 1_500})

    assert response.status_code == 200
    assert "Only the first 500 characters of the query were searched." in response.content.decode()
    assert len(response.context["hits"]) == 1


@pytest.mark.parametrize("query", ["银行卡没到", "بطاقتي لم تصل", "😡", "Überweisung", "' OR 1=1 --"])
def test_a_query_in_any_alphabet_gets_a_page(cs_client, query):
    FeedbackItemFactory(text="银行卡没到 Überweisung")

    assert cs_client.get("/feedback/", {"q": query}).status_code == 200


def test_search_results_page_by_twenty_in_rank_order(cs_client):
    FeedbackItemFactory.create_batch(21, text="Refund please")

    first = cs_client.get("/feedback/", {"q": "refund"})
    second = cs_client.get("/feedback/", {"q": "refund", "page": 2})

    assert len(first.context["hits"]) == 20
    assert 'href="?q=refund&amp;page=2"' in first.content.decode()
    assert len(second.context["hits"]) == 1


def test_nothing_found_says_so_with_the_query(cs_client):
    FeedbackItemFactory(text="Refund please")

    page = cs_client.get("/feedback/", {"q": "chargeback"}).content.decode()

    assert "Nothing matches <strong>chargeback</strong>" in page


# --- Feedback detail -----------------------------------------------------------------------------


def test_the_detail_page_shows_the_item(cs_client, cs_user, account):
    item = FeedbackItemFactory(
        title="SSO", text="Line one\nLine two", account=account, logged_by=cs_user, author_email="jane@acme.example"
    )
    response = cs_client.get(f"/feedback/{item.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line one<br>Line two" in page
    assert "Acme" in page
    assert item.source.name in page
    assert "jane@acme.example" in page
    assert cs_user.username in page
    assert "Pending" in page


def test_the_detail_page_warns_about_truncated_text_and_a_missing_account(cs_client):
    item = FeedbackItemFactory(text_truncated=True, metadata={"truncated_from_chars": 25000})
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "truncated from 25000 characters" in page
    assert "No account is linked" in page


def test_the_detail_page_shows_why_processing_failed(cs_client):
    item = FeedbackItemFactory(status="failed", attempts=5, last_error="ValueError: <b>bad</b>")
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "Processing failed after 5 attempts: ValueError: &lt;b&gt;bad&lt;/b&gt;" in page


def test_script_in_feedback_is_escaped_on_the_detail_page(cs_client):
    item = FeedbackItemFactory(title=SCRIPT, text=f"{SCRIPT}\nsecond line")
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>second line" in page


def test_a_missing_item_is_404(cs_client):
    assert cs_client.get("/feedback/999999/").status_code == 404




def test_the_detail_page_says_whose_feedback_it_is_first_and_folds_hashes_and_metadata(cs_client, account):
    item = FeedbackItemFactory(
        title="SSO", account=account, content_hash="7a78b9f7be05916e6e6", external_id="demo-00001",
        metadata={"banking77_intent": "top_up_failed"},
    )
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    byline = page[page.index('id="item-byline"'):page.index("</p>", page.index('id="item-byline"'))]
    assert "Acme" in byline
    assert item.source.name in byline
    technical = page.index('<details class="technical" id="technical-details">')
    assert "<summary>Technical details</summary>" in page[technical:]
    for detail in ("7a78b9f7be05916e6e6", "demo-00001", "banking77_intent", "top_up_failed"):
        assert page.index(detail) > technical, f"{detail} shows before Technical details"
    assert "{&quot;" not in page  # no metadata as raw JSON


# --- Where it went, on the detail page -----------------------------------------------------------


def test_the_detail_page_lists_each_unit_with_its_theme_linked_to_the_theme_page(cs_client):
    export = Theme.objects.create(name="Export times out")
    sso = Theme.objects.create(name="SSO login loops", emerging=True)
    item = item_with_units(
        "The export times out. Also the SSO login loops. And a third thing nobody else said.",
        ("The export times out.", export), ("the SSO login loops.", sso), ("a third thing nobody else said.", None),
    )
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    card = page[page.index('id="where-it-went"'):]
    rows = re.findall(r"<tr>(.*?)</tr>", card, re.S)[1:]
    assert [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows] == [
        "1 The export times out. more like this Export times out",
        "2 the SSO login loops. more like this SSO login loops Emerging",
        "3 a third thing nobody else said. more like this Unsorted",
    ]
    assert f'<a href="/admin/ranking/{export.pk}/">Export times out</a>' in card
    assert f'<a href="/admin/ranking/{sso.pk}/">SSO login loops</a>' in card
    assert "<q>The export times out.</q>" in card


def test_without_permission_to_view_themes_a_unit_names_its_theme_without_a_link(client):
    user = UserFactory(roles=[])
    user.user_permissions.add(Permission.objects.get(codename="view_feedbackitem"))
    client.force_login(user)
    theme = Theme.objects.create(name="Export times out")
    item = item_with_units("The export times out.", ("The export times out.", theme))
    page = client.get(f"/feedback/{item.pk}/").content.decode()
    assert "Export times out" in page
    assert "/admin/ranking/" not in page


def test_a_processed_item_without_units_says_it_has_no_feedback_content(cs_client):
    item = item_with_units("@acme thanks!")
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "No feedback content: greetings or thanks only, so it counts in no theme." in page
    assert "Unsorted" not in page


def test_a_pending_item_shows_no_themes_yet(cs_client):
    item = item_with_units("The export times out.", ("The export times out.", None), status="pending")
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "Waiting to be processed." in page
    assert 'id="where-it-went"' not in page
    assert "<mark" not in page


def test_each_unit_is_marked_in_the_text_and_script_in_it_stays_text(cs_client):
    theme = Theme.objects.create(name="<i>Export</i>")
    text = f"Hi,\nThe export {SCRIPT} times out.\nThanks"
    item = item_with_units(text, (f"The export {SCRIPT} times out.", theme))
    page = cs_client.get(f"/feedback/{item.pk}/").content.decode()
    assert "<script>alert" not in page
    assert "<i>Export" not in page
    escaped = "The export &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; times out."
    assert (
        f'<div class="text">Hi,<br><mark class="unit" title="&lt;i&gt;Export&lt;/i&gt;">{escaped}<sup>1</sup></mark>'
        "<br>Thanks</div>"
    ) in page
