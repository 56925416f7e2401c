"""Zendesk webhooks (a trigger or automation posting JSON), signed as Zendesk documents:

X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, X-Zendesk-Webhook-Signature-Timestamp + body)).
The body is the JSON the trigger sends; the README gives the template voc reads.
"""

import base64
import hashlib
import hmac

from ingest.webhooks import Receiver, WebhookRefused, signature_matches, timestamp_fresh
from ingest.zendesk.connector import ticket_record


class ZendeskReceiver(Receiver):
    def verify(self, body: bytes, headers, **request) -> None:
        timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp", "")
        digest = hmac.new(self.secret(), timestamp.encode() + body, hashlib.sha256).digest()
        if not signature_matches(base64.b64encode(digest), headers.get("X-Zendesk-Webhook-Signature", "")):
            raise WebhookRefused("the signature does not match")
        timestamp_fresh(timestamp)

    def key(self, body: bytes, headers) -> str:
        invocation = headers.get("X-Zendesk-Webhook-Invocation-Id", "")
        return f"id:{invocation}" if invocation else super().key(body, headers)

    def records(self, payload) -> list[dict]:
        ticket = payload["ticket"]
        requester = {"email": ticket.get("requester_email", ""), "name": ticket.get("requester_name", "")}
        record = ticket_record(ticket, requester, base_url="")
        record["url"] = ticket.get("url") or ""
        return [record]
