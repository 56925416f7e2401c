"""A local stand-in for Zendesk's incremental ticket export that makes up its tickets as they are asked for.

    with FakeZendesk(tickets=100_000) as zendesk:
        ...  # a Zendesk source with settings {"base_url": zendesk.url, "requests_per_minute": 0, ...}

GET /api/v2/incremental/tickets/cursor.json answers pages of up to 1,000 tickets (ids 1..N), the requesters
sideloaded as `users`, with `after_cursor` and `end_of_stream` in the shape the real export sends. Nothing is held
in memory but the counters, so N can be large. Requests without basic auth get a 401, as from Zendesk.
"""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EXPORT = "/api/v2/incremental/tickets/cursor.json"
PER_PAGE = 1000
USERS = 5000  # requesters are drawn from this many end users, so pages share some of them
CREATED = 1_762_000_000  # the first ticket's created_at, seconds since 1970; one ticket a second after it
SUBJECTS = ["Card never arrived", "Top-up failed again", "Cannot log in after the update", "Refund still pending",
            "Exchange rate looks wrong", "App crashes when I open statements"]
DESCRIPTIONS = [
    "I ordered a card two weeks ago and it still has not arrived. Can you tell me where it is?",
    "<p>My top-up failed <strong>again</strong>, the third time this week. The money left my bank account.</p>",
    "Since the last update the app asks for a code that never comes by SMS, so I am locked out.",
    "I returned the item on the 3rd and the merchant confirmed, but the refund is still not on my account.",
    "The rate I got for EUR to GBP was much worse than the one shown before I confirmed the exchange.",
    "Every time I open the statements tab the app closes. Reinstalling did not help.",
]


class FakeZendesk:
    """Serves `tickets` made-up tickets in pages; `requests` and `serve_s` (time spent making pages) are counted."""

    def __init__(self, *, tickets: int, per_page: int = PER_PAGE):
        self.tickets = tickets
        self.per_page = per_page
        self.requests = 0
        self.serve_s = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the connector's session would get from Zendesk

            def do_GET(self):
                fake._answer(self)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def external_ids(self) -> set[str]:
        """The external ids a complete sync stores: the ticket ids as text."""
        return {str(ticket_id) for ticket_id in range(1, self.tickets + 1)}

    def page(self, *, after_id: int) -> dict:
        """The page of tickets after ticket `after_id`, as the export answers it."""
        last_id = min(after_id + self.per_page, self.tickets)
        tickets = [ticket(ticket_id) for ticket_id in range(after_id + 1, last_id + 1)]
        requesters = sorted({item["requester_id"] for item in tickets})
        cursor = page_cursor(last_id)
        return {
            "tickets": tickets,
            "after_url": f"https://bench.zendesk.com{EXPORT}?cursor={cursor}",
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": last_id >= self.tickets,
            "users": [user(user_id) for user_id in requesters],
        }

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        parts = urlsplit(handler.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path != EXPORT:
            status, body = 404, {"error": "InvalidEndpoint", "description": "Not found"}
        elif not (handler.headers.get("Authorization") or "").startswith("Basic "):
            status, body = 401, {"error": "Couldn't authenticate you"}
        else:
            after_id = cursor_last_id(query["cursor"]) if query.get("cursor") else 0
            status, body = 200, self.page(after_id=after_id)
        data = json.dumps(body).encode()
        self.requests += 1
        self.serve_s += time.perf_counter() - started
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def page_cursor(last_id: int) -> str:
    """Opaque to the client, like Zendesk's: base64 of "<timestamp>.0||<last ticket id>|"."""
    return base64.b64encode(f"{CREATED + last_id}.0||{last_id}|".encode()).decode()


def cursor_last_id(cursor: str) -> int:
    return int(base64.b64decode(cursor).decode().split("|")[2])


def ticket(ticket_id: int) -> dict:
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(CREATED + ticket_id))
    requester_id = 10_000 + ticket_id % USERS
    return {
        "url": f"https://bench.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "via": {"channel": "email", "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created,
        "updated_at": created,
        "generated_timestamp": CREATED + ticket_id,
        "type": "problem",
        "subject": SUBJECTS[ticket_id % len(SUBJECTS)],
        "raw_subject": SUBJECTS[ticket_id % len(SUBJECTS)],
        "description": f"{DESCRIPTIONS[ticket_id % len(DESCRIPTIONS)]} (ticket {ticket_id})",
        "priority": "normal",
        "status": "open",
        "recipient": "support@bench.example",
        "requester_id": requester_id,
        "submitter_id": requester_id,
        "assignee_id": 9001,
        "organization_id": 500 + ticket_id % 200,
        "group_id": 31,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": ["bench", SUBJECTS[ticket_id % len(SUBJECTS)].split()[0].lower()],
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": 360000001,
        "brand_id": 360000002,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def user(user_id: int) -> dict:
    number = user_id - 10_000
    return {
        "id": user_id,
        "url": f"https://bench.zendesk.com/api/v2/users/{user_id}.json",
        "name": f"Customer {number}",
        "email": f"customer{number}@company{number % 200}.example",
        "created_at": "2025-01-10T10:00:00Z",
        "updated_at": "2026-10-01T10:00:00Z",
        "time_zone": "Europe/Berlin",
        "locale": "en-US",
        "role": "end-user",
        "verified": True,
        "active": True,
        "organization_id": 500 + number % 200,
        "tags": [],
        "suspended": False,
    }
