"""Salesforce tasks (calls and notes logged on accounts) as sales feedback, by modification time.

A query's nextRecordsUrl expires after a while; a resumed run whose link has expired asks again from the last
modification time it stored, and what it sees twice is deduplicated by id.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page, PermanentError
from ingest.salesforce.client import SalesforceClient

DEFAULT_SINCE_DAYS = 90
FIELDS = "Id, Subject, Description, AccountId, CreatedDate, LastModifiedDate, ActivityDate, Type"


class SalesforceConnector(Connector):
    """Settings: login_url (the org's My Domain URL), client_id_env, client_secret_env (a connected app)."""

    kind = "salesforce"

    def __init__(self, source, client: SalesforceClient | None = None):
        super().__init__(source)
        self.client = client or SalesforceClient(
            login_url=self.setting("login_url"),
            client_id=self.secret("client_id_env"),
            client_secret=self.secret("client_secret_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 120)),
        )

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def fetch_page(self, cursor: dict) -> Page:
        body = None
        if cursor.get("next"):
            try:
                body = self.client.more(cursor["next"])
            except PermanentError as error:
                if not str(error).startswith("400"):  # an expired query locator is a 400; ask again below
                    raise
        if body is None:
            body = self.client.query(
                f"SELECT {FIELDS} FROM Task WHERE AccountId != null AND LastModifiedDate >= {cursor['since']} "
                "ORDER BY LastModifiedDate ASC"
            )
        rows = body.get("records") or []
        records, skipped = [], []
        for row in rows:
            record = task_record(row)
            if record is None:
                skipped.append((str(row.get("Id")), "a task without a description"))
            else:
                records.append(record)
        latest = max([cursor["since"], *(_utc(row.get("LastModifiedDate")) for row in rows)])
        if body.get("done", True) or not body.get("nextRecordsUrl"):
            return Page(records, {"since": latest}, True, skipped)
        return Page(records, {"since": latest, "next": body["nextRecordsUrl"]}, False, skipped)


def task_record(row: dict) -> dict | None:
    text = (row.get("Description") or "").strip()
    if not text:
        return None
    return {
        "external_id": row["Id"],
        "kind": "sales_note",
        "title": row.get("Subject") or "",
        "text": text,
        "occurred_at": row.get("CreatedDate"),
        "account_crm_id": row.get("AccountId") or "",
        "metadata": {"type": row.get("Type"), "activity_date": row.get("ActivityDate")},
    }


def _utc(text: str | None) -> str:
    """Salesforce's '2026-11-19T09:10:00.000+0000' as '2026-11-19T09:10:00Z', the form SOQL compares."""
    if not text:
        return ""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
