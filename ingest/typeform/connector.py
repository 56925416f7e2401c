"""Typeform responses as survey feedback: the score (an NPS or rating question) and the comment (a text answer).

Pages are asked for by submission time, oldest first. Submissions can share a second, so each page starts again
at the last time seen and the responses seen twice are deduplicated by their token.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ingest.base import Connector, Page
from ingest.typeform.client import PAGE_SIZE, TypeformClient

DEFAULT_SINCE_DAYS = 30
SCORE_TYPES = {"nps", "opinion_scale", "rating"}
TEXT_TYPES = {"long_text", "short_text"}


class TypeformConnector(Connector):
    """Settings: form_id, token_env; optional score_ref and comment_ref (field refs) when a form has several."""

    kind = "typeform"

    def __init__(self, source, client: TypeformClient | None = None):
        super().__init__(source)
        self.form_id = self.setting("form_id")
        self.client = client or TypeformClient(
            base_url=self.settings.get("base_url") or "https://api.typeform.com",
            token=self.secret("token_env"),
            requests_per_minute=float(self.settings.get("requests_per_minute", 100)),
        )
        self.page_size = int(self.settings.get("page_size", PAGE_SIZE))

    def start_cursor(self, since: datetime | None) -> dict:
        since = since or timezone.now() - timedelta(days=DEFAULT_SINCE_DAYS)
        return {"since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def fetch_page(self, cursor: dict) -> Page:
        body = self.client.responses_since(form_id=self.form_id, since=cursor["since"], page_size=self.page_size)
        items = body.get("items") or []
        records, skipped = [], []
        for response in items:
            record = self.response_record(response)
            if record is None:
                # A score alone says nothing a theme could hold; voc keeps feedback with words.
                skipped.append((str(response.get("token")), "no comment in this response"))
            else:
                records.append(record)
        latest = max((response.get("submitted_at") or "" for response in items), default="")
        if len(items) < self.page_size or not latest:
            return Page(records, {"since": latest or cursor["since"]}, True, skipped)
        if latest == cursor["since"]:  # a whole page in one second: step past it rather than loop
            latest = (_parse(latest) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Page(records, {"since": latest}, False, skipped)

    def response_record(self, response: dict) -> dict | None:
        answers = response.get("answers") or []
        score = self._answer(answers, self.settings.get("score_ref"), SCORE_TYPES)
        comment = self._answer(answers, self.settings.get("comment_ref"), TEXT_TYPES)
        if comment is None or not (comment.get("text") or "").strip():
            return None
        field_type = (score or {}).get("field", {}).get("type")
        number = (score or {}).get("number")
        email = next((answer.get("email") for answer in answers if answer.get("type") == "email"), "")
        hidden = response.get("hidden") or {}
        return {
            "external_id": response.get("token") or response.get("response_id", ""),
            "kind": "survey",
            "text": comment["text"],
            "nps_score": number if field_type == "nps" else None,
            "rating": number if field_type in ("rating", "opinion_scale") else None,
            "author_email": email or hidden.get("email", ""),
            "occurred_at": response.get("submitted_at"),
            "account_crm_id": hidden.get("account_id", ""),
            "metadata": {"form_id": self.form_id, "landed_at": response.get("landed_at")},
        }

    @staticmethod
    def _answer(answers: list[dict], ref: str | None, types: set[str]) -> dict | None:
        for answer in answers:
            field = answer.get("field") or {}
            if (ref and field.get("ref") == ref) or (not ref and field.get("type") in types):
                return answer
        return None


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
