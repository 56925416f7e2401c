"""Typeform webhooks (one submitted response per push), signed as Typeform documents:

Typeform-Signature = "sha256=" + base64(HMAC-SHA256(secret, body)). Typeform signs no timestamp header, so the
response's own submitted_at stands in for one: a push about a response older than 5 minutes is refused.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from types import SimpleNamespace

from ingest.typeform.connector import TypeformConnector
from ingest.webhooks import Receiver, WebhookRefused, signature_matches, timestamp_fresh


class TypeformReceiver(Receiver):
    """Settings: secret_env; optional form_id, score_ref and comment_ref as for the connector."""

    def verify(self, body: bytes, headers, **request) -> None:
        digest = hmac.new(self.secret(), body, hashlib.sha256).digest()
        if not signature_matches(b"sha256=" + base64.b64encode(digest), headers.get("Typeform-Signature", "")):
            raise WebhookRefused("the signature does not match")
        timestamp_fresh(_submitted_seconds(body))

    def key(self, body: bytes, headers) -> str:
        event = _json_or_none(body)
        event_id = event.get("event_id") if isinstance(event, dict) else None
        return f"id:{event_id}" if event_id else super().key(body, headers)

    def records(self, payload) -> list[dict]:
        response = payload["form_response"]
        settings = self.source.settings or {}
        # The connector's reading of a response, without the API client (and token) it would otherwise build.
        reader = SimpleNamespace(
            settings=settings, form_id=response.get("form_id") or settings.get("form_id", ""),
            _answer=TypeformConnector._answer,
        )
        record = TypeformConnector.response_record(reader, response)
        # A score alone says nothing a theme could hold; voc keeps feedback with words.
        return [record] if record is not None else []


def _submitted_seconds(body: bytes) -> str:
    """form_response.submitted_at as seconds since 1970, or "" when the body does not say (refused then)."""
    event = _json_or_none(body)
    try:
        submitted = datetime.fromisoformat(event["form_response"]["submitted_at"].replace("Z", "+00:00"))
    except (TypeError, KeyError, AttributeError, ValueError):
        return ""
    return str((submitted if submitted.tzinfo else submitted.replace(tzinfo=UTC)).timestamp())


def _json_or_none(body: bytes):
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        return None
