"""CSV and JSON Lines imports (ingest/files, voc_import): any bytes become rows or reasons, never a stopped import."""

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.files import FileFormatError, RejectWriter, rows_read
from tests.factories import SourceFactory
from tests.fuzz.strategies import json_bytes, json_values, texts
from voc.feedback.imports import feedback_import_file
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.records import RECORD_FIELDS

COLUMNS = sorted(RECORD_FIELDS - {"metadata"})
GOOD_ROW = {"external_id": "fuzz-good", "kind": "ticket", "text": "Exports time out on big workspaces"}
GOOD_LINE = json.dumps(GOOD_ROW).encode()

cells = texts(surrogates=False)
# A line of a JSON Lines file: an object of record-ish fields, any JSON at all, or bytes that are neither.
jsonl_lines = st.one_of(
    st.dictionaries(st.sampled_from(sorted(RECORD_FIELDS)) | texts(huge=False), json_values(), max_size=5)
    .map(json_bytes),
    json_values().map(json_bytes),
    st.binary(max_size=60),
    st.sampled_from([b"", b"\xef\xbb\xbf{}", b"[" * 50_000, b'{"text": NaN}', b'{"text": "x"', b"\r", b"\xff\xfe"]),
)
headers = st.lists(st.sampled_from(COLUMNS) | st.from_regex(r"metadata\.[a-z]{1,8}", fullmatch=True),
                   min_size=1, max_size=6, unique=True)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def rows_checked(path, tmp_path) -> list:
    """Every row is a record or a reason, in file order, and its reject line can be written."""
    rows = list(rows_read(path))
    with RejectWriter(tmp_path / "rejects.csv") as rejects:
        for row in rows:
            assert (row.record is None) == bool(row.error)
            assert row.record is None or isinstance(row.record, dict)
            rejects.write(row.line_number, row.error or "ok", row.raw)
    assert [row.line_number for row in rows] == sorted({row.line_number for row in rows})
    assert all(row.line_number >= 1 for row in rows)
    return rows


@given(lines=st.lists(jsonl_lines, max_size=6), ending=st.sampled_from([b"\n", b"\r\n"]))
def test_any_json_lines_file_reads_as_records_and_reasons(tmp_path, lines, ending):
    path = tmp_path / "feedback.jsonl"
    path.write_bytes(ending.join([*lines, GOOD_LINE]))

    rows = rows_checked(path, tmp_path)

    assert rows[-1].record == GOOD_ROW


@given(header=headers, body=st.binary(max_size=300))
def test_any_bytes_under_a_good_csv_header_read_as_rows_and_reasons(tmp_path, header, body):
    path = tmp_path / "feedback.csv"
    path.write_bytes(",".join(header).encode() + b"\n" + body)

    rows_checked(path, tmp_path)


@given(head=st.binary(max_size=80), body=st.binary(max_size=80))
def test_a_csv_header_that_does_not_fit_stops_the_file_before_any_row(tmp_path, head, body):
    path = tmp_path / "feedback.csv"
    path.write_bytes(head + b"\n" + body)

    try:
        next(rows_read(path), None)
    except FileFormatError as error:
        refusal = str(error)
    else:
        refusal = None
        rows_checked(path, tmp_path)

    assert refusal is None or refusal.strip()


@given(data=st.data(), header=headers)
def test_cells_written_by_a_csv_writer_read_back_as_they_were(tmp_path, data, header):
    rows = data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=4))
    path = tmp_path / "feedback.csv"
    path.write_text(csv_text(header, rows), encoding="utf-8", newline="")

    read = list(rows_read(path))

    expected = []
    for row in rows:
        if all(not cell.strip() for cell in row):
            continue  # a blank row is skipped
        record = {name: cell for name, cell in zip(header, row, strict=True) if cell and "." not in name}
        metadata = {name[len("metadata."):]: cell for name, cell in zip(header, row, strict=True)
                    if cell and name.startswith("metadata.")}
        expected.append(record | ({"metadata": metadata} if metadata else {}))
    assert [row.error for row in read] == [""] * len(expected)
    assert [row.record for row in read] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
@given(data=st.data())
def test_voc_import_takes_a_good_row_whatever_surrounds_it(tmp_path, file_format, data):
    source = SourceFactory(name="fuzz import", kind=Source.Kind.IMPORT)
    FeedbackItem.objects.filter(source=source).delete()  # left by the previous example
    path = tmp_path / f"feedback.{file_format}"
    if file_format == "jsonl":
        path.write_bytes(b"\n".join([*data.draw(st.lists(jsonl_lines, max_size=5)), GOOD_LINE]))
    else:
        header = list(dict.fromkeys(["external_id", "kind", "text", *data.draw(headers)]))
        rows = data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=4))
        good = [GOOD_ROW.get(name, "") for name in header]
        # Then whatever bytes follow the good row: a cut-off last line, an unclosed quote, bad UTF-8.
        path.write_bytes(csv_text(header, [*rows, good]).encode() + data.draw(st.binary(max_size=40)))

    summary = feedback_import_file(path=path, source=source, reject_path=tmp_path / "rejects.csv")

    assert summary.read == summary.created + summary.duplicate + summary.rejected
    assert FeedbackItem.objects.filter(source=source, external_id="fuzz-good").exists()
    if summary.rejected:
        with open(summary.reject_path, encoding="utf-8", newline="") as handle:
            rejects = list(csv.DictReader(handle))
        assert len(rejects) == summary.rejected
        assert all(reject["reason"].strip() for reject in rejects)
