"""Intercom's REST API (api.intercom.io) with an access token, pinned to one API version."""

from ingest.http import ApiClient

API_VERSION = "2.11"
# Intercom allows 10,000 calls a minute per app (and 25,000 per workspace); a sync needs nowhere near that.
REQUESTS_PER_MINUTE = 300
PAGE_SIZE = 150  # the most Intercom's search returns per page


class IntercomClient(ApiClient):
    def __init__(self, *, base_url: str, token: str, requests_per_minute: float = REQUESTS_PER_MINUTE, **kwargs):
        super().__init__(
            base_url=base_url, headers={"Authorization": f"Bearer {token}", "Intercom-Version": API_VERSION},
            requests_per_minute=requests_per_minute, **kwargs,
        )

    def conversations_updated_after(self, *, updated_after: int, starting_after: str = "",
                                    per_page: int = PAGE_SIZE) -> dict:
        """Conversations updated after `updated_after` (seconds since 1970), the oldest change first."""
        pagination = {"per_page": per_page}
        if starting_after:
            pagination["starting_after"] = starting_after
        body = {
            "query": {"field": "updated_at", "operator": ">", "value": updated_after},
            # Sorting works on conversation search although Intercom's reference documents it only for contacts.
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": pagination,
        }
        return self.request_json("POST", "/conversations/search", json=body)
