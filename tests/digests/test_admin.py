"""Product leads' digests in the admin: subscribing, previewing, test sends, pausing, and the delivery log."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from tests.digests.conftest import subscription_due
from tests.factories import UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.digests.models import DigestDelivery, DigestSubscription
from voc.digests.services import deliveries_claim_due

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/admin/digests/digestsubscription/"
DELIVERIES = "/admin/digests/digestdelivery/"


@pytest.fixture
def pm():
    return UserFactory(roles=[PRODUCT])


@pytest.fixture
def pm_client(client, pm):
    client.force_login(pm)
    return client


@pytest.fixture
def subscription():
    return DigestSubscription.objects.create(recipient="lead@voc.example", recipient_name="Lea")


def add_data(**overrides) -> dict:
    data = {
        "recipient": "lead@voc.example",
        "recipient_name": "Lea",
        "day_of_week": "0",
        "hour": "8",
        "timezone": "UTC",
        "active": "on",
        "send_when_quiet": "on",
    }
    return {**data, **overrides}


def delivery(subscription, *, status, week=dt.date(2025, 1, 6), **fields) -> DigestDelivery:
    return DigestDelivery.objects.create(
        subscription=subscription, week=week, status=status, recipient=subscription.recipient,
        message_id=f"<digest.{subscription.pk}.{week}.{status}@voc.example>", **fields,
    )


def test_the_add_form_offers_segments_and_tiers_as_checkboxes_and_hours_as_a_choice(pm_client):
    response = pm_client.get(f"{SUBSCRIPTIONS}add/")

    assert response.status_code == 200
    assert b'type="checkbox" name="segments" value="enterprise"' in response.content
    assert b'type="checkbox" name="tiers" value="growth"' in response.content
    assert b'<option value="7">07:00</option>' in response.content


def test_a_pm_subscribes_a_lead_to_a_product_area_segments_and_tiers_in_their_time_zone(pm_client, pm, week):
    response = pm_client.post(f"{SUBSCRIPTIONS}add/", add_data(
        product_areas=[week.cards.pk], segments=["enterprise", "mid_market"], tiers=["growth"],
        day_of_week="2", hour="7", timezone="Europe/Berlin",
    ))

    assert response.status_code == 302
    subscription = DigestSubscription.objects.get()
    assert list(subscription.product_areas.all()) == [week.cards]
    assert (subscription.segments, subscription.tiers) == (["enterprise", "mid_market"], ["growth"])
    assert (subscription.day_of_week, subscription.hour, subscription.timezone) == (2, 7, "Europe/Berlin")
    assert subscription.created_by == pm


def test_a_time_zone_that_does_not_exist_is_refused_with_a_clear_error(pm_client):
    response = pm_client.post(f"{SUBSCRIPTIONS}add/", add_data(timezone="Europe/Atlantis"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "“Europe/Atlantis” is not a time zone; use a name such as Europe/Berlin or UTC"
    ]
    assert not DigestSubscription.objects.exists()


def test_the_preview_shows_the_digest_with_its_charts_inline_as_data_urls(pm_client, subscription, week):
    response = pm_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/preview/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Card delivery delays" in html
    assert 'src="data:image/png;base64,' in html
    assert "cid:" not in html


def test_the_preview_as_text_is_the_plain_text_part(pm_client, subscription, week):
    response = pm_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/preview/", {"format": "text"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "TOP THEMES\n" in text
    assert "1. Card delivery delays" in text
    assert "<" not in text.split("TOP THEMES")[1]


def test_the_preview_follows_the_subscriptions_product_area(pm_client, subscription, week):
    subscription.product_areas.add(week.cards)

    text = pm_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/preview/", {"format": "text"}).content.decode()

    assert "Card delivery delays" in text
    assert "App login" not in text


def test_send_a_test_now_emails_the_recipient_once_marked_as_a_test_and_logs_it(pm_client, pm, subscription, week):
    response = pm_client.post(f"{SUBSCRIPTIONS}{subscription.pk}/send-test/")

    assert response.status_code == 302
    assert response["Location"] == f"{SUBSCRIPTIONS}{subscription.pk}/change/"
    [email] = mail.outbox
    assert email.to == ["Lea <lead@voc.example>"]
    assert email.subject.startswith("[Test] ")
    [test] = DigestDelivery.objects.all()
    assert (test.kind, test.status, test.requested_by) == (DigestDelivery.Kind.TEST, DigestDelivery.Status.SENT, pm)
    assert test.subject == email.subject


def test_a_test_send_does_not_count_as_the_weeks_digest(pm_client):
    subscription = subscription_due(recipient="lead@voc.example")
    pm_client.post(f"{SUBSCRIPTIONS}{subscription.pk}/send-test/")

    claimed = deliveries_claim_due()

    assert [(claim.subscription, claim.kind) for claim in claimed] == [(subscription, DigestDelivery.Kind.WEEKLY)]


def test_send_test_refuses_a_get(pm_client, subscription):
    response = pm_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/send-test/")

    assert response.status_code == 405
    assert mail.outbox == []
    assert not DigestDelivery.objects.exists()


def test_the_change_page_links_the_preview_and_offers_a_test_send(pm_client, subscription):
    html = pm_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/change/").content.decode()

    assert f'href="{SUBSCRIPTIONS}{subscription.pk}/preview/"' in html
    assert f'formaction="{SUBSCRIPTIONS}{subscription.pk}/send-test/" formmethod="post"' in html


def test_the_send_test_action_sends_one_test_to_each_selected_subscription(pm_client, subscription):
    other = DigestSubscription.objects.create(recipient="other@voc.example")

    selected = [subscription.pk, other.pk]
    response = pm_client.post(SUBSCRIPTIONS, {"action": "send_test_now", "_selected_action": selected})

    assert response.status_code == 302
    assert sorted(email.to[0] for email in mail.outbox) == ["Lea <lead@voc.example>", "other@voc.example"]
    assert DigestDelivery.objects.filter(kind=DigestDelivery.Kind.TEST, status=DigestDelivery.Status.SENT).count() == 2


def test_pause_stops_a_subscription_and_resume_starts_it_again(pm_client, subscription):
    pm_client.post(SUBSCRIPTIONS, {"action": "pause", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.active is False

    pm_client.post(SUBSCRIPTIONS, {"action": "resume", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.active is True


def test_a_bulk_resume_leaves_out_whoever_unsubscribed_through_the_link(pm_client, subscription):
    unsubscribed = DigestSubscription.objects.create(
        recipient="gone@voc.example", active=False, unsubscribed_at=timezone.now()
    )

    response = pm_client.post(
        SUBSCRIPTIONS, {"action": "resume", "_selected_action": [subscription.pk, unsubscribed.pk]}, follow=True
    )

    unsubscribed.refresh_from_db()
    assert unsubscribed.active is False
    assert "1 who unsubscribed themselves stay unsubscribed" in response.content.decode()


def test_the_subscription_list_says_when_what_about_and_the_last_weekly_delivery(pm_client, week):
    subscription = DigestSubscription.objects.create(
        recipient="lead@voc.example", day_of_week=DigestSubscription.Weekday.TUESDAY, hour=9,
        timezone="Europe/Berlin", segments=["enterprise"],
    )
    subscription.product_areas.add(week.cards)
    delivery(subscription, status=DigestDelivery.Status.SENT, week=dt.date(2025, 1, 6))

    html = pm_client.get(SUBSCRIPTIONS).content.decode()

    assert "Tuesday 09:00 Europe/Berlin" in html
    assert "Cards · Enterprise accounts" in html
    assert "2025-W02: Sent" in html


def test_the_delivery_log_lists_deliveries_with_their_status_and_error(pm_client, subscription):
    delivery(subscription, status=DigestDelivery.Status.SENT, week=dt.date(2025, 1, 6))
    delivery(subscription, status=DigestDelivery.Status.FAILED, week=dt.date(2025, 1, 13), error="SMTP: refused")

    response = pm_client.get(DELIVERIES)

    assert response.status_code == 200
    assert [row.status for row in response.context["cl"].result_list] == ["failed", "sent"]
    assert "SMTP: refused" in response.content.decode()


def test_the_retry_action_puts_a_failed_delivery_back_to_pending_and_leaves_others_alone(pm_client, subscription):
    failed = delivery(subscription, status=DigestDelivery.Status.FAILED, attempts=6, error="SMTP: refused")
    sent = delivery(subscription, status=DigestDelivery.Status.SENT, week=dt.date(2025, 1, 13), attempts=1)

    response = pm_client.post(DELIVERIES, {"action": "retry", "_selected_action": [failed.pk, sent.pk]})

    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == (DigestDelivery.Status.PENDING, 0)
    assert failed.next_attempt_at <= timezone.now()
    assert (sent.status, sent.attempts) == (DigestDelivery.Status.SENT, 1)


def test_the_delivery_log_cannot_be_added_to_or_deleted_from(pm_client, subscription):
    sent = delivery(subscription, status=DigestDelivery.Status.SENT)

    assert pm_client.get(f"{DELIVERIES}add/").status_code == 403
    assert pm_client.post(f"{DELIVERIES}{sent.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DigestDelivery.objects.filter(pk=sent.pk).exists()


def test_customer_success_may_not_see_or_preview_subscriptions_nor_send_a_test(client, subscription):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))

    assert client.get(SUBSCRIPTIONS).status_code == 403
    assert client.get(f"{SUBSCRIPTIONS}{subscription.pk}/preview/").status_code == 403
    assert client.post(f"{SUBSCRIPTIONS}{subscription.pk}/send-test/").status_code == 403
    assert mail.outbox == []
