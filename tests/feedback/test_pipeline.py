"""Processing cuts each item into the problems it raises, themes each one, and migrates older items in place."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import AccountFactory
from tests.themes.test_services import sample
from voc.feedback.models import FeedbackItem, FeedbackUnit, Source
from voc.feedback.pipeline import feedback_process_pending, units_resplit
from voc.feedback.services import feedback_ingest_batch, source_get_or_create
from voc.feedback.units import UNITS_VERSION
from voc.themes.services import themes_recluster

pytestmark = pytest.mark.django_db

THREE_PROBLEMS = (
    "Hi team, my top-up failed again this morning. Also, the exchange rate you gave me was wrong. "
    "Another thing: I still haven't received my new card. Thanks, Maria"
)


@pytest.fixture
def banking_themes(django_capture_on_commit_callbacks):
    """Themes of five banking intents (top-ups, exchange rates, card arrival, ...) from a first re-cluster."""
    source = source_get_or_create(name="Tickets", kind=Source.Kind.ZENDESK)
    feedback_ingest_batch(
        source=source, records=[{"external_id": f"t{n}", "text": text} for n, text in enumerate(sample(40))]
    )
    feedback_process_pending()
    return themes_recluster()


def ingested(texts, **fields) -> list[FeedbackItem]:
    source = source_get_or_create(name="Notes", kind=Source.Kind.MANUAL)
    feedback_ingest_batch(
        source=source, records=[{"external_id": f"n{n}", "text": text, **fields} for n, text in enumerate(texts)]
    )
    feedback_process_pending()
    return list(FeedbackItem.objects.filter(source=source).order_by("pk"))


def test_a_note_raising_three_problems_joins_three_themes(banking_themes):
    [item] = ingested([THREE_PROBLEMS], account_id=AccountFactory().pk)

    units = list(item.units.order_by("position"))
    assert [unit.words for unit in units] == [
        "my top-up failed again this morning.",
        "the exchange rate you gave me was wrong.",
        "I still haven't received my new card.",
    ]
    assert all(item.text[unit.start:unit.end] == unit.words for unit in units)
    assert len({unit.theme_id for unit in units}) == 3
    assert None not in {unit.theme_id for unit in units}
    assert item.theme_id == units[0].theme_id  # the lead theme


def test_problems_listed_without_a_connective_are_taken_apart_when_their_themes_explain_them_better(banking_themes):
    [listed, elaborated] = ingested([
        "My top-up failed again this morning. The exchange rate you gave me was wrong.",
        "My top-up failed again this morning. I tried it twice with my card.",
    ])

    assert [unit.words for unit in listed.units.order_by("position")] == [
        "My top-up failed again this morning.", "The exchange rate you gave me was wrong.",
    ]
    assert len({unit.theme_id for unit in listed.units.all()}) == 2
    assert elaborated.units.count() == 1


def test_a_thanks_only_item_is_processed_with_no_units_and_no_theme(banking_themes):
    thanks, okay = ingested(["@acme thanks!", "ok DMed you"])

    for item in (thanks, okay):
        assert item.status == FeedbackItem.Status.PROCESSED
        assert not item.units.exists()
        assert item.theme_id is None


def test_the_migration_pass_splits_older_items_and_keeps_the_theme_of_one_unit_items(banking_themes):
    [single, triple] = ingested(["My top-up failed again this morning.", THREE_PROBLEMS])
    theme_before = single.units.get().theme_id
    # As the migration left them: one unit of the whole text, in the item's theme, with an older split version.
    FeedbackUnit.objects.filter(item=triple).delete()
    FeedbackUnit.objects.create(item=triple, position=0, start=0, end=len(triple.text), theme_id=theme_before)
    FeedbackItem.objects.filter(pk__in=[single.pk, triple.pk]).update(units_version=0)
    calls = []

    assert units_resplit(progress=lambda done, total: calls.append((done, total))) == 2

    assert single.units.get().theme_id == theme_before
    assert triple.units.count() == 3
    assert set(FeedbackItem.objects.values_list("units_version", flat=True)) == {UNITS_VERSION}
    assert calls[-1] == (2, 2)
    assert units_resplit() == 0  # nothing is left to split


@pytest.mark.django_db(transaction=True)
def test_the_schema_migration_gives_each_processed_item_one_unit_with_its_theme_and_vector():
    executor = MigrationExecutor(connection)
    before = [("feedback", "0004_webhook_deliveries"), ("themes", "0005_curation_split")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    source = old.get_model("feedback", "Source").objects.create(name="Old", kind="api")
    theme = old.get_model("themes", "Theme").objects.create(name="Top-up failed")
    embedding = old.get_model("themes", "Embedding").objects.create(
        text_hash="a" * 64, model_version="m", vector=b"\0" * 8
    )
    Item = old.get_model("feedback", "FeedbackItem")
    common = {"source": source, "kind": "ticket", "content_hash": "x", "occurred_at": timezone.now()}
    processed = Item.objects.create(
        external_id="1", text="My top-up failed.", status="processed", theme=theme, embedding=embedding,
        theme_similarity=0.8, theme_assigned_by="clustering", **common,
    )
    Item.objects.create(external_id="2", text="Still waiting.", status="pending", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    [unit] = FeedbackUnit.objects.all()
    assert unit.item_id == processed.pk
    assert (unit.start, unit.end, unit.words) == (0, len("My top-up failed."), "My top-up failed.")
    assert (unit.theme_id, unit.embedding_id, unit.theme_assigned_by) == (theme.pk, embedding.pk, "clustering")
    assert FeedbackItem.objects.get(pk=processed.pk).units_version == 0  # left for units_resplit


def test_the_pipeline_counts_items_with_no_feedback_content(banking_themes):
    ingested(["@acme thanks!", "ok DMed you", "My top-up failed again this morning."])
    out = StringIO()

    call_command("voc_pipeline", stdout=out)

    assert "2 items held no feedback content (greetings or thanks only): no theme" in out.getvalue()
