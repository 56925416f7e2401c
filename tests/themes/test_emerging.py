"""Emerging themes: a new problem surfaces within one processing pass, before any re-cluster."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.factories import AccountFactory, FeedbackItemFactory
from tests.themes.test_services import sample
from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
from voc.feedback.pipeline import feedback_process_pending
from voc.feedback.services import feedback_ingest_batch, source_get_or_create
from voc.themes.embedding import embeddings_for_texts
from voc.themes.emerging import themes_emerge
from voc.themes.models import ClusterRun, Theme, ThemeEvent
from voc.themes.services import themes_recluster

pytestmark = pytest.mark.django_db

CSV_EXPORT_TIMES_OUT = [
    "Exporting the quarterly report to CSV times out after a minute.",
    "The CSV export of big reports never finishes, it times out.",
    "CSV export times out on our large reports.",
    "Export to CSV keeps timing out for reports over 10k rows.",
    "Our report CSV export fails with a timeout every time.",
]
UNRELATED = [
    "The dark mode colours make the charts hard to read.",
    "Please add a Zapier integration for new invoices.",
    "Our SSO login loops forever on Safari.",
    "The mobile app drains the battery overnight.",
    "Invoice PDFs show the wrong VAT number.",
]


@pytest.fixture
def notes():
    return source_get_or_create(name="Account notes", kind=Source.Kind.MANUAL)


def log(source, texts, accounts, *, prefix="note", capture):
    """Log each text for the next account in turn and process it, as a CS user's notes are."""
    with capture(execute=True):
        feedback_ingest_batch(
            source=source,
            records=[
                {"external_id": f"{prefix}-{n}", "text": text, "account_id": accounts[n % len(accounts)].pk}
                for n, text in enumerate(texts)
            ],
        )
    return list(FeedbackItem.objects.filter(source=source, external_id__startswith=f"{prefix}-").order_by("pk"))


@pytest.fixture
def fitted(django_capture_on_commit_callbacks):
    """Banking themes from a first re-cluster: five intents, forty texts each."""
    source = source_get_or_create(name="Tickets", kind=Source.Kind.ZENDESK)
    feedback_ingest_batch(source=source, records=[{"external_id": f"t{n}", "text": text}
                                                  for n, text in enumerate(sample(40))])
    feedback_process_pending()
    return themes_recluster()


def themes_of(items) -> set:
    return set(FeedbackUnit.objects.filter(item__in=items).values_list("theme_id", flat=True))


def test_five_notes_on_a_new_problem_from_three_accounts_emerge_as_a_theme_in_one_pass_after_the_demo(
    notes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("voc_demo", "--limit", "600", "--no-serve", stdout=StringIO())
    runs = ClusterRun.objects.count()
    assert runs
    assert Theme.objects.filter(retired_at__isnull=True).exists()

    accounts = [AccountFactory(name=f"Reporting customer {n}") for n in range(3)]
    items = log(notes, CSV_EXPORT_TIMES_OUT, accounts, capture=django_capture_on_commit_callbacks)

    [theme] = Theme.objects.filter(emerging=True)
    assert themes_of(items) == {theme.pk}
    assert ClusterRun.objects.count() == runs  # no re-cluster ran
    assert "csv" in theme.name.lower()
    assert theme.size == len(CSV_EXPORT_TIMES_OUT)
    assert ThemeEvent.objects.filter(theme=theme, kind=ThemeEvent.Kind.BORN).exists()
    out = StringIO()
    call_command("voc_rank", "--json", "--top", "0", stdout=out)
    [ranked] = [row for row in json.loads(out.getvalue()) if row["theme_id"] == theme.pk]
    assert ranked["emerging"] is True
    assert ranked["accounts"] == 3
    assert ranked["item_ids"] == [item.pk for item in items]


def test_notes_on_a_new_problem_from_one_account_alone_do_not_emerge(
    fitted, notes, django_capture_on_commit_callbacks
):
    items = log(notes, CSV_EXPORT_TIMES_OUT, [AccountFactory()], capture=django_capture_on_commit_callbacks)

    assert not Theme.objects.filter(emerging=True).exists()
    assert themes_of(items) == {None}


def test_unrelated_unsorted_notes_do_not_gather_into_a_theme(fitted, notes, django_capture_on_commit_callbacks):
    accounts = [AccountFactory() for _ in range(5)]
    items = log(notes, UNRELATED, accounts, capture=django_capture_on_commit_callbacks)

    assert not Theme.objects.filter(emerging=True).exists()
    assert None in themes_of(items)  # (one may sit near enough to a banking theme to join it)


def test_a_later_note_on_the_problem_joins_the_emerging_theme(fitted, notes, django_capture_on_commit_callbacks):
    accounts = [AccountFactory() for _ in range(3)]
    log(notes, CSV_EXPORT_TIMES_OUT[:3], accounts, capture=django_capture_on_commit_callbacks)
    [theme] = Theme.objects.filter(emerging=True)

    later = log(notes, CSV_EXPORT_TIMES_OUT[3:], accounts, prefix="later", capture=django_capture_on_commit_callbacks)

    assert themes_of(later) == {theme.pk}
    theme.refresh_from_db()
    assert theme.size == len(CSV_EXPORT_TIMES_OUT)
    assert Theme.objects.filter(emerging=True).count() == 1


def test_the_next_re_cluster_adopts_an_emerging_theme_whose_members_stay_together(
    fitted, notes, django_capture_on_commit_callbacks
):
    accounts = [AccountFactory() for _ in range(3)]
    texts = [*CSV_EXPORT_TIMES_OUT, "CSV exports of long reports time out.", "Exporting reports as CSV times out."]
    items = log(notes, texts, accounts, capture=django_capture_on_commit_callbacks)
    [theme] = Theme.objects.filter(emerging=True)

    themes_recluster()

    theme.refresh_from_db()
    assert not theme.emerging
    assert theme.retired_at is None
    assert themes_of(items) == {theme.pk}


@pytest.mark.django_db(transaction=True)
def test_two_workers_gathering_the_same_new_problem_at_once_make_one_emerging_theme(notes):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them anyway")
    source = source_get_or_create(name="Tickets", kind=Source.Kind.ZENDESK)
    feedback_ingest_batch(source=source, records=[{"external_id": f"t{n}", "text": text}
                                                  for n, text in enumerate(sample(40))])
    feedback_process_pending()
    themes_recluster()
    texts = [*CSV_EXPORT_TIMES_OUT, "Exporting reports as CSV times out."]
    embedding_ids = embeddings_for_texts(texts)
    accounts = [AccountFactory() for _ in range(4)]
    meeting = threading.Barrier(2)

    def worker(half: int) -> None:
        """A chunk of three unsorted notes from two accounts, gathered in a transaction that overlaps the other's."""
        try:
            with transaction.atomic():
                units = []
                for n in range(3):
                    text = texts[3 * half + n]
                    item = FeedbackItemFactory(source=notes, text=text, account=accounts[2 * half + n % 2],
                                               status=FeedbackItem.Status.PROCESSED, units=False)
                    units.append(FeedbackUnit.objects.create(item=item, position=0, start=0, end=len(text),
                                                             embedding_id=embedding_ids[3 * half + n]))
                meeting.wait(timeout=10)
                themes_emerge(units=units)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(worker, range(2)))

    [theme] = Theme.objects.filter(emerging=True)
    assert themes_of(FeedbackItem.objects.filter(source=notes)) == {theme.pk}
