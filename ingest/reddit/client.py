"""Reddit's OAuth API (oauth.reddit.com) with an app-only token from the client-credentials grant."""

from ingest.base import PermanentError
from ingest.http import ApiClient

# Reddit allows 100 queries a minute per OAuth client; it also says what is left in X-Ratelimit-* headers.
REQUESTS_PER_MINUTE = 60
USER_AGENT = "server:voc-connector:1.0 (feedback sync)"  # Reddit asks for a descriptive, unique User-Agent


class RedditClient(ApiClient):
    def __init__(self, *, base_url: str, token_url: str, client_id: str, client_secret: str,
                 requests_per_minute: float = REQUESTS_PER_MINUTE, **kwargs):
        super().__init__(base_url=base_url, headers={"User-Agent": USER_AGENT},
                         requests_per_minute=requests_per_minute, **kwargs)
        self._token_url, self._credentials = token_url, (client_id, client_secret)
        self._authorised = False

    def listing(self, path: str, params: dict) -> dict:
        if not self._authorised:
            self._authorise()
        return self.get_json(path, {**params, "raw_json": 1, "limit": 100})

    def _authorise(self) -> None:
        body = self.request_json(
            "POST", self._token_url, data={"grant_type": "client_credentials"}, auth=self._credentials
        )
        token = body.get("access_token")
        if not token:
            raise PermanentError(f"Reddit gave no access token: {body.get('error', 'no reason given')}")
        self.session.headers["Authorization"] = f"Bearer {token}"
        self._authorised = True
