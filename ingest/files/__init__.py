"""Feedback and account files: CSV and JSON Lines, read one row at a time, with a reject file for bad rows."""

from ingest.files.reader import FORMATS, FileFormatError, Row, file_format_for, rows_count, rows_read
from ingest.files.rejects import RejectFileError, RejectWriter, reject_path_default

__all__ = [
    "FORMATS",
    "FileFormatError",
    "RejectFileError",
    "RejectWriter",
    "Row",
    "file_format_for",
    "reject_path_default",
    "rows_count",
    "rows_read",
]
