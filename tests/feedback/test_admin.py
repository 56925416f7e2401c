import datetime as dt
import re
import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from tests.feedback.test_selectors import item_with_units
from voc.core.roles import ADMIN, CUSTOMER_SUCCESS, PRODUCT
from voc.feedback.admin import THEME_FILTER_CHOICES
from voc.feedback.forms import manual_source
from voc.feedback.models import FeedbackItem, Source, SyncRun, WebhookDelivery
from voc.feedback.selectors import PREVIEW_CHARS
from voc.themes.models import Curation, Theme

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/feedback/feedbackitem/add/"
SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def admin_user():
    return UserFactory(roles=[ADMIN])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def add_data(**overrides):
    now = timezone.now() - dt.timedelta(hours=1)
    data = {
        "account": "",
        "kind": "manual",
        "source": manual_source().pk,
        "title": "",
        "text": "Exports time out on big workspaces.",
        "author_email": "",
        "occurred_at_0": now.strftime("%Y-%m-%d"),
        "occurred_at_1": now.strftime("%H:%M:%S"),
        "idempotency_key": str(uuid.uuid4()),
    }
    return {**data, **overrides}


def test_the_add_form_offers_the_manual_source_and_kind(admin_client):
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["source"].value() == Source.objects.get(name="manual").pk
    assert form["kind"].value() == "manual"


def test_adding_in_the_admin_goes_through_the_service(admin_client, admin_user):
    account = AccountFactory(name="Acme")
    data = add_data(account=account.pk, author_email="Jane@Acme.example")
    response = admin_client.post(ADD_URL, data)
    item = FeedbackItem.objects.get()
    assert response.status_code == 302
    assert (item.account, item.logged_by, item.resolved_by) == (account, admin_user, "given")
    assert item.external_id == data["idempotency_key"]
    # record_clean normalised it: the service, not a plain model save, stored this row.
    assert item.author_email == "jane@acme.example"
    assert item.content_hash
    assert LogEntry.objects.get().object_id == str(item.pk)


def test_an_item_added_without_an_account_waits_for_resolution(admin_client):
    admin_client.post(ADD_URL, add_data(author_email="jane@acme.example"))
    item = FeedbackItem.objects.get()
    assert item.account is None
    assert item.status == FeedbackItem.Status.PENDING


def test_the_same_add_form_posted_twice_adds_one_item(admin_client):
    data = add_data()
    admin_client.post(ADD_URL, data)
    response = admin_client.post(ADD_URL, data, follow=True)
    item = FeedbackItem.objects.get()
    assert "Already logged" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/admin/feedback/feedbackitem/{item.pk}/change/"
    assert LogEntry.objects.count() == 1


def test_a_rejection_shows_as_form_errors_and_adds_nothing(admin_client):
    later = timezone.now() + dt.timedelta(days=5)
    response = admin_client.post(
        ADD_URL, add_data(occurred_at_0=later.strftime("%Y-%m-%d"), occurred_at_1="10:00:00", text="  ")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "text" in errors
    assert FeedbackItem.objects.count() == 0


def test_a_date_in_the_future_is_rejected_by_the_record_rules(admin_client):
    later = timezone.now() + dt.timedelta(days=5)
    response = admin_client.post(ADD_URL, add_data(occurred_at_0=later.strftime("%Y-%m-%d")))
    assert "is in the future" in response.context["adminform"].form.errors["occurred_at"][0]
    assert FeedbackItem.objects.count() == 0


def test_the_change_form_edits_only_kind_title_and_account(admin_client):
    item = FeedbackItemFactory(text="original", kind="ticket")
    account = AccountFactory()
    response = admin_client.post(
        f"/admin/feedback/feedbackitem/{item.pk}/change/",
        {"title": "Renamed", "kind": "sales_note", "account": account.pk, "text": "changed"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.kind, item.account, item.resolved_by) == ("Renamed", "sales_note", account, "given")
    assert item.text == "original"


def test_a_customer_success_user_may_add_in_the_admin(client):
    user = UserFactory(roles=[CUSTOMER_SUCCESS])
    client.force_login(user)
    client.post(ADD_URL, add_data())
    assert FeedbackItem.objects.get().logged_by == user


def test_script_in_feedback_is_escaped_on_the_changelist(admin_client):
    FeedbackItemFactory(text=SCRIPT)
    FeedbackItemFactory(title=SCRIPT, text="fine", source=SourceFactory(name=SCRIPT))
    response = admin_client.get("/admin/feedback/feedbackitem/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_script_in_feedback_is_escaped_on_the_change_page(admin_client):
    item = FeedbackItemFactory(title=SCRIPT, text=f"{SCRIPT}\nnext")
    page = admin_client.get(f"/admin/feedback/feedbackitem/{item.pk}/change/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;<br>next" in page


def test_the_changelist_loads_no_text_row_by_row(admin_client):
    FeedbackItemFactory(text="x" * 5000)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get("/admin/feedback/feedbackitem/")
    FeedbackItemFactory.create_batch(5, text="y" * 5000)
    with CaptureQueriesContext(connection) as six_rows:
        response = admin_client.get("/admin/feedback/feedbackitem/")
    assert len(six_rows) == len(one_row)
    assert "y" * (PREVIEW_CHARS + 1) not in response.content.decode()  # the start of each text, cut to two lines


CHANGELIST = "/admin/feedback/feedbackitem/"


def move_post(items, **extra):
    return {"action": "move_to_theme", "_selected_action": [item.pk for item in items], **extra}


def test_a_product_person_moves_feedback_to_a_theme_and_it_stays_there(client):
    pm = UserFactory(roles=[PRODUCT])
    client.force_login(pm)
    source, target = Theme.objects.create(name="Card delivery", size=3), Theme.objects.create(name="Top-ups")
    items = FeedbackItemFactory.create_batch(3, theme=source)

    page = client.post(CHANGELIST, move_post(items[:2]))
    assert page.status_code == 200
    assert b"Move to this theme" in page.content
    assert f'<option value="{target.pk}">Top-ups (0 items)</option>'.encode() in page.content

    done = client.post(CHANGELIST, move_post(items[:2], theme=target.pk), follow=True)
    assert "Moved 2 items to “Top-ups”" in done.content.decode()
    moved = FeedbackItem.objects.filter(pk__in=[items[0].pk, items[1].pk])
    assert set(moved.values_list("theme_id", "units__theme_id", "units__theme_assigned_by")) == {
        (target.pk, target.pk, "person")
    }
    assert Curation.objects.get(action="move_items").user == pm
    assert Theme.objects.get(pk=source.pk).size == 1
    assert Theme.objects.get(pk=target.pk).size == 2


def test_a_retired_theme_is_not_offered_and_is_refused_when_posted(client):
    client.force_login(UserFactory(roles=[PRODUCT]))
    retired = Theme.objects.create(name="Old card theme", retired_at=timezone.now())
    item = FeedbackItemFactory()
    page = client.post(CHANGELIST, move_post([item]))
    assert b"Old card theme" not in page.content

    refused = client.post(CHANGELIST, move_post([item], theme=retired.pk))
    assert refused.status_code == 200
    assert "That theme was retired or merged into another; choose a live theme." in refused.content.decode()
    assert FeedbackItem.objects.get(pk=item.pk).theme is None
    assert not Curation.objects.exists()


def test_customer_success_is_neither_offered_nor_allowed_to_move_feedback(client):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    target = Theme.objects.create(name="Top-ups")
    item = FeedbackItemFactory()
    assert b"move_to_theme" not in client.get(CHANGELIST).content
    assert client.post(CHANGELIST, move_post([item], theme=target.pk)).status_code == 403
    assert FeedbackItem.objects.get(pk=item.pk).theme is None


def test_the_changelist_shows_each_item_theme_without_a_query_per_row(admin_client):
    theme = Theme.objects.create(name="Card delivery")
    FeedbackItemFactory(theme=theme)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(CHANGELIST)
    FeedbackItemFactory.create_batch(5, theme=Theme.objects.create(name="Top-ups"))
    with CaptureQueriesContext(connection) as six_rows:
        response = admin_client.get(CHANGELIST)
    assert len(six_rows) == len(one_row)
    assert "Top-ups" in response.content.decode()


def test_sync_now_starts_a_sync_of_each_selected_connector_source(admin_client, monkeypatch):
    started = []
    monkeypatch.setattr("ingest.tasks.source_sync_task.delay", started.append)
    zendesk, api = SourceFactory(kind=Source.Kind.ZENDESK), SourceFactory(kind=Source.Kind.API)
    response = admin_client.post(
        "/admin/feedback/source/", {"action": "sync_now", "_selected_action": [zendesk.pk, api.pk]}, follow=True
    )
    assert started == [zendesk.pk]
    assert "Sync started for 1 source; 1 has no connector" in response.content.decode()


def test_a_source_page_shows_its_recent_syncs_and_what_to_configure(admin_client):
    source = SourceFactory(kind=Source.Kind.TWITTER)
    SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED, error="429 rate limited <script>")
    page = admin_client.get(f"/admin/feedback/source/{source.pk}/change/").content.decode()
    assert "429 rate limited &lt;script&gt;" in page
    assert "7 days" in page


def test_product_sees_sync_runs_but_cannot_start_a_sync(client):
    client.force_login(UserFactory(roles=[PRODUCT]))
    assert client.get("/admin/feedback/syncrun/").status_code == 200
    assert b"sync_now" not in client.get("/admin/feedback/source/").content


def test_a_failed_delivery_is_processed_again_from_its_stored_payload(admin_client, monkeypatch):
    queued = []
    monkeypatch.setattr("ingest.tasks.webhook_process_task.delay", queued.append)
    source = SourceFactory(kind=Source.Kind.WEBHOOK)
    failed = WebhookDelivery.objects.create(source=source, key="a", body=b"{}", status="failed", error="parser bug")
    done = WebhookDelivery.objects.create(source=source, key="b", body=b"{}", status="processed")
    admin_client.post("/admin/feedback/webhookdelivery/",
                      {"action": "process_again", "_selected_action": [failed.pk, done.pk]})
    assert queued == [failed.pk]
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("received", "")
    assert "parser bug" not in admin_client.get(f"/admin/feedback/webhookdelivery/{failed.pk}/change/").content.decode()


# --- Themes: on the change page, and as a filter ---------------------------------------------------


def test_the_change_page_lists_each_unit_with_its_theme(admin_client):
    export = Theme.objects.create(name="Export <b>times</b> out")
    sso = Theme.objects.create(name="SSO login loops", emerging=True)
    item = item_with_units(
        f"The export {SCRIPT} times out. Also the SSO login loops. And a third thing.",
        (f"The export {SCRIPT} times out.", export), ("the SSO login loops.", sso), ("a third thing.", None),
    )
    page = admin_client.get(f"/admin/feedback/feedbackitem/{item.pk}/change/").content.decode()
    assert "<script>alert" not in page
    units = page[page.index('<ol class="units">'):page.index("</ol>")]
    assert units == (
        '<ol class="units">'
        "<li>“The export &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; times out.” → "
        f'<a href="/admin/ranking/{export.pk}/">Export &lt;b&gt;times&lt;/b&gt; out</a></li>'
        f'<li>“the SSO login loops.” → <a href="/admin/ranking/{sso.pk}/">SSO login loops</a> '
        '<span title="Gathered since the last re-clustering">(emerging)</span></li>'
        "<li>“a third thing.” → Unsorted</li>"
    )


def test_the_change_page_of_an_item_of_thanks_only_says_it_has_no_feedback_content(admin_client):
    item = item_with_units("@acme thanks!")
    page = admin_client.get(f"/admin/feedback/feedbackitem/{item.pk}/change/").content.decode()
    assert "No feedback content (greetings or thanks only): it counts in no theme." in page


def test_the_change_page_of_a_pending_item_says_it_is_not_sorted_yet(admin_client):
    item = FeedbackItemFactory()
    page = admin_client.get(f"/admin/feedback/feedbackitem/{item.pk}/change/").content.decode()
    assert "Not sorted yet: waiting to be processed." in page


def listed(client, **query):
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return sorted(item.pk for item in response.context["cl"].result_list)


def test_the_list_filters_by_a_theme_any_unit_joined_not_only_the_lead_one(admin_client):
    export, sso = Theme.objects.create(name="Export times out"), Theme.objects.create(name="SSO login loops")
    led_by_export = item_with_units("Export fails. SSO loops.", ("Export fails.", export), ("SSO loops.", sso))
    sso_only = item_with_units("SSO loops.", ("SSO loops.", sso))
    item_with_units("Export fails.", ("Export fails.", export))
    assert listed(admin_client, theme=sso.pk) == sorted([led_by_export.pk, sso_only.pk])


def test_an_item_with_two_units_in_the_filtered_theme_is_listed_once(admin_client):
    sso = Theme.objects.create(name="SSO login loops")
    item = item_with_units("SSO loops. SSO again.", ("SSO loops.", sso), ("SSO again.", sso))
    assert listed(admin_client, theme=sso.pk) == [item.pk]


def test_the_unsorted_filter_lists_processed_items_with_a_unit_in_no_theme(admin_client):
    export = Theme.objects.create(name="Export times out")
    partly = item_with_units("Export fails. Odd thing.", ("Export fails.", export), ("Odd thing.", None))
    wholly = item_with_units("Odd thing.", ("Odd thing.", None))
    item_with_units("Export fails.", ("Export fails.", export))
    item_with_units("@acme thanks!")
    item_with_units("Odd thing.", ("Odd thing.", None), status="pending")
    assert listed(admin_client, theme="unsorted") == sorted([partly.pk, wholly.pk])


def test_the_no_content_filter_lists_processed_items_without_units(admin_client):
    thanks = item_with_units("@acme thanks!")
    item_with_units("Odd thing.", ("Odd thing.", None))
    FeedbackItemFactory()  # pending: not split yet, so no units either
    assert listed(admin_client, theme="no-content") == [thanks.pk]


def test_the_filter_offers_the_largest_live_themes_and_takes_any_other_from_a_link(admin_client):
    largest = [Theme.objects.create(name=f"Large {n}", size=100 - n) for n in range(THEME_FILTER_CHOICES)]
    small = Theme.objects.create(name="Small theme", size=1)
    Theme.objects.create(name="Retired theme", size=500, retired_at=timezone.now())
    item = item_with_units("Odd thing.", ("Odd thing.", small))

    offered = re.findall(r'href="\?theme=([\w-]+)"', admin_client.get(CHANGELIST).content.decode())
    assert offered == ["unsorted", "no-content", *(str(theme.pk) for theme in largest)]

    response = admin_client.get(CHANGELIST, {"theme": small.pk})
    assert [row.pk for row in response.context["cl"].result_list] == [item.pk]
    selected = rf'<li class="selected">\s*<a href="\?theme={small.pk}"[^>]*>Small theme</a>'
    assert re.search(selected, response.content.decode())


def test_a_theme_filter_that_is_no_theme_id_is_refused(admin_client):
    response = admin_client.get(CHANGELIST, {"theme": "nonsense"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_theme_filter_costs_no_query_per_row(admin_client):
    sso = Theme.objects.create(name="SSO login loops")
    item_with_units("SSO loops.", ("SSO loops.", sso))
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(CHANGELIST, {"theme": sso.pk})
    for _ in range(5):
        item_with_units("SSO loops. SSO again.", ("SSO loops.", sso), ("SSO again.", sso))
    with CaptureQueriesContext(connection) as six_rows:
        response = admin_client.get(CHANGELIST, {"theme": sso.pk})
    assert len(response.context["cl"].result_list) == 6
    assert len(six_rows) == len(one_row)


# --- Search box: words of the feedback, and ids, emails and handles as before ---------------------------------


def test_the_search_box_finds_feedback_by_the_words_of_its_text(admin_client):
    said = FeedbackItemFactory(text="I tried to add my card to Apple Pay and it failed")
    FeedbackItemFactory(text="My card never arrived")

    response = admin_client.get("/admin/feedback/feedbackitem/", {"q": "apple pay"})

    assert list(response.context["cl"].result_list) == [said]


def test_the_search_box_still_finds_ids_emails_and_handles(admin_client):
    by_id = FeedbackItemFactory(external_id="ZD-4821", text="One")
    by_email = FeedbackItemFactory(author_email="jane@acme.example", text="Two")
    by_handle = FeedbackItemFactory(author_handle="@janedoe", text="Three")

    def found(term):
        return list(admin_client.get("/admin/feedback/feedbackitem/", {"q": term}).context["cl"].result_list)

    assert found("ZD-4821") == [by_id]
    assert found("jane@acme") == [by_email]
    assert found("janedoe") == [by_handle]


def test_the_search_box_takes_a_query_of_operators_or_ten_thousand_characters(admin_client):
    FeedbackItemFactory(text="Refund please")

    for term in ['- OR "" ---', "refund " * 1_500, "银行卡没到"]:
        assert admin_client.get("/admin/feedback/feedbackitem/", {"q": term}).status_code == 200


def test_the_changelist_shows_the_text_first_cut_to_two_lines_with_the_whole_start_on_hover(admin_client):
    FeedbackItemFactory(title="Export", text="The nightly export times out " * 10, sentiment="negative",
                        sentiment_score=-0.004)
    page = admin_client.get(CHANGELIST).content.decode()
    header = page[page.index("<thead>"):page.index("</thead>")]
    columns = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S)]
    assert [column for column in columns if column] == [
        "Feedback", "Lead theme", "Account", "Source", "Sentiment", "Date",
    ]
    assert '<span class="truncate" title="Export: The nightly export times out The nightly' in page
    assert "Negative +0.00" in page  # rounded first: no "-0.00"


def test_the_item_page_folds_ids_hashes_and_metadata_under_technical_details(admin_client):
    item = FeedbackItemFactory(content_hash="7a78b9f7be05916e6e6", metadata={"banking77_intent": "top_up_failed"})
    page = admin_client.get(f"/admin/feedback/feedbackitem/{item.pk}/change/").content.decode()
    technical = page.index("Technical details")
    folded = page.rindex("<details", 0, technical)
    assert page.index("Where it went") < folded
    for detail in ("7a78b9f7be05916e6e6", item.external_id, "banking77_intent"):
        assert page.index(detail) > folded, f"{detail} shows before Technical details"
    assert "<dt>banking77_intent</dt><dd>top_up_failed</dd>" in page
    assert "{&quot;banking77_intent" not in page  # never as raw JSON
