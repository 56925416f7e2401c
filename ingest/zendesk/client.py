"""Zendesk's API: https://{subdomain}.zendesk.com/api/v2, with an API token (email/token basic auth)."""

from ingest.http import ApiClient

# The incremental exports allow 10 requests a minute on most plans; pace below it rather than be told.
REQUESTS_PER_MINUTE = 10


class ZendeskClient(ApiClient):
    def __init__(self, *, base_url: str, email: str, api_token: str, requests_per_minute: float = REQUESTS_PER_MINUTE,
                 **kwargs):
        super().__init__(base_url=base_url, requests_per_minute=requests_per_minute, **kwargs)
        self.session.auth = (f"{email}/token", api_token)

    def tickets_after(self, cursor: dict) -> dict:
        """One page of the incremental ticket export, with the requesters sideloaded."""
        params = {"include": "users", "per_page": 1000}
        if cursor.get("after_cursor"):
            params["cursor"] = cursor["after_cursor"]
        else:
            params["start_time"] = cursor["start_time"]
        return self.get_json("/api/v2/incremental/tickets/cursor.json", params)
