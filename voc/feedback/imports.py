"""Import feedback from CSV and JSON Lines files, through the same service (and rules) as the API."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.files import RejectWriter, Row, rows_read
from voc.feedback.models import Source
from voc.feedback.services import IngestStatus, feedback_ingest_batch


@dataclass
class ImportSummary:
    read: int = 0
    created: int = 0
    duplicate: int = 0
    rejected: int = 0
    # Kept, but with a warning: a truncated text or title.
    warned: int = 0
    reject_path: Path | None = None  # set only when rejected rows were written


def feedback_import_file(
    *,
    path: str | Path,
    source: Source,
    default_kind: str = "",
    reject_path: str | Path | None = None,
    batch_size: int = 500,
    file_format: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a CSV or JSON Lines file of feedback in batches; rejected rows go to a reject file with the reason.

    Each batch commits on its own, so an interrupted import keeps what it accepted, and a re-run answers those
    rows as duplicates (by external_id, or the id derived from text, author and date when the file has none).
    Raises FileFormatError or RejectFileError (ingest.files) before anything is written when the file or
    the reject location does not fit.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    summary = ImportSummary()
    rows = rows_read(path, file_format=file_format)
    with RejectWriter.for_import(path=path, reject_path=reject_path) as rejects:
        batch: list[Row] = []
        for row in rows:
            summary.read += 1
            batch.append(row)
            if len(batch) >= batch_size:
                _ingest_batch(batch, source=source, default_kind=default_kind, summary=summary, rejects=rejects)
                batch = []
                if progress is not None:
                    progress(summary.read)
        if batch:
            _ingest_batch(batch, source=source, default_kind=default_kind, summary=summary, rejects=rejects)
        if progress is not None:
            progress(summary.read)
        if rejects.written:
            summary.reject_path = rejects.path
    return summary


def _ingest_batch(
    batch: list[Row], *, source: Source, default_kind: str, summary: ImportSummary, rejects: RejectWriter
) -> None:
    readable = [row for row in batch if not row.error]
    # feedback_ingest_batch commits these records in one transaction of its own.
    results = feedback_ingest_batch(source=source, records=[row.record for row in readable], default_kind=default_kind)
    reasons = {row.line_number: row.error for row in batch if row.error}
    for result in results:
        if result.status == IngestStatus.REJECTED:
            reasons[readable[result.index].line_number] = "; ".join(
                f"{name}: {message}" for name, message in result.errors.items()
            )
        elif result.status == IngestStatus.CREATED:
            summary.created += 1
            summary.warned += bool(result.warnings)
        else:
            summary.duplicate += 1
    # Rejects go out in file order, reader errors and rule errors alike.
    for row in batch:
        if row.line_number in reasons:
            summary.rejected += 1
            rejects.write(row.line_number, reasons[row.line_number], row.raw)
