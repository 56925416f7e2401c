import pytest

from ingest.files import FileFormatError, Row, file_format_for, reader, rows_count, rows_read


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def test_it_reads_csv_rows_with_the_line_each_starts_on(tmp_path):
    path = write(tmp_path, "f.csv", 'external_id,text\n1,"first\nspans two lines"\n2,second\n')
    assert list(rows_read(path)) == [
        Row(2, record={"external_id": "1", "text": "first\nspans two lines"}, raw='1,"first\nspans two lines"\n'),
        Row(4, record={"external_id": "2", "text": "second"}, raw="2,second\n"),
    ]


def test_an_empty_csv_cell_means_not_given(tmp_path):
    path = write(tmp_path, "f.csv", "external_id,text,title\n1,hello,\n")
    assert [row.record for row in rows_read(path)] == [{"external_id": "1", "text": "hello"}]


def test_metadata_columns_go_into_the_metadata_dict(tmp_path):
    path = write(tmp_path, "f.csv", 'text,metadata.plan,metadata,metadata.seat\nhi,pro,"{""a"": 1}",\n')
    assert [row.record for row in rows_read(path)] == [{"text": "hi", "metadata": {"plan": "pro", "a": 1}}]


def test_a_metadata_cell_that_is_not_a_json_object_is_a_row_error(tmp_path):
    path = write(tmp_path, "f.csv", "text,metadata\nhi,[1]\n")
    assert [row.error for row in rows_read(path)] == ["metadata: expected a JSON object, got an array"]


def test_blank_lines_and_empty_rows_are_skipped(tmp_path):
    path = write(tmp_path, "f.csv", "\ntext,external_id\n\n , \nhello,1\n\n")
    assert [(row.line_number, row.record) for row in rows_read(path)] == [(5, {"text": "hello", "external_id": "1"})]


def test_a_csv_row_with_invalid_utf8_is_an_error_with_its_line_and_the_rest_still_reads(tmp_path):
    path = write(tmp_path, "f.csv", b"text,external_id\ngood,1\nbad \xff byte,2\nalso good,3\n")
    rows = list(rows_read(path))
    assert [(row.line_number, row.error) for row in rows] == [
        (2, ""),
        (3, "invalid UTF-8 at byte 5 (0xff)"),
        (4, ""),
    ]
    assert rows[1].raw == "bad \\xff byte,2\n"
    assert rows[2].record == {"text": "also good", "external_id": "3"}


def test_invalid_utf8_on_a_later_line_of_a_quoted_row_names_that_line(tmp_path):
    path = write(tmp_path, "f.csv", b'text\n"one\ntwo \xc3("\n')
    assert [(row.line_number, row.error) for row in rows_read(path)] == [
        (2, "invalid UTF-8 at byte 5 of line 3 (0xc3)")
    ]


def test_a_utf8_bom_is_not_part_of_the_first_column(tmp_path):
    csv_path = write(tmp_path, "f.csv", b"\xef\xbb\xbftext\nhello\n")
    jsonl_path = write(tmp_path, "f.jsonl", b'\xef\xbb\xbf{"text": "hello"}\n')
    assert [row.record for row in rows_read(csv_path)] == [{"text": "hello"}]
    assert [row.record for row in rows_read(jsonl_path)] == [{"text": "hello"}]


def test_a_row_with_more_fields_than_the_header_is_an_error(tmp_path):
    path = write(tmp_path, "f.csv", "text,external_id\na,1,extra\nb,2\n")
    rows = list(rows_read(path))
    assert rows[0].error == "malformed CSV: the row has 3 fields; the header has 2"
    assert rows[1].record == {"text": "b", "external_id": "2"}


def test_a_short_row_leaves_its_last_columns_empty(tmp_path):
    path = write(tmp_path, "f.csv", "text,external_id,title\nb\n")
    assert [row.record for row in rows_read(path)] == [{"text": "b"}]


def test_an_unknown_column_stops_the_file_before_any_row_naming_unknown_and_known_columns(tmp_path):
    path = write(tmp_path, "f.csv", "text,body,Kind\nhello,x,ticket\n")
    rows = rows_read(path)
    with pytest.raises(FileFormatError) as raised:
        next(rows)
    message = str(raised.value)
    assert "Unknown column(s) in the header: 'body', 'Kind'" in message
    assert "Known columns: account_crm_id, account_id, author_email" in message
    assert "metadata.<key>" in message


def test_a_repeated_column_stops_the_file(tmp_path):
    path = write(tmp_path, "f.csv", "text,text\na,b\n")
    with pytest.raises(FileFormatError, match="more than once in the header: text"):
        list(rows_read(path))


def test_the_allowed_columns_can_be_given(tmp_path):
    path = write(tmp_path, "crm.csv", "crm_id,name\nC-1,Acme\n")
    rows = rows_read(path, columns={"crm_id", "name"}, metadata_columns=False)
    assert [row.record for row in rows] == [{"crm_id": "C-1", "name": "Acme"}]
    with pytest.raises(FileFormatError, match="'metadata.x'"):
        list(rows_read(write(tmp_path, "x.csv", "name,metadata.x\na,b\n"), columns={"name"}, metadata_columns=False))


def test_it_reads_json_lines_skipping_blank_lines(tmp_path):
    path = write(tmp_path, "f.jsonl", '{"text": "a"}\n\n  \r\n{"text": "b", "metadata": {"k": 1}}\r\n')
    assert [(row.line_number, row.record) for row in rows_read(path)] == [
        (1, {"text": "a"}),
        (4, {"text": "b", "metadata": {"k": 1}}),
    ]


def test_a_malformed_json_line_is_an_error_with_the_parser_message(tmp_path):
    path = write(tmp_path, "f.ndjson", '{"text": "a"}\n{"text": "b",}\n{"text": "c"}\n')
    rows = list(rows_read(path))
    assert rows[1] == Row(2, error="malformed JSON: Expecting property name enclosed in double quotes at column 14",
                          raw='{"text": "b",}')
    assert rows[2].record == {"text": "c"}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("[1, 2]", "expected a JSON object, got an array"),
        ('"text"', "expected a JSON object, got a string"),
        ("null", "expected a JSON object, got null"),
        ('{"rating": NaN}', "malformed JSON: NaN is not valid JSON"),
    ],
)
def test_a_json_line_that_is_not_an_object_is_an_error(tmp_path, line, error):
    path = write(tmp_path, "f.jsonl", line + "\n")
    assert [row.error for row in rows_read(path)] == [error]


def test_a_json_line_with_invalid_utf8_is_an_error_and_the_rest_still_reads(tmp_path):
    path = write(tmp_path, "f.jsonl", b'{"text": "a\xe9"}\n{"text": "b"}\n')
    rows = list(rows_read(path))
    assert rows[0] == Row(1, error="invalid UTF-8 at byte 12 (0xe9)", raw='{"text": "a\\xe9"}')
    assert rows[1].record == {"text": "b"}


def test_the_format_comes_from_the_extension_or_the_argument(tmp_path):
    assert file_format_for(tmp_path / "a.CSV") == "csv"
    assert file_format_for(tmp_path / "a.ndjson") == "jsonl"
    assert file_format_for(tmp_path / "a.txt", "jsonl") == "jsonl"
    with pytest.raises(FileFormatError, match=r"extension \.txt; use \.csv, \.jsonl, \.ndjson"):
        file_format_for(tmp_path / "a.txt")
    with pytest.raises(FileFormatError, match="Unknown format 'xml'"):
        file_format_for(tmp_path / "a.csv", "xml")


def test_a_missing_file_is_reported_at_once(tmp_path):
    with pytest.raises(FileNotFoundError):
        rows_read(tmp_path / "missing.csv")


def test_it_counts_the_rows_it_will_yield_errors_included(tmp_path):
    path = write(tmp_path, "f.csv", b'text\n"a\nb"\n\nbad \xff\nc\n')
    assert rows_count(path) == 3


def test_a_file_too_big_to_count_cheaply_has_no_count_but_its_header_is_still_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "COUNT_ROWS_MAX_BYTES", 10)
    assert rows_count(write(tmp_path, "big.csv", "text\n" + "row\n" * 10)) is None
    with pytest.raises(FileFormatError, match="'body'"):
        rows_count(write(tmp_path, "bad.csv", "body\n" + "row\n" * 10))
