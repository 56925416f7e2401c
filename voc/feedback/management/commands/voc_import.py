import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest.files import FORMATS, FileFormatError, RejectFileError, RejectWriter, file_format_for, rows_count
from voc.feedback.imports import feedback_import_file
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.services import source_get_or_create

MAX_BATCH_SIZE = 10_000


class Command(BaseCommand):
    help = (
        "Import feedback from a CSV or JSON Lines file into a source. Rows are checked by the same rules as the "
        "API; rejected rows are written with their line number and reason to PATH.rejects.csv. Re-running the "
        "same file creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .csv, .jsonl or .ndjson file")
        parser.add_argument("--source", required=True, help="source name; created (kind 'import') if new")
        parser.add_argument("--kind", default="", help=f"item kind for rows that give none: {self._kinds()}")
        parser.add_argument("--format", dest="file_format", choices=sorted(set(FORMATS.values())),
                            help="file format, when the extension does not say")
        parser.add_argument("--rejects", help="where to write rejected rows (default: PATH.rejects.csv)")
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, path, source, kind, file_format, rejects, batch_size, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if kind and kind not in FeedbackItem.Kind.values:
            raise CommandError(f"Unknown kind {kind!r}; use one of: {self._kinds()}.")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE:,}.")
        source_name = source.strip()
        max_length = Source._meta.get_field("name").max_length
        if not source_name or len(source_name) > max_length:
            raise CommandError(f"--source must be a name of 1 to {max_length} characters.")
        try:
            file_format = file_format_for(path, file_format)
            total = rows_count(path, file_format=file_format)
            RejectWriter.for_import(path=path, reject_path=rejects)  # a bad location fails before the source exists
        except (FileFormatError, RejectFileError, OSError) as error:
            raise CommandError(str(error))

        feedback_source = source_get_or_create(name=source_name, kind=Source.Kind.IMPORT)
        # tqdm redraws with "\r"; it needs the raw stream, not Django's line-ending OutputWrapper.
        stream = options.get("stderr") or sys.stderr
        with tqdm(total=total, unit="rows", desc=path.name, file=stream, dynamic_ncols=True) as bar:
            try:
                summary = feedback_import_file(
                    path=path,
                    source=feedback_source,
                    default_kind=kind,
                    reject_path=rejects,
                    batch_size=batch_size,
                    file_format=file_format,
                    progress=lambda rows: bar.update(rows - bar.n),
                )
            except (FileFormatError, RejectFileError, OSError) as error:
                raise CommandError(str(error))

        self.stdout.write(f"Imported {path} into source {feedback_source.name!r}: {summary.read:,} rows read.")
        self.stdout.write(self.style.SUCCESS(f"  created:   {summary.created:,}"))
        self.stdout.write(f"  duplicate: {summary.duplicate:,}")
        if summary.warned:
            self.stdout.write(self.style.WARNING(f"  kept with warnings: {summary.warned:,} (e.g. text truncated)"))
        if summary.rejected:
            self.stdout.write(self.style.WARNING(f"  rejected:  {summary.rejected:,}, see {summary.reject_path}"))
        else:
            self.stdout.write("  rejected:  0")

    @staticmethod
    def _kinds() -> str:
        return ", ".join(FeedbackItem.Kind.values)
