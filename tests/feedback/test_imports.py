import csv
import json

import pytest

from ingest.files import FileFormatError
from tests.factories import SourceFactory
from voc.feedback import imports
from voc.feedback.imports import feedback_import_file
from voc.feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return SourceFactory(name="export", kind=Source.Kind.IMPORT)


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def rejects_of(summary) -> list[list[str]]:
    with open(summary.reject_path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


FEEDBACK_CSV = (
    "text,author_email,occurred_at,metadata.plan\n"
    "Card never arrived,jane@acme.example,2024-05-01,pro\n"
    '"Export is slow,\nvery slow",bob@beta.example,2024-05-02T10:00:00Z,\n'
)


def test_importing_the_same_csv_twice_creates_nothing_the_second_time(tmp_path, source):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    first = feedback_import_file(path=path, source=source, default_kind="ticket")
    second = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert (first.read, first.created, first.duplicate, first.rejected) == (2, 2, 0, 0)
    assert (second.read, second.created, second.duplicate, second.rejected) == (2, 0, 2, 0)
    assert FeedbackItem.objects.filter(source=source).count() == 2


def test_csv_columns_become_item_fields_and_metadata(tmp_path, source):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    feedback_import_file(path=path, source=source, default_kind="survey")
    item = FeedbackItem.objects.get(author_email="jane@acme.example")
    assert (item.kind, item.text, item.metadata) == ("survey", "Card never arrived", {"plan": "pro"})
    assert item.external_id.startswith("auto:")
    assert FeedbackItem.objects.get(author_email="bob@beta.example").text == "Export is slow,\nvery slow"


def test_it_imports_json_lines(tmp_path, source):
    lines = [
        {"external_id": "T-1", "kind": "ticket", "text": "Login loops", "rating": 2, "metadata": {"tags": ["a"]}},
        {"external_id": "T-2", "kind": "social", "text": "Love the app", "author_handle": "@fan"},
    ]
    path = write(tmp_path, "feedback.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")
    summary = feedback_import_file(path=path, source=source)
    assert (summary.created, summary.rejected, summary.reject_path) == (2, 0, None)
    item = FeedbackItem.objects.get(external_id="T-1")
    assert (item.kind, str(item.rating), item.metadata) == ("ticket", "2.00", {"tags": ["a"]})


def test_a_row_with_bad_utf8_is_rejected_with_its_line_number_and_the_rest_imported(tmp_path, source):
    path = write(tmp_path, "feedback.csv", b"external_id,text\n1,fine\n2,caf\xe9 au lait\n3,also fine\n")
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert (summary.created, summary.rejected) == (2, 1)
    assert rejects_of(summary) == [["3", "invalid UTF-8 at byte 6 (0xe9)", "2,caf\\xe9 au lait"]]
    assert set(FeedbackItem.objects.values_list("external_id", flat=True)) == {"1", "3"}


def test_a_malformed_json_line_is_rejected_and_the_rest_imported(tmp_path, source):
    path = write(tmp_path, "feedback.jsonl", '{"text": "one"}\n{"text": "two"\n{"text": "three"}\n')
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert (summary.created, summary.rejected) == (2, 1)
    [[line, reason, raw]] = rejects_of(summary)
    assert (line, raw) == ("2", '{"text": "two"')
    assert reason.startswith("malformed JSON: Expecting ',' delimiter")


def test_an_empty_text_row_is_rejected_with_the_reason(tmp_path, source):
    path = write(tmp_path, "feedback.jsonl", '{"external_id": "E", "text": "   "}\n{"external_id": "F"}\n')
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert summary.created == 0
    assert rejects_of(summary) == [
        ["1", "text: is empty", '{"external_id": "E", "text": "   "}'],
        ["2", "text: is required", '{"external_id": "F"}'],
    ]


def test_an_over_long_text_is_kept_and_flagged(tmp_path, source, settings):
    settings.VOC_MAX_TEXT_CHARS = 50
    path = write(tmp_path, "feedback.csv", "external_id,text\nL," + "x" * 80 + "\n")
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert (summary.created, summary.warned, summary.rejected) == (1, 1, 0)
    item = FeedbackItem.objects.get(external_id="L")
    assert (len(item.text), item.text_truncated, item.metadata["truncated_from_chars"]) == (50, True, 80)


def test_html_and_script_are_kept_verbatim(tmp_path, source):
    text = '<script>alert("x")</script><b onclick="steal()">bold</b>'
    path = write(tmp_path, "feedback.jsonl", json.dumps({"external_id": "X", "text": text}) + "\n")
    feedback_import_file(path=path, source=source, default_kind="ticket")
    assert FeedbackItem.objects.get(external_id="X").text == text


def test_an_unknown_column_stops_the_import_before_anything_is_written(tmp_path, source):
    path = write(tmp_path, "feedback.csv", "text,customer\nfine,acme\n")
    with pytest.raises(FileFormatError, match="'customer'"):
        feedback_import_file(path=path, source=source, default_kind="ticket")
    assert not FeedbackItem.objects.exists()
    assert not (tmp_path / "feedback.csv.rejects.csv").exists()


def test_rule_errors_and_reader_errors_go_to_the_reject_file_in_line_order(tmp_path, source):
    path = write(
        tmp_path,
        "feedback.csv",
        b"external_id,text,url,nps_score\n"
        b"1,ok,,\n"
        b"2,bad url,javascript:alert(1),\n"
        b"3,\xff,,\n"
        b"4,bad score,,11\n"
        b"5,too,many,fields,here\n",
    )
    summary = feedback_import_file(path=path, source=source, default_kind="ticket", reject_path=tmp_path / "r.csv")
    assert summary.reject_path == tmp_path / "r.csv"
    assert (summary.read, summary.created, summary.rejected) == (5, 1, 4)
    assert rejects_of(summary) == [
        ["3", "url: must be an http or https URL", "2,bad url,javascript:alert(1),"],
        ["4", "invalid UTF-8 at byte 3 (0xff)", "3,\\xff,,"],
        ["5", "nps_score: must be between 0 and 10", "4,bad score,,11"],
        ["6", "malformed CSV: the row has 5 fields; the header has 4", "5,too,many,fields,here"],
    ]


def test_no_reject_file_is_written_when_every_row_is_accepted(tmp_path, source):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert summary.reject_path is None
    assert not (tmp_path / "feedback.csv.rejects.csv").exists()


def test_a_row_repeated_in_the_file_is_a_duplicate(tmp_path, source):
    path = write(tmp_path, "feedback.csv", "external_id,text\nA,same\nA,same\n")
    summary = feedback_import_file(path=path, source=source, default_kind="ticket")
    assert (summary.created, summary.duplicate) == (1, 1)


def test_rows_without_a_kind_are_rejected_when_the_source_implies_none(tmp_path, source):
    path = write(tmp_path, "feedback.csv", "text\nno kind here\n")
    summary = feedback_import_file(path=path, source=source)
    assert rejects_of(summary)[0][1].startswith("kind: is required for this source")


def test_an_interrupted_import_keeps_finished_batches_and_a_rerun_completes_it(tmp_path, source, monkeypatch):
    path = write(tmp_path, "feedback.csv", "external_id,text\n" + "".join(f"{n},text {n}\n" for n in range(5)))
    real_ingest = imports.feedback_ingest_batch
    calls = []

    def crash_on_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real_ingest(**kwargs)

    monkeypatch.setattr(imports, "feedback_ingest_batch", crash_on_second_batch)
    with pytest.raises(ConnectionError):
        feedback_import_file(path=path, source=source, default_kind="ticket", batch_size=2)
    assert set(FeedbackItem.objects.values_list("external_id", flat=True)) == {"0", "1"}

    monkeypatch.setattr(imports, "feedback_ingest_batch", real_ingest)
    summary = feedback_import_file(path=path, source=source, default_kind="ticket", batch_size=2)
    assert (summary.created, summary.duplicate) == (3, 2)


def test_it_reports_progress_in_rows_read(tmp_path, source):
    path = write(tmp_path, "feedback.csv", "external_id,text\n" + "".join(f"{n},text {n}\n" for n in range(5)))
    seen = []
    feedback_import_file(path=path, source=source, default_kind="ticket", batch_size=2, progress=seen.append)
    assert seen == [2, 4, 5]


@pytest.mark.services
def test_imported_items_are_processed_by_a_worker(tmp_path, celery_worker, wait_for):
    source = SourceFactory(name="export", kind=Source.Kind.IMPORT)
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    feedback_import_file(path=path, source=source, default_kind="ticket")
    processed = FeedbackItem.objects.filter(source=source, status=FeedbackItem.Status.PROCESSED)
    wait_for(lambda: processed.count() == 2, timeout=30, what="imported items processed by the worker")
