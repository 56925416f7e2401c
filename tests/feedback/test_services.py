import pytest

from tests.factories import AccountDomainFactory, AccountFactory, ContactFactory, FeedbackItemFactory, SourceFactory
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.pipeline import feedback_reresolve
from voc.feedback.services import feedback_ingest, feedback_ingest_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return SourceFactory(name="tickets", kind=Source.Kind.ZENDESK)


def test_it_creates_an_item_and_processes_it_after_commit(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = feedback_ingest(source=source, record={"external_id": "T-1", "text": "Card declined"})
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert result.status == "created"
    assert (item.source, item.external_id, item.kind) == (source, "T-1", "ticket")
    assert item.status == FeedbackItem.Status.PROCESSED
    assert item.attempts == 1


def test_it_answers_a_repeated_external_id_as_a_duplicate_with_the_existing_id(source):
    first = feedback_ingest(source=source, record={"external_id": "T-1", "text": "Card declined"})
    again = feedback_ingest(source=source, record={"external_id": "T-1", "text": "Card declined"})
    assert (again.status, again.item_id) == ("duplicate", first.item_id)
    assert FeedbackItem.objects.count() == 1


def test_the_same_external_id_in_another_source_is_a_different_item(source):
    other = SourceFactory(name="chat", kind=Source.Kind.INTERCOM)
    feedback_ingest(source=source, record={"external_id": "1", "text": "a"})
    feedback_ingest(source=other, record={"external_id": "1", "text": "a"})
    assert FeedbackItem.objects.count() == 2


def test_a_batch_answers_every_record_on_its_own(source):
    FeedbackItemFactory(source=source, external_id="old")
    results = feedback_ingest_batch(
        source=source,
        records=[
            {"external_id": "new", "text": "fine"},
            {"external_id": "old", "text": "seen before"},
            {"external_id": "bad", "text": "   "},
            {"external_id": "new", "text": "fine"},
            "not an object",
            {"external_id": "also-new", "text": "<script>alert(1)</script>"},
        ],
    )
    assert [r.status for r in results] == ["created", "duplicate", "rejected", "duplicate", "rejected", "created"]
    assert results[3].item_id == results[0].item_id
    assert results[2].errors == {"text": "is empty"}
    assert FeedbackItem.objects.filter(source=source).count() == 3
    assert FeedbackItem.objects.get(external_id="also-new").text == "<script>alert(1)</script>"


def test_it_rejects_an_account_id_that_does_not_exist(source):
    result = feedback_ingest(source=source, record={"text": "hi", "account_id": 999_999})
    assert result.status == "rejected"
    assert "999999" in result.errors["account_id"]


def test_an_account_given_by_the_caller_is_kept(source):
    account = AccountFactory()
    result = feedback_ingest(source=source, record={"text": "hi"}, account=account)
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert (item.account, item.resolved_by) == (account, "given")


def test_processing_resolves_the_account_from_the_author_email(source, django_capture_on_commit_callbacks):
    contact = ContactFactory(email="jane@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        result = feedback_ingest(source=source, record={"text": "hi", "author_email": "Jane@Acme.example"})
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert (item.account, item.contact, item.resolved_by) == (contact.account, contact, "contact_email")


def test_an_unresolved_item_is_kept_and_resolved_once_its_account_exists(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = feedback_ingest(source=source, record={"text": "hi", "author_email": "sam@newco.example"})
    assert FeedbackItem.objects.get(pk=result.item_id).account is None

    domain = AccountDomainFactory(domain="newco.example")
    assert feedback_reresolve() == 1
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert (item.account, item.resolved_by) == (domain.account, "email_domain")


def test_an_unknown_crm_id_is_kept_and_resolves_after_a_crm_import(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = feedback_ingest(source=source, record={"text": "hi", "account_crm_id": "CRM-9"})
    assert FeedbackItem.objects.get(pk=result.item_id).account is None

    account = AccountFactory(crm_id="CRM-9")
    feedback_reresolve(item_ids=[result.item_id])
    assert FeedbackItem.objects.get(pk=result.item_id).account == account


def test_a_truncated_text_records_its_original_length(source):
    result = feedback_ingest(source=source, record={"text": "y" * 30_000})
    item = FeedbackItem.objects.get(pk=result.item_id)
    assert item.text_truncated
    assert item.metadata["truncated_from_chars"] == 30_000
    assert result.warnings
