"""HTTP for every connector: one session, timeouts, a User-Agent, a pace, and each answer mapped to our errors."""

import email.utils
import time

import requests

from ingest.base import PermanentError, TransientError

USER_AGENT = "voc-connector/1.0 (+https://github.com/voc/voc)"
TIMEOUT = (5, 30)  # seconds to connect, seconds to read
# The longest a client waits on its own for a spent budget to reset; well below the broker's visibility timeout.
MAX_PACE_WAIT = 600.0


class ApiClient:
    """GETs JSON from one API. 429, 5xx and timeouts are transient; 401, 403 and other 4xx are permanent.

    requests_per_minute paces the calls before the API has to say so (0: no pacing).
    """

    def __init__(self, *, base_url: str, headers: dict | None = None, requests_per_minute: float = 0,
                 clock=time.monotonic, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})})
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._clock, self._sleep = clock, sleep
        self._last_call = None

    def get_json(self, path_or_url: str, params: dict | None = None) -> dict:
        return self.request_json("GET", path_or_url, params=params)

    def request_json(self, method: str, path_or_url: str, **kwargs) -> dict:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else f"{self.base_url}{path_or_url}"
        self._pace()
        try:
            response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as error:
            raise TransientError(f"{type(error).__name__} on {url}") from error
        body = self.answer(response)
        self._respect_remaining(response.headers)
        return body

    def _respect_remaining(self, headers) -> None:
        """When the API says the budget is spent (Reddit, X), wait for its reset before the next call."""
        for name in ("X-Ratelimit-Remaining", "x-rate-limit-remaining"):
            if headers.get(name) is not None:
                try:
                    remaining = float(headers[name])
                except ValueError:
                    return
                if remaining < 1:
                    wait = retry_after(headers)
                    if wait:
                        self._sleep(min(wait, MAX_PACE_WAIT))
                return

    def answer(self, response: requests.Response) -> dict:
        status = response.status_code
        if status == 429:
            raise TransientError(f"429 rate limited by {response.url}", retry_after=retry_after(response.headers))
        if status >= 500:
            raise TransientError(f"{status} from {response.url}", retry_after=retry_after(response.headers))
        if status in (401, 403):
            raise PermanentError(f"{status}: the credentials were refused or lack a permission ({response.url})")
        if status >= 400:
            raise PermanentError(f"{status} from {response.url}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as error:
            raise TransientError(f"{status} from {response.url} is not JSON") from error

    def _pace(self) -> None:
        if self.interval and self._last_call is not None:
            wait = self._last_call + self.interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_call = self._clock()


def retry_after(headers) -> float | None:
    """Seconds to wait, from Retry-After (seconds or an HTTP date) or the rate-limit reset headers APIs send."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            moment = email.utils.parsedate_to_datetime(value)
            return max(moment.timestamp() - time.time(), 0.0) if moment else None
    # Reddit sends seconds until the reset; X (Twitter) sends the reset moment as seconds since 1970.
    for name in ("X-Ratelimit-Reset", "x-rate-limit-reset"):
        if headers.get(name):
            try:
                reset = float(headers[name])
            except ValueError:
                continue
            return max(reset - time.time(), 0.0) if reset > 1_000_000_000 else reset
    return None
