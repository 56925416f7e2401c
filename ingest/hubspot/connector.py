"""HubSpot notes as sales feedback, each tied to its company, which voc matches to an account by CRM id.

Notes are read by modification time, oldest change first, so an edited note comes back and updates its item.
Times can tie, so each run starts again at the last time seen and what it sees twice is deduplicated by id.
HubSpot's search stops at 10,000 results per query; a longer backfill starts a new query where it got to.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page
from ingest.hubspot.client import HubSpotClient
from ingest.text import html_text

DEFAULT_SINCE_DAYS = 90
SEARCH_LIMIT = 10_000


class HubSpotConnector(Connector):
    """Settings: token_env (a private app token with crm.objects.companies.read and notes access)."""

    kind = "hubspot"

    def __init__(self, source, client: HubSpotClient | None = None):
        super().__init__(source)
        self.client = client or HubSpotClient(
            base_url=self.settings.get("base_url") or "https://api.hubapi.com",
            token=self.secret("token_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 120)),
        )

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"since_ms": int(since.timestamp() * 1000)}

    def fetch_page(self, cursor: dict) -> Page:
        body = self.client.notes_modified_since(since_ms=cursor["since_ms"], after=cursor.get("after", ""))
        notes = body.get("results") or []
        companies = self.client.note_companies([note["id"] for note in notes if note.get("id")])
        records, skipped = [], []
        for note in notes:
            record = note_record(note, companies.get(str(note.get("id"))))
            if record is None:
                skipped.append((str(note.get("id")), "archived, or a note without text"))
            else:
                records.append(record)
        latest = max([cursor.get("latest_ms", cursor["since_ms"]), *(_modified_ms(note) for note in notes)])
        following = ((body.get("paging") or {}).get("next") or {}).get("after")
        if not following:
            return Page(records, {"since_ms": latest}, True, skipped)
        if int(following) >= SEARCH_LIMIT - 100:  # near HubSpot's cap: a new query from the latest change seen
            return Page(records, {"since_ms": latest}, False, skipped)
        return Page(records, {"since_ms": cursor["since_ms"], "after": following, "latest_ms": latest}, False, skipped)


def note_record(note: dict, company_id: str | None) -> dict | None:
    properties = note.get("properties") or {}
    text = html_text(properties.get("hs_note_body") or "")
    if note.get("archived") or not text:
        return None
    return {
        "external_id": str(note["id"]),
        "kind": "sales_note",
        "text": text,
        "occurred_at": properties.get("hs_timestamp") or properties.get("hs_createdate"),
        "account_crm_id": company_id or "",
        "metadata": {"hubspot_company_id": company_id, "modified_at": properties.get("hs_lastmodifieddate")},
    }


def _modified_ms(note: dict) -> int:
    modified = (note.get("properties") or {}).get("hs_lastmodifieddate") or note.get("updatedAt")
    return int(datetime.fromisoformat(modified.replace("Z", "+00:00")).timestamp() * 1000) if modified else 0
