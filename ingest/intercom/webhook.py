"""Intercom webhook notifications, signed as Intercom documents:

X-Hub-Signature = "sha1=" + the hex HMAC-SHA1 of the raw body, keyed with the app's client secret (secret_env).
Intercom signs no timestamp header, but the notification's own `created_at` is inside the signed body, so
freshness is read from there. A retry of one notification keeps its `id`, which makes it one delivery.
"""

import hashlib
import hmac
import json

from ingest.intercom.connector import conversation_record
from ingest.webhooks import Receiver, WebhookRefused, signature_matches, timestamp_fresh


class IntercomReceiver(Receiver):
    def verify(self, body: bytes, headers, **request) -> None:
        expected = "sha1=" + hmac.new(self.secret(), body, hashlib.sha1).hexdigest()
        if not signature_matches(expected, headers.get("X-Hub-Signature", "")):
            raise WebhookRefused("the signature does not match")
        created_at = _notification(body).get("created_at")
        if created_at is None:  # refused here: timestamp_fresh(None) fails with AttributeError, not WebhookRefused
            raise WebhookRefused("the notification has no created_at")
        timestamp_fresh(str(created_at))

    def key(self, body: bytes, headers) -> str:
        notification_id = _notification(body).get("id")
        return f"id:{notification_id}" if notification_id else super().key(body, headers)

    def records(self, payload) -> list[dict]:
        item = (payload.get("data") or {}).get("item") or {}
        # Other topics (contacts, the "ping" sent when a webhook is set up) carry nothing voc reads.
        if not payload.get("topic", "").startswith("conversation.") or item.get("type") != "conversation":
            return []
        record, _ = conversation_record(item, workspace=payload.get("app_id") or "_")
        return [record] if record else []


def _notification(body: bytes) -> dict:
    try:
        notification = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        raise WebhookRefused("the body is not JSON") from None
    if not isinstance(notification, dict):
        raise WebhookRefused("the body is not a notification object")
    return notification
