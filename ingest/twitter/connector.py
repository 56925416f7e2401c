"""Posts on X matching a query, newest first within a run; the next run asks only for what came after.

Recent search reaches back 7 days. A source paused for longer than that has a gap no sync can fill; the admin says
so on the source's page.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page
from ingest.twitter.client import XClient

SEARCH_WINDOW = timedelta(days=7)
logger = logging.getLogger(__name__)


class XConnector(Connector):
    """Settings: query (X search syntax, e.g. "@acme OR acme.com -is:retweet"), token_env (the bearer token)."""

    kind = "twitter"

    def __init__(self, source, client: XClient | None = None):
        super().__init__(source)
        self.query = self.setting("query")
        self.client = client or XClient(
            base_url=self.settings.get("base_url") or "https://api.twitter.com",
            bearer_token=self.secret("token_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 25)),
        )

    def start_cursor(self, since: datetime | None) -> dict:
        # The API refuses a start_time older than its window; a little inside it, so the clock never trips it.
        earliest = timezone.now() - SEARCH_WINDOW + timedelta(minutes=1)
        start = max(since or earliest, earliest)
        return {"start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def fetch_page(self, cursor: dict) -> Page:
        cursor = self._within_window(cursor)
        body = self.client.recent_search(
            query=self.query, since_id=cursor.get("since_id", ""), start_time=cursor.get("start_time", ""),
            next_token=cursor.get("next_token", ""),
        )
        users = {user["id"]: user for user in (body.get("includes") or {}).get("users") or []}
        records, skipped = [], []
        for post in body.get("data") or []:
            if not post.get("id") or not post.get("text"):
                skipped.append((str(post.get("id", "?")), "a post without an id or text"))
                continue
            records.append(post_record(post, users.get(post.get("author_id")) or {}))
        meta = body.get("meta") or {}
        # Within a run, pages go back in time from the newest post; the newest id seen becomes the next run's start.
        newest = cursor.get("newest_id") or meta.get("newest_id") or cursor.get("since_id", "")
        if meta.get("next_token"):
            following = {key: value for key, value in cursor.items() if key != "next_token"}
            return Page(records, following | {"next_token": meta["next_token"], "newest_id": newest}, False, skipped)
        checked = {"checked_at": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return Page(records, ({"since_id": newest} if newest else self.start_cursor(None)) | checked, True, skipped)

    def _within_window(self, cursor: dict) -> dict:
        """The API refuses to look back more than 7 days: after a longer pause, start at the window's edge."""
        checked = cursor.get("checked_at") or cursor.get("start_time")
        if checked and cursor.get("next_token") is None:
            moment = datetime.fromisoformat(checked.replace("Z", "+00:00"))
            if moment < timezone.now() - SEARCH_WINDOW:
                logger.warning("%s: paused longer than X's 7-day search window; posts before %s are lost",
                               self.source.name, self.start_cursor(None)["start_time"])
                return self.start_cursor(None)
        return cursor


def post_record(post: dict, author: dict) -> dict:
    username = author.get("username", "")
    return {
        "external_id": post["id"],
        "kind": "social",
        "text": post["text"],
        "author_handle": f"@{username}" if username else "",
        "author_name": author.get("name", ""),
        "occurred_at": post.get("created_at"),
        "language": post.get("lang", "") if post.get("lang") not in ("und", "zxx") else "",
        "url": f"https://x.com/{username or 'i'}/status/{post['id']}",
        "metadata": {"conversation_id": post.get("conversation_id")},
    }
