"""voc's own webhook format: {"items": [record, ...]} or one record, signed with HMAC-SHA256.

Headers: X-Voc-Timestamp (seconds since 1970), X-Voc-Signature ("sha256=" + the hex HMAC of "<timestamp>." + body,
keyed with the source's secret), and optionally X-Voc-Delivery (an id that makes retries of one delivery one).
"""

import hashlib
import hmac

from ingest.webhooks import Receiver, WebhookRefused, signature_matches, timestamp_fresh


class JsonReceiver(Receiver):
    def verify(self, body: bytes, headers, **request) -> None:
        timestamp = headers.get("X-Voc-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not signature_matches(expected, headers.get("X-Voc-Signature", "")):
            raise WebhookRefused("the signature does not match")
        timestamp_fresh(timestamp)

    def key(self, body: bytes, headers) -> str:
        given = headers.get("X-Voc-Delivery", "")
        if given:
            return f"id:{given}"
        return hashlib.sha256(headers.get("X-Voc-Timestamp", "").encode() + b"." + body).hexdigest()

    def records(self, payload) -> list[dict]:
        if isinstance(payload, dict) and "items" in payload:
            return list(payload["items"])
        return [payload]
