"""Stream CSV and JSON Lines files one row at a time, turning each row into a record or a reason it is bad.

A bad row (invalid UTF-8, malformed JSON, too many CSV fields) is reported with the line it starts on and
never stops the rows after it. Only a file that cannot be read at all (an unknown format, a CSV header with
unknown columns) raises FileFormatError, and it does so before the first row is yielded.
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from voc.feedback.records import RECORD_FIELDS

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
METADATA_PREFIX = "metadata."
# The csv module refuses fields over 128 KiB by default; a long ticket is still feedback (records.py keeps
# and flags it), so allow far more while still bounding what one broken quote can swallow.
MAX_FIELD_CHARS = 16 * 1024 * 1024
# Counting rows for a progress bar means reading the file twice; beyond this size it is not worth it.
COUNT_ROWS_MAX_BYTES = 256 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"
# Bytes that are not valid UTF-8 come back from errors="surrogateescape" as U+DC80..U+DCFF.
_ESCAPED_BYTE = re.compile(r"[\udc80-\udcff]")
_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}


class FileFormatError(Exception):
    """The file cannot be imported at all: unknown format, or a header that does not fit."""


@dataclass(frozen=True)
class Row:
    """One row of a file: a record, or the reason it could not be read. `raw` is the row as text, for rejects."""

    line_number: int
    record: dict | None = None
    error: str = ""
    raw: str = ""


def file_format_for(path: str | Path, file_format: str | None = None) -> str:
    """'csv' or 'jsonl': the explicit format if given, else from the file's extension."""
    formats = sorted(set(FORMATS.values()))
    if file_format:
        if file_format not in formats:
            raise FileFormatError(f"Unknown format {file_format!r}; use one of: {', '.join(formats)}.")
        return file_format
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise FileFormatError(
            f"Cannot tell the format of {Path(path).name} from its extension {suffix or '(none)'}; "
            f"use {', '.join(sorted(FORMATS))} or give the format explicitly ({', '.join(formats)})."
        )
    return FORMATS[suffix]


def rows_read(
    path: str | Path,
    *,
    file_format: str | None = None,
    columns: Iterable[str] = RECORD_FIELDS,
    metadata_columns: bool = True,
) -> Iterator[Row]:
    """Rows of a CSV or JSON Lines file, one at a time. Blank lines are skipped.

    CSV: the header must name only `columns` (and `metadata.<key>` when metadata_columns); an empty cell
    means "not given" and its key is left out. JSON Lines: each line must be a JSON object.
    """
    path = Path(path)
    file_format = file_format_for(path, file_format)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file")
    if file_format == "csv":
        return _csv_rows(path, columns=frozenset(columns), metadata_columns=metadata_columns)
    return _jsonl_rows(path)


def rows_count(path: str | Path, **options) -> int | None:
    """How many rows rows_read will yield, or None when the file is too big to count cheaply.

    Either way the format and the CSV header are checked, so a file that cannot be imported fails here.
    """
    rows = rows_read(path, **options)
    try:
        if Path(path).stat().st_size > COUNT_ROWS_MAX_BYTES:
            next(rows, None)
            return None
        return sum(1 for _ in rows)
    finally:
        rows.close()


# --- JSON Lines ----------------------------------------------------------------------------------


def _jsonl_rows(path: Path) -> Iterator[Row]:
    # Bytes per line, so one line with invalid UTF-8 is reported on its own and the rest decode normally.
    with open(path, "rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line_number == 1 and line.startswith(_UTF8_BOM):
                line = line[len(_UTF8_BOM) :]
            raw = line.decode("utf-8", "backslashreplace").rstrip("\r\n")
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                reason = f"invalid UTF-8 at byte {error.start + 1} (0x{line[error.start]:02x})"
                yield Row(line_number, error=reason, raw=raw)
                continue
            if not text.strip():
                continue
            record, error = _json_object(text)
            yield Row(line_number, record=record, error=error, raw=raw)


def _json_object(text: str) -> tuple[dict | None, str]:
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return None, f"malformed JSON: {error.msg} at column {error.colno}"
    except ValueError as error:
        return None, f"malformed JSON: {error}"
    except RecursionError:
        return None, "malformed JSON: nested too deeply"
    if not isinstance(value, dict):
        return None, f"expected a JSON object, got {_JSON_TYPE_NAMES.get(type(value), 'null')}"
    return value, ""


def _reject_constant(name: str):
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb refuses them later, mid-batch.
    raise ValueError(f"{name} is not valid JSON")


# --- CSV -----------------------------------------------------------------------------------------


class _LineTap:
    """Hands lines to csv.reader and remembers them, so each row's raw text is known."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._taken: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._taken.append(line)
        return line

    def take(self) -> str:
        text = "".join(self._taken)
        self._taken.clear()
        return text


def _csv_rows(path: Path, *, columns: frozenset[str], metadata_columns: bool) -> Iterator[Row]:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    # newline="" lets the csv module see quoted newlines; surrogateescape keeps bad bytes for a per-row error.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        tap = _LineTap(handle)
        reader = csv.reader(tap)
        header: list[str] | None = None
        while True:
            line_number = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if header is None:
                    raise FileFormatError(f"The header row is not valid CSV: {error}") from error
                yield Row(line_number, error=f"malformed CSV: {error}", raw=_printable(tap.take()))
                continue
            raw = tap.take()
            if all(not cell.strip() for cell in cells):
                continue
            if header is None:
                header = _header_checked(cells, raw, columns=columns, metadata_columns=metadata_columns)
                continue
            record, error = _csv_record(header, cells, raw, line_number)
            yield Row(line_number, record=record, error=error, raw=_printable(raw))


def _header_checked(cells: list[str], raw: str, *, columns: frozenset[str], metadata_columns: bool) -> list[str]:
    if _ESCAPED_BYTE.search(raw):
        raise FileFormatError(f"The header row has bytes that are not valid UTF-8: {_printable(raw).strip()}")
    header = [cell.strip() for cell in cells]
    unknown = [
        name
        for name in header
        if name not in columns
        and not (metadata_columns and name.startswith(METADATA_PREFIX) and len(name) > len(METADATA_PREFIX))
    ]
    if unknown:
        known = sorted(columns) + ([f"{METADATA_PREFIX}<key>"] if metadata_columns else [])
        shown = ", ".join(repr(name) for name in unknown)
        raise FileFormatError(
            f"Unknown column(s) in the header: {shown}. Nothing was imported. Known columns: {', '.join(known)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileFormatError(f"Column(s) appear more than once in the header: {', '.join(repeated)}.")
    return header


def _csv_record(header: list[str], cells: list[str], raw: str, line_number: int) -> tuple[dict | None, str]:
    bad_byte = _ESCAPED_BYTE.search(raw)
    if bad_byte:
        return None, _invalid_utf8_reason(raw, bad_byte.start(), line_number)
    if len(cells) > len(header):
        return None, f"malformed CSV: the row has {len(cells)} fields; the header has {len(header)}"
    record: dict = {}
    metadata: dict = {}
    # A short row leaves its last columns empty, as spreadsheets do when they trim trailing cells.
    for name, value in zip(header, cells, strict=False):
        if value == "":
            continue
        if name == "metadata":
            parsed, error = _json_object(value)
            if error:
                return None, f"metadata: {error}"
            metadata = {**parsed, **metadata}
        elif name.startswith(METADATA_PREFIX):
            metadata[name[len(METADATA_PREFIX) :]] = value
        else:
            record[name] = value
    if metadata:
        record["metadata"] = metadata
    return record, ""


def _invalid_utf8_reason(raw: str, index: int, line_number: int) -> str:
    before = raw[:index]
    # Which physical line of a multi-line row, and which byte of that line, the bad byte is at.
    line_offset = before.count("\n") + before.count("\r") - before.count("\r\n")
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    byte = len(before[line_start:].encode("utf-8", "surrogateescape")) + 1
    value = ord(raw[index]) - 0xDC00
    where = f" of line {line_number + line_offset}" if line_offset else ""
    return f"invalid UTF-8 at byte {byte}{where} (0x{value:02x})"


def _printable(text: str) -> str:
    """The text with any undecodable bytes shown as \\xNN, so that it can be written out again."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
