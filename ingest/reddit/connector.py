"""Posts from a subreddit (its newest, or those matching a search), each a social item by its author's handle.

Listings run newest first, so a run pages back in time until it reaches what the last run saw. Reddit's times
can tie and its listings shift as posts are removed, so the boundary is moved back by a look-back window and the
posts seen twice are deduplicated by their id.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page, epoch_iso
from ingest.reddit.client import RedditClient

LOOK_BACK = timedelta(minutes=30)
DEFAULT_SINCE_DAYS = 7


class RedditConnector(Connector):
    """Settings: subreddit, optional query (search within it), client_id_env and client_secret_env."""

    kind = "reddit"

    def __init__(self, source, client: RedditClient | None = None):
        super().__init__(source)
        self.subreddit = self.setting("subreddit").removeprefix("r/").strip("/")
        self.query = self.settings.get("query", "")
        self.client = client or RedditClient(
            base_url=self.settings.get("base_url") or "https://oauth.reddit.com",
            token_url=self.settings.get("token_url") or "https://www.reddit.com/api/v1/access_token",
            client_id=self.secret("client_id_env"),
            client_secret=self.secret("client_secret_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 60)),
        )

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"boundary": since.timestamp()}

    def fetch_page(self, cursor: dict) -> Page:
        boundary = float(cursor.get("boundary", 0)) - LOOK_BACK.total_seconds()
        params = {"after": cursor["after"]} if cursor.get("after") else {}
        if self.query:
            path = f"/r/{self.subreddit}/search"
            params |= {"q": self.query, "restrict_sr": 1, "sort": "new"}
        else:
            path = f"/r/{self.subreddit}/new"
        listing = (self.client.listing(path, params).get("data") or {})
        posts = [child.get("data") or {} for child in listing.get("children") or [] if child.get("kind") == "t3"]
        fresh = [post for post in posts if float(post.get("created_utc") or 0) > boundary]
        records, skipped = [], []
        for post in fresh:
            if post.get("removed_by_category") or post.get("author") in (None, "[deleted]"):
                skipped.append((str(post.get("id")), "removed or deleted on Reddit"))
                continue
            records.append(post_record(post))
        newest = max([cursor.get("newest", 0), *(float(post.get("created_utc") or 0) for post in posts)])
        reached_the_last_run = len(fresh) < len(posts) or not listing.get("after")
        if reached_the_last_run:
            return Page(records, {"boundary": newest or cursor.get("boundary", 0)}, True, skipped)
        following = {"boundary": cursor.get("boundary", 0), "newest": newest, "after": listing["after"]}
        return Page(records, following, False, skipped)


def post_record(post: dict) -> dict:
    # A link post has only its title; the title is kept apart as well, and the two are embedded together.
    text = post.get("selftext") or post.get("title", "")
    return {
        "external_id": post.get("name") or f"t3_{post.get('id')}",
        "kind": "social",
        "title": post.get("title", ""),
        "text": text,
        "author_handle": f"u/{post['author']}",
        "occurred_at": epoch_iso(post["created_utc"]),
        "url": f"https://www.reddit.com{post.get('permalink', '')}",
        "metadata": {"subreddit": post.get("subreddit"), "score": post.get("score"),
                     "comments": post.get("num_comments")},
    }
