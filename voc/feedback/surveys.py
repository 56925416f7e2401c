"""Survey and NPS exports uploaded as CSV: a score and a comment per row, whatever the tool calls its columns."""

import csv
import io
from dataclasses import dataclass, field

from voc.feedback.models import FeedbackItem, Source
from voc.feedback.services import IngestStatus, feedback_ingest_batch

BATCH = 500
MAX_REASONS_SHOWN = 50
# What survey tools call each column (lower case, spaces and dashes as underscores), first match wins.
COLUMNS = {
    "external_id": ["response_id", "id", "respondent_id", "token", "submission_id"],
    "nps_score": ["nps", "nps_score", "score", "likelihood_to_recommend", "how_likely_are_you_to_recommend_us"],
    "text": ["comment", "comments", "feedback", "reason", "text", "why", "what_could_we_do_better"],
    "author_email": ["email", "email_address", "respondent_email", "author_email"],
    "occurred_at": ["date", "submitted_at", "submitted", "created_at", "response_date", "timestamp"],
    "account_crm_id": ["account_id", "crm_id", "company_id"],
}


class SurveyFileError(Exception):
    """The file as a whole cannot be read: nothing was imported."""


@dataclass
class SurveyImport:
    rows: int = 0
    created: int = 0
    duplicate: int = 0
    skipped: int = 0  # a score without a comment: nothing a theme could hold
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def survey_csv_import(*, source: Source, data: bytes) -> SurveyImport:
    """Import a survey export; each row is answered on its own, and a bad row never stops the rest."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SurveyFileError(f"the file is not UTF-8 (byte {error.start}); export it as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_column_name(name) for name in next(reader, [])]
    except csv.Error as error:
        raise SurveyFileError(f"the header row is not valid CSV: {error}") from None
    columns = {field: next((header.index(name) for name in names if name in header), None)
               for field, names in COLUMNS.items()}
    if columns["text"] is None:
        raise SurveyFileError(f"no comment column; name one of: {', '.join(COLUMNS['text'])}")

    summary = SurveyImport()
    batch: list[tuple[int, dict]] = []
    line_number = 1
    while True:
        line_number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # A broken quote can swallow the rest of the file into one field past the csv module's limit; that
            # row is refused with the reason, and the reader goes on after it.
            summary.rows += 1
            summary.rejected.append((line_number, f"malformed CSV: {error}"))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        summary.rows += 1
        record = {"kind": FeedbackItem.Kind.SURVEY}
        for name, index in columns.items():
            if index is not None and index < len(cells) and cells[index].strip():
                record[name] = cells[index].strip()
        if not record.get("text"):
            summary.skipped += 1
            continue
        batch.append((line_number, record))
        if len(batch) >= BATCH:
            _ingest(source, batch, summary)
            batch = []
    if batch:
        _ingest(source, batch, summary)
    return summary


def _ingest(source: Source, batch: list[tuple[int, dict]], summary: SurveyImport) -> None:
    results = feedback_ingest_batch(source=source, records=[record for _, record in batch])
    for (line_number, _), result in zip(batch, results, strict=True):
        if result.status == IngestStatus.CREATED:
            summary.created += 1
        elif result.status == IngestStatus.DUPLICATE:
            summary.duplicate += 1
        else:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in result.errors.items())
            summary.rejected.append((line_number, reasons))


def _column_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_").rstrip("?")
