"""Zendesk tickets as feedback: the subject, the first comment as the text, the requester's email."""

from datetime import datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page
from ingest.zendesk.client import ZendeskClient

# A new source starts this far back unless a backfill says otherwise.
DEFAULT_SINCE_DAYS = 30


class ZendeskConnector(Connector):
    """Settings: subdomain, email, token_env (the variable holding the API token); base_url only for tests."""

    kind = "zendesk"

    def __init__(self, source, client: ZendeskClient | None = None):
        super().__init__(source)
        self.client = client or ZendeskClient(
            base_url=self.settings.get("base_url") or f"https://{self.setting('subdomain')}.zendesk.com",
            email=self.setting("email"),
            api_token=self.secret("token_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 10)),
        )

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"start_time": int(since.timestamp())}

    def fetch_page(self, cursor: dict) -> Page:
        body = self.client.tickets_after(cursor)
        users = {user.get("id"): user for user in body.get("users") or []}
        records, skipped = [], []
        for ticket in body.get("tickets") or []:
            if ticket.get("status") == "deleted":
                skipped.append((str(ticket.get("id")), "deleted in Zendesk"))
                continue
            requester = users.get(ticket.get("requester_id")) or {}
            records.append(ticket_record(ticket, requester, base_url=self.client.base_url))
        # At the end of the stream the cursor still moves on: the next sync asks for what came after it.
        next_cursor = {"after_cursor": body.get("after_cursor")} if body.get("after_cursor") else dict(cursor)
        return Page(records=records, cursor=next_cursor, done=bool(body.get("end_of_stream")), skipped=skipped)


def ticket_record(ticket: dict, requester: dict, *, base_url: str) -> dict:
    return {
        # A null id (a webhook template can send one) must not become the id "None" that every such ticket shares.
        "external_id": str(ticket["id"]) if ticket.get("id") is not None else "",
        "kind": "ticket",
        "title": ticket.get("subject") or "",
        "text": ticket.get("description") or "",
        "author_email": requester.get("email") or "",
        "author_name": requester.get("name") or "",
        "occurred_at": ticket.get("created_at"),
        "url": f"{base_url}/agent/tickets/{ticket.get('id')}",
        "metadata": {
            "status": ticket.get("status"), "tags": ticket.get("tags") or [], "updated_at": ticket.get("updated_at"),
            "organization_id": ticket.get("organization_id"),
        },
    }
