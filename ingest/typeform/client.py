"""Typeform's Responses API with a personal access token."""

from ingest.http import ApiClient

# Typeform allows 2 requests a second per account on the Responses API.
REQUESTS_PER_MINUTE = 100
PAGE_SIZE = 1000


class TypeformClient(ApiClient):
    def __init__(self, *, base_url: str, token: str, requests_per_minute: float = REQUESTS_PER_MINUTE, **kwargs):
        super().__init__(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                         requests_per_minute=requests_per_minute, **kwargs)

    def responses_since(self, *, form_id: str, since: str, page_size: int = PAGE_SIZE) -> dict:
        """Completed responses submitted at or after `since`, oldest first."""
        params = {"page_size": page_size, "since": since, "sort": "submitted_at,asc", "completed": "true"}
        return self.get_json(f"/forms/{form_id}/responses", params)
