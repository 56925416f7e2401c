"""Salesforce's REST API, authorised with the OAuth client-credentials flow of a connected app."""

from ingest.base import PermanentError
from ingest.http import ApiClient

API_VERSION = "v61.0"
# Salesforce counts API calls per 24 hours per org; a sync uses few, so pace only to be polite.
REQUESTS_PER_MINUTE = 120


class SalesforceClient(ApiClient):
    def __init__(self, *, login_url: str, client_id: str, client_secret: str,
                 requests_per_minute: float = REQUESTS_PER_MINUTE, **kwargs):
        super().__init__(base_url=login_url, requests_per_minute=requests_per_minute, **kwargs)
        self._credentials = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._authorised = False

    def query(self, soql: str) -> dict:
        self._authorise()
        return self.get_json(f"/services/data/{API_VERSION}/query", {"q": soql})

    def more(self, next_records_url: str) -> dict:
        self._authorise()
        return self.get_json(next_records_url)

    def _authorise(self) -> None:
        if self._authorised:
            return
        body = self.request_json("POST", f"{self.base_url}/services/oauth2/token", data=self._credentials)
        if not body.get("access_token") or not body.get("instance_url"):
            raise PermanentError(f"Salesforce gave no access token: {body.get('error', 'no reason given')}")
        self.session.headers["Authorization"] = f"Bearer {body['access_token']}"
        self.base_url = body["instance_url"].rstrip("/")
        self._authorised = True
