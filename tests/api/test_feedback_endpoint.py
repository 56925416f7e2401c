import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory, UserFactory
from voc.api.models import ApiToken
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.feedback.models import FeedbackItem, Source

URL = "/api/v1/feedback"

pytestmark = pytest.mark.django_db


def post_json(client, payload, **extra):
    return client.post(URL, payload, format="json", **extra)


def post_raw(client, body, content_type="application/json", **extra):
    return client.generic("POST", URL, body, content_type=content_type, **extra)


# --- one item -----------------------------------------------------------------------------------


def test_it_creates_one_item_and_answers_201(api_client):
    response = post_json(api_client, {"external_id": "T-1", "kind": "ticket", "text": "Exports time out"})

    assert response.status_code == 201
    body = response.json()
    item = FeedbackItem.objects.get()
    assert body == {
        "source": "api",
        "counts": {"created": 1, "duplicate": 0, "rejected": 0},
        "results": [{"index": 0, "status": "created", "id": item.pk, "external_id": "T-1"}],
    }
    assert response["Location"] == f"{URL}/{item.pk}"
    assert item.text == "Exports time out"
    assert item.logged_by == api_client.user
    assert (item.source.name, item.source.kind) == ("api", Source.Kind.API)


def test_it_queues_processing_of_new_items_once_the_request_commits(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_json(api_client, {"kind": "ticket", "text": "Please add SSO"})

    assert response.status_code == 201
    assert len(callbacks) == 1
    item = FeedbackItem.objects.get(pk=response.json()["results"][0]["id"])
    assert item.status == FeedbackItem.Status.PROCESSED


def test_it_answers_200_with_the_existing_id_for_a_duplicate(api_client):
    first = post_json(api_client, {"external_id": "T-1", "kind": "ticket", "text": "Exports time out"})
    again = post_json(api_client, {"external_id": "T-1", "kind": "ticket", "text": "Exports time out"})

    assert again.status_code == 200
    assert again.json()["results"][0]["status"] == "duplicate"
    assert again.json()["results"][0]["id"] == first.json()["results"][0]["id"]
    assert again.json()["counts"] == {"created": 0, "duplicate": 1, "rejected": 0}
    assert FeedbackItem.objects.count() == 1


def test_it_stores_one_item_under_the_source_named_next_to_its_fields(api_client):
    SourceFactory(name="Zendesk EU", kind=Source.Kind.ZENDESK)

    response = post_json(api_client, {"source": "Zendesk EU", "external_id": "77", "text": "Slow search"})

    assert response.status_code == 201
    item = FeedbackItem.objects.get()
    assert item.source.name == "Zendesk EU"
    assert item.kind == FeedbackItem.Kind.TICKET  # implied by the source's kind
    assert "source" not in item.metadata


def test_it_refuses_an_unknown_source_without_creating_it(api_client):
    response = post_json(api_client, {"source": "Zendsk", "kind": "ticket", "text": "Slow search"})

    assert response.status_code == 400
    assert "no source named 'Zendsk'" in response.json()["detail"]
    assert not Source.objects.filter(name="Zendsk").exists()
    assert not FeedbackItem.objects.exists()


def test_it_rejects_one_bad_item_with_400_and_the_errors(api_client):
    response = post_json(api_client, {"kind": "ticket", "text": "ok", "nps_score": 11, "url": "javascript:x"})

    assert response.status_code == 400
    result = response.json()["results"][0]
    assert result["status"] == "rejected"
    assert set(result["errors"]) == {"nps_score", "url"}
    assert response.json()["counts"] == {"created": 0, "duplicate": 0, "rejected": 1}


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_it_rejects_an_empty_or_whitespace_text(api_client, text):
    response = post_json(api_client, {"kind": "ticket", "text": text})

    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == {"text": "is empty"}
    assert not FeedbackItem.objects.exists()


def test_it_keeps_and_flags_a_text_over_20000_characters(api_client):
    response = post_json(api_client, {"kind": "ticket", "text": "a" * 25_000})

    assert response.status_code == 201
    result = response.json()["results"][0]
    assert "25,000 characters" in result["warnings"][0]
    item = FeedbackItem.objects.get(pk=result["id"])
    assert len(item.text) == 20_000
    assert item.text_truncated is True


def test_it_rejects_an_item_with_unknown_fields(api_client):
    response = post_json(api_client, {"kind": "ticket", "text": "Hello", "colour": "red", "items_count": 2})

    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == {"record": "unknown field(s): colour, items_count"}


def test_it_rejects_a_lone_surrogate_in_the_text(api_client):
    response = post_raw(api_client, b'{"kind": "ticket", "text": "broken \\ud800 text"}')

    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == {"text": "contains bytes that are not valid UTF-8"}
    assert not FeedbackItem.objects.exists()


def test_it_answers_json_when_a_lone_surrogate_is_quoted_back_in_an_error(api_client):
    response = post_raw(api_client, b'{"kind": "ticket", "text": "fine", "\\udc00x": 1}')

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"][0]["errors"]["record"] == "unknown field(s): \\udc00x"


def test_it_removes_nul_characters_from_the_text(api_client):
    response = post_raw(api_client, b'{"kind": "ticket", "text": "nul\\u0000 inside"}')

    assert response.status_code == 201
    assert FeedbackItem.objects.get().text == "nul inside"


def test_it_stores_html_verbatim_and_returns_it_as_a_json_string(api_client):
    html = '<script>alert("x")</script><b onmouseover=alert(1)>hi</b> &amp;'

    created = post_json(api_client, {"kind": "ticket", "text": html, "title": "<img src=x onerror=alert(1)>"})
    fetched = api_client.get(f"{URL}/{created.json()['results'][0]['id']}")

    assert created.status_code == 201
    assert FeedbackItem.objects.get().text == html
    assert fetched["Content-Type"] == "application/json"
    assert fetched.json()["text"] == html
    assert fetched.json()["title"] == "<img src=x onerror=alert(1)>"


# --- batches ------------------------------------------------------------------------------------


def test_it_answers_a_mixed_batch_item_by_item(api_client):
    source = SourceFactory(name="NPS survey", kind=Source.Kind.SURVEY)
    existing = FeedbackItemFactory(source=source, external_id="R-0")

    response = post_json(
        api_client,
        {
            "source": "NPS survey",
            "items": [
                {"external_id": "R-1", "text": "Love the new dashboard", "nps_score": 9},
                {"external_id": "R-0", "text": "Sent before"},
                {"external_id": "R-2", "text": "  "},
                "not an object",
                {"external_id": "R-1", "text": "Love the new dashboard", "nps_score": 9},
                {"external_id": "R-3", "text": "Too pricey", "nps_score": "eleven"},
                {"external_id": "R-4", "text": "Export is slow", "occurred_at": "2025-02-01"},
            ],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "NPS survey"
    assert body["counts"] == {"created": 2, "duplicate": 2, "rejected": 3}
    results = body["results"]
    assert [result["index"] for result in results] == list(range(7))
    assert [result["status"] for result in results] == [
        "created", "duplicate", "rejected", "rejected", "duplicate", "rejected", "created",
    ]
    assert results[1]["id"] == existing.pk
    assert results[2]["errors"] == {"text": "is empty"}
    assert results[3]["errors"] == {"record": "expected an object, got str"}
    assert results[4]["id"] == results[0]["id"]
    assert "nps_score" in results[5]["errors"]
    created = FeedbackItem.objects.filter(source=source).exclude(pk=existing.pk)
    assert sorted(created.values_list("external_id", flat=True)) == ["R-1", "R-4"]
    assert created.get(external_id="R-4").occurred_at == dt.datetime(2025, 2, 1, tzinfo=dt.UTC)


def test_it_uses_the_api_source_for_a_batch_without_one(api_client):
    response = post_json(api_client, {"items": [{"kind": "ticket", "text": "one"}, {"kind": "ticket", "text": "two"}]})

    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 2
    assert set(FeedbackItem.objects.values_list("source__name", flat=True)) == {"api"}


def test_it_refuses_unknown_keys_in_the_batch_envelope(api_client):
    response = post_json(api_client, {"source": "api", "items": [{"kind": "ticket", "text": "x"}], "dry_run": True})

    assert response.status_code == 400
    assert "Unknown key(s) in the batch: dry_run" in response.json()["detail"]
    assert not FeedbackItem.objects.exists()


def test_it_refuses_items_that_are_not_a_list(api_client):
    response = post_json(api_client, {"items": {"text": "x"}})

    assert response.status_code == 400
    assert "'items' must be a list" in response.json()["detail"]


def test_it_refuses_a_batch_over_the_limit(api_client, settings):
    settings.VOC_API_MAX_BATCH = 3

    response = post_json(api_client, {"items": [{"kind": "ticket", "text": f"item {n}"} for n in range(4)]})

    assert response.status_code == 400
    assert response.json()["detail"] == "A batch holds at most 3 items; this one has 4. Split it up."
    assert not FeedbackItem.objects.exists()


def test_it_accepts_a_batch_at_the_limit(api_client, settings):
    settings.VOC_API_MAX_BATCH = 3

    response = post_json(api_client, {"items": [{"kind": "ticket", "text": f"item {n}"} for n in range(3)]})

    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 3


# --- malformed requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"kind": "ticket", "text": ', "Malformed JSON: Expecting value at line 1, column 28."),
        (b'{"text": "a"}}', "Malformed JSON: Extra data at line 1, column 14."),
        (b'{"text": "a", "rating": NaN}', "Malformed JSON: NaN is not valid JSON."),
        (b'{"text": "caf\xe9"}', "The request body is not valid UTF-8 (bad byte at position 13)."),
        (b"[" * 100_000, "Malformed JSON: nested too deeply."),
    ],
)
def test_it_answers_malformed_json_with_a_clear_message(api_client, body, message):
    response = post_raw(api_client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": message}


@pytest.mark.parametrize(("body", "kind"), [(b"[]", "an array"), (b'"text"', "a string"), (b"null", "null")])
def test_it_refuses_a_body_that_is_not_an_object(api_client, body, kind):
    response = post_raw(api_client, body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"Expected a JSON object, got {kind}.")


def test_it_refuses_an_empty_body(api_client):
    response = post_raw(api_client, b"")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The request body is empty.")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_it_answers_415_to_a_body_that_is_not_json(api_client, content_type):
    response = post_raw(api_client, b'{"kind": "ticket", "text": "x"}', content_type=content_type)

    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert not FeedbackItem.objects.exists()


def test_it_answers_413_to_a_big_body(api_client, settings):
    settings.VOC_API_MAX_BODY_BYTES = 1_000

    response = post_json(api_client, {"kind": "ticket", "text": "x" * 2_000})

    assert response.status_code == 413
    assert "the limit is 1,000 bytes" in response.json()["detail"]
    assert not FeedbackItem.objects.exists()


def test_it_answers_413_from_the_declared_length_without_reading_the_body(api_client, settings):
    settings.VOC_API_MAX_BODY_BYTES = 1_000
    body = b'{"kind": "ticket", "text": "x"}'

    # The test client's payload refuses to be read past its real length, so any read would fail the test.
    response = post_raw(api_client, body, CONTENT_LENGTH="5000")

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is 5,000 bytes; the limit is 1,000 bytes.")


def test_it_answers_413_when_django_refuses_to_read_a_big_body(api_client, settings):
    settings.VOC_API_MAX_BODY_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_json(api_client, {"kind": "ticket", "text": "x" * 1_000})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


# --- reading one item ---------------------------------------------------------------------------


def test_it_returns_one_item(api_client):
    account = AccountFactory(name="Acme")
    item = FeedbackItemFactory(
        source=SourceFactory(name="Zendesk"),
        external_id="Z-9",
        title="Export",
        text="Exports time out",
        author_email="ana@acme.example",
        account=account,
        resolved_by=FeedbackItem.ResolvedBy.GIVEN,
        occurred_at=dt.datetime(2025, 3, 2, 9, 15, tzinfo=dt.UTC),
        rating="4.50",
        nps_score=8,
        language="en",
        metadata={"plan": "pro"},
    )

    response = api_client.get(f"{URL}/{item.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["received_at"]
    del body["received_at"]
    assert body == {
        "id": item.pk,
        "source": "Zendesk",
        "external_id": "Z-9",
        "kind": "ticket",
        "title": "Export",
        "text": "Exports time out",
        "text_truncated": False,
        "url": "",
        "author_email": "ana@acme.example",
        "author_handle": "",
        "author_name": "",
        "account": {"id": account.pk, "name": "Acme"},
        "resolved_by": "given",
        "occurred_at": "2025-03-02T09:15:00Z",
        "rating": 4.5,
        "nps_score": 8,
        "language": "en",
        "metadata": {"plan": "pro"},
        "status": "pending",
    }


def test_it_returns_a_null_account_for_an_unresolved_item(api_client):
    item = FeedbackItemFactory()

    response = api_client.get(f"{URL}/{item.pk}")

    assert response.json()["account"] is None
    assert response.json()["rating"] is None


def test_it_answers_404_for_a_missing_item(api_client):
    response = api_client.get(f"{URL}/999999")

    assert response.status_code == 404
    assert response.json() == {"detail": "No feedback item has id 999999."}


# --- who may call -------------------------------------------------------------------------------


def test_it_answers_401_without_a_token():
    response = post_json(APIClient(), {"kind": "ticket", "text": "x"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not FeedbackItem.objects.exists()


def test_it_answers_401_to_a_revoked_token(api_client):
    ApiToken.objects.update(revoked_at=timezone.now())

    response = api_client.get(f"{URL}/{FeedbackItemFactory().pk}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}


def test_it_answers_403_to_sending_without_the_add_permission(token_client):
    product_client = token_client(roles=[PRODUCT])

    response = post_json(product_client, {"kind": "ticket", "text": "x"})

    assert response.status_code == 403
    assert not FeedbackItem.objects.exists()


def test_it_answers_403_to_reading_without_the_view_permission(token_client):
    client = token_client(roles=[])

    response = client.get(f"{URL}/{FeedbackItemFactory().pk}")

    assert response.status_code == 403


def test_it_lets_a_reader_without_the_add_permission_read(token_client):
    response = token_client(roles=[PRODUCT]).get(f"{URL}/{FeedbackItemFactory().pk}")

    assert response.status_code == 200


def test_it_accepts_a_signed_in_session_instead_of_a_token():
    client = APIClient()
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))

    response = post_json(client, {"kind": "ticket", "text": "logged in a browser"})

    assert response.status_code == 201


def test_it_keeps_the_request_body_encoding_of_non_ascii_text(api_client):
    text = "Le paiement échoue — 支払いが失敗 🙁"

    response = post_raw(api_client, json.dumps({"kind": "ticket", "text": text}, ensure_ascii=False).encode())

    assert response.status_code == 201
    assert FeedbackItem.objects.get().text == text
    assert text.encode() in api_client.get(f"{URL}/{FeedbackItem.objects.get().pk}").content
