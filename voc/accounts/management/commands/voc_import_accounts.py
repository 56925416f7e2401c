import sys
from pathlib import Path

from celery.result import EagerResult
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest.files import FileFormatError, RejectFileError, rows_count
from voc.accounts.imports import ACCOUNT_COLUMNS, accounts_import_csv
from voc.feedback.tasks import feedback_reresolve_task


class Command(BaseCommand):
    help = (
        "Import accounts, their email domains and contacts from a CRM-style CSV (one row per account or per "
        "contact; rows with the same crm_id share one account), then re-resolve feedback not yet tied to an "
        "account. Rejected rows are written with their line number and reason to PATH.rejects.csv."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=f"a CSV file with columns among: {', '.join(sorted(ACCOUNT_COLUMNS))}")
        parser.add_argument("--rejects", help="where to write rejected rows (default: PATH.rejects.csv)")

    def handle(self, *args, path, rejects, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        options_csv = {"file_format": "csv", "columns": ACCOUNT_COLUMNS, "metadata_columns": False}
        try:
            total = rows_count(path, **options_csv)
        except (FileFormatError, OSError) as error:
            raise CommandError(str(error))

        # tqdm redraws with "\r"; it needs the raw stream, not Django's line-ending OutputWrapper.
        stream = options.get("stderr") or sys.stderr
        with tqdm(total=total, unit="rows", desc=path.name, file=stream, dynamic_ncols=True) as bar:
            try:
                summary = accounts_import_csv(
                    path=path, reject_path=rejects, progress=lambda rows: bar.update(rows - bar.n)
                )
            except (FileFormatError, RejectFileError, OSError) as error:
                raise CommandError(str(error))

        self.stdout.write(f"Imported {path}: {summary.read:,} rows read.")
        self.stdout.write(self.style.SUCCESS(
            f"  accounts:  {summary.accounts_created:,} created, {summary.accounts_updated:,} updated"
        ))
        self.stdout.write(f"  contacts:  {summary.contacts_created:,} created, {summary.contacts_updated:,} updated")
        self.stdout.write(f"  domains:   {summary.domains_added:,} added")
        if summary.rejected:
            self.stdout.write(self.style.WARNING(f"  rejected:  {summary.rejected:,}, see {summary.reject_path}"))
        else:
            self.stdout.write("  rejected:  0")

        result = feedback_reresolve_task.delay()
        if isinstance(result, EagerResult):
            resolved = result.get()
            self.stdout.write(f"Re-resolution: {resolved:,} unresolved feedback items are now tied to an account.")
        else:
            self.stdout.write("Re-resolution of unresolved feedback is queued; a worker ties items to accounts.")
