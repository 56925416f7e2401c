"""HubSpot's CRM API with a private app's access token."""

from ingest.http import ApiClient

# Private apps may make 100 requests per 10 seconds, and CRM search 5 per second; keep well under both.
REQUESTS_PER_MINUTE = 120
PAGE_SIZE = 100
NOTE_PROPERTIES = ["hs_note_body", "hs_timestamp", "hs_lastmodifieddate", "hs_createdate"]


class HubSpotClient(ApiClient):
    def __init__(self, *, base_url: str, token: str, requests_per_minute: float = REQUESTS_PER_MINUTE, **kwargs):
        super().__init__(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                         requests_per_minute=requests_per_minute, **kwargs)

    def notes_modified_since(self, *, since_ms: int, after: str = "") -> dict:
        """Notes modified at or after since_ms, oldest change first."""
        body = {
            "filterGroups": [{"filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since_ms)},
            ]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": NOTE_PROPERTIES,
            "limit": PAGE_SIZE,
        }
        if after:
            body["after"] = after
        return self.request_json("POST", "/crm/v3/objects/notes/search", json=body)

    def note_companies(self, note_ids: list[str]) -> dict[str, str]:
        """The first company each note is associated with, by note id."""
        if not note_ids:
            return {}
        body = self.request_json(
            "POST", "/crm/v4/associations/notes/companies/batch/read", json={"inputs": [{"id": i} for i in note_ids]}
        )
        return {
            str(result["from"]["id"]): str(result["to"][0]["toObjectId"])
            for result in body.get("results") or []
            if result.get("to")
        }

    def notes_by_ids(self, note_ids: list[str]) -> list[dict]:
        """The notes with these ids, as search returns them; archived or unknown ids are left out."""
        notes = []
        for start in range(0, len(note_ids), PAGE_SIZE):  # batch read takes at most 100 ids a call
            body = self.request_json("POST", "/crm/v3/objects/notes/batch/read", json={
                "inputs": [{"id": i} for i in note_ids[start:start + PAGE_SIZE]], "properties": NOTE_PROPERTIES,
            })
            notes.extend(body.get("results") or [])
        return notes
