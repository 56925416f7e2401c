"""HubSpot webhooks (an app's CRM subscriptions, events in batches), signed as HubSpot documents for v3:

X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app client secret, method + uri + body + X-HubSpot-Request-Timestamp)),
the timestamp in milliseconds and the uri the full URL requested. Events name a changed object, not its content,
so note events are read back through the API; events about other objects are ignored.
"""

import base64
import hashlib
import hmac
import json
import os
import re

from ingest.base import PermanentError
from ingest.hubspot.client import HubSpotClient
from ingest.hubspot.connector import note_record
from ingest.webhooks import Receiver, WebhookRefused, signature_matches, timestamp_fresh

NOTE_TYPE_ID = "0-46"
# HubSpot decodes these escapes in the URL before signing it, and no others (a %20 or %26 stays as sent).
SIGNED_DECODED = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'", "28": "(",
                  "29": ")", "2A": "*", "2C": ",", "3B": ";"}
ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


class HubSpotReceiver(Receiver):
    """Settings: secret_env (the app's client secret), token_env (a token that reads notes); base_url for tests."""

    def verify(self, body: bytes, headers, *, method: str = "POST", url: str = "") -> None:
        timestamp = headers.get("X-HubSpot-Request-Timestamp", "")
        signed = method.encode() + signed_uri(url).encode() + body + timestamp.encode()
        digest = hmac.new(self.secret(), signed, hashlib.sha256).digest()
        if not signature_matches(base64.b64encode(digest), headers.get("X-HubSpot-Signature-v3", "")):
            raise WebhookRefused("the signature does not match")
        try:
            seconds = str(int(timestamp) / 1000)
        except (ValueError, OverflowError):  # OverflowError: more digits than a float holds
            raise WebhookRefused("the signed timestamp is missing or unreadable") from None
        timestamp_fresh(seconds)

    def key(self, body: bytes, headers) -> str:
        """The batch's event ids; HubSpot's retry of a batch sends the same events with a new attemptNumber."""
        try:
            event_ids = sorted(int(event["eventId"]) for event in json.loads(body))
        # OverflowError: an infinite event id (1e400); RecursionError: nested too deeply to parse
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
            return super().key(body, headers)
        if not event_ids:
            return super().key(body, headers)
        joined = ",".join(str(event_id) for event_id in event_ids)
        # A batch holds up to 100 events and keys are 128 characters: long lists are kept as their digest.
        return f"id:{joined}" if len(joined) <= 120 else f"ids:{hashlib.sha256(joined.encode()).hexdigest()}"

    def records(self, payload) -> list[dict]:
        note_ids = list(dict.fromkeys(str(event["objectId"]) for event in payload if _about_a_note(event)))
        if not note_ids:
            return []
        client = self.client()
        notes = client.notes_by_ids(note_ids)
        companies = client.note_companies([str(note["id"]) for note in notes])
        records = (note_record(note, companies.get(str(note["id"]))) for note in notes)
        # A note without text says nothing a theme could hold (and an emptied one stays as it was).
        return [record for record in records if record is not None]

    def client(self) -> HubSpotClient:
        settings = self.source.settings or {}
        variable = settings.get("token_env", "")
        token = os.environ.get(variable, "") if variable else ""
        if not token:
            raise PermanentError(f"source {self.source.name!r} has no API token (settings: token_env)")
        return HubSpotClient(
            base_url=settings.get("base_url") or "https://api.hubapi.com", token=token,
            requests_per_minute=float(settings.get("requests_per_minute", 120)),
        )


def signed_uri(url: str) -> str:
    """The URL as HubSpot signs it: with the escapes it decodes first decoded."""
    return ESCAPE.sub(lambda escape: SIGNED_DECODED.get(escape.group(1).upper(), escape.group(0)), url)


def _about_a_note(event: dict) -> bool:
    kind = str(event.get("subscriptionType") or "")
    is_note = str(event.get("objectTypeId")) == NOTE_TYPE_ID or kind.startswith("note.")
    # A deleted note cannot be read back; voc keeps the feedback it already holds.
    return is_note and "deletion" not in kind.lower()
