"""Intercom conversations as support feedback: the customer's opening message, their email, the tags.

Conversations are searched by update time, oldest change first, so one edited or retagged upstream comes back
and updates its item. Intercom compares update times in whole seconds and only with a strict ">", so a run
starts again at the second of the last change it saw (asking "> that second - 1"); what it sees twice is
deduplicated by the conversation id.
"""

from datetime import datetime, timedelta
from html import unescape

from django.utils import timezone
from django.utils.html import strip_tags

from ingest.base import Connector, Page, epoch_iso
from ingest.intercom.client import PAGE_SIZE, REQUESTS_PER_MINUTE, IntercomClient
from ingest.text import html_text

DEFAULT_SINCE_DAYS = 30
INBOX_URL = "https://app.intercom.com/a/inbox/{workspace}/inbox/conversation/{id}"
# Authors who are the customer; a conversation a teammate or a bot opened is an outbound message, not feedback.
CUSTOMER_AUTHORS = {"user", "lead", "contact"}


class IntercomConnector(Connector):
    """Settings: token_env (an access token that can read conversations); optional requests_per_minute,
    workspace_id (the app id in inbox links); base_url only for tests."""

    kind = "intercom"

    def __init__(self, source, client: IntercomClient | None = None):
        super().__init__(source)
        self.client = client or IntercomClient(
            base_url=self.settings.get("base_url") or "https://api.intercom.io",
            token=self.secret("token_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", REQUESTS_PER_MINUTE)),
        )
        self.page_size = int(self.settings.get("page_size", PAGE_SIZE))
        self.workspace = self.settings.get("workspace_id") or "_"

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"updated_since": int(since.timestamp())}

    def fetch_page(self, cursor: dict) -> Page:
        since = int(cursor["updated_since"])
        body = self.client.conversations_updated_after(
            updated_after=since - 1, starting_after=cursor.get("starting_after", ""), per_page=self.page_size
        )
        conversations = body.get("conversations") or []
        records, skipped = [], []
        for conversation in conversations:
            record, reason = conversation_record(conversation, workspace=self.workspace)
            if record is None:
                skipped.append((str(conversation.get("id")), reason))
            else:
                records.append(record)
        latest = max([int(cursor.get("latest", since)), *(int(c.get("updated_at") or 0) for c in conversations)])
        following = ((body.get("pages") or {}).get("next") or {}).get("starting_after")
        if not following or not conversations:
            return Page(records, {"updated_since": latest}, True, skipped)
        return Page(records, {"updated_since": since, "starting_after": following, "latest": latest}, False, skipped)


def conversation_record(conversation: dict, *, workspace: str = "_") -> tuple[dict | None, str]:
    """One conversation as a feedback record, or None and the reason it is not feedback."""
    source = conversation.get("source") or {}
    author = source.get("author") or {}
    if author.get("type") and author["type"] not in CUSTOMER_AUTHORS:
        return None, f"opened by a teammate or bot ({author['type']}), not by the customer"
    text = html_text(source.get("body") or "")
    if not text:
        return None, "no text in the opening message"
    created_at = conversation.get("created_at")
    tags = ((conversation.get("tags") or {}).get("tags")) or []
    return {
        "external_id": str(conversation["id"]),
        "kind": "ticket",
        "title": unescape(strip_tags(source.get("subject") or conversation.get("title") or "")).strip(),
        "text": text,
        "author_email": author.get("email") or "",
        "author_name": author.get("name") or "",
        "occurred_at": epoch_iso(created_at) if created_at else None,
        "url": INBOX_URL.format(workspace=workspace, id=conversation["id"]),
        "metadata": {
            "state": conversation.get("state"),
            "tags": [tag.get("name") for tag in tags if tag.get("name")],
            "priority": conversation.get("priority"),
            "delivered_as": source.get("delivered_as"),
            "updated_at": conversation.get("updated_at"),
            "page_url": source.get("url"),
        },
    }, ""

