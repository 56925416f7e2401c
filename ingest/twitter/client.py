"""X API v2 with an app-only bearer token."""

from ingest.http import ApiClient

# Recent search allows 450 requests per 15 minutes for an app on the Basic tier; stay under it.
REQUESTS_PER_MINUTE = 25
FIELDS = {
    "max_results": 100,
    "tweet.fields": "created_at,author_id,lang,conversation_id",
    "expansions": "author_id",
    "user.fields": "username,name",
}


class XClient(ApiClient):
    def __init__(self, *, base_url: str, bearer_token: str, requests_per_minute: float = REQUESTS_PER_MINUTE,
                 **kwargs):
        super().__init__(base_url=base_url, headers={"Authorization": f"Bearer {bearer_token}"},
                         requests_per_minute=requests_per_minute, **kwargs)

    def recent_search(self, *, query: str, since_id: str = "", start_time: str = "", next_token: str = "") -> dict:
        params = {"query": query, **FIELDS}
        for name, value in (("since_id", since_id), ("start_time", start_time), ("next_token", next_token)):
            if value:
                params[name] = value
        return self.get_json("/2/tweets/search/recent", params)
