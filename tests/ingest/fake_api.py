"""A local HTTP server on 127.0.0.1 that answers like a provider's API, from a script of responses."""

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict:
    """A recorded response body, in the shape the real API sends."""
    return json.loads((PAYLOADS / name).read_text())


@dataclass
class Reply:
    body: dict | str = field(default_factory=dict)
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering, e.g. to kill a worker while it waits


class FakeApi:
    """Replies are queued per (path, one query parameter's value); each request takes the next one for its key."""

    def __init__(self):
        self.replies: dict[tuple, deque] = defaultdict(deque)
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api._answer(self)

            def do_POST(self):
                api._answer(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, path: str, reply: Reply, *, when: tuple[str, str] | None = None) -> None:
        """Queue a reply for GET path, optionally only when query parameter when[0] equals when[1]."""
        self.replies[(path, when)].append(reply)

    def _answer(self, handler, body: bytes = b"") -> None:
        parts = urlsplit(handler.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        sent = _json_or_none(body)
        if isinstance(sent, dict):  # a JSON body's top-level values can select a reply too
            query |= {name: str(value) for name, value in sent.items() if isinstance(value, str | int)}
        self.requests.append({"path": parts.path, "query": query, "headers": dict(handler.headers), "json": sent})
        queue = next(
            (self.replies[key] for key in self.replies
             if key[0] == parts.path and self.replies[key] and (key[1] is None or query.get(key[1][0]) == key[1][1])),
            None,
        )
        reply = queue.popleft() if queue else Reply({"error": "no reply scripted"}, status=404)
        time.sleep(reply.delay)
        body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body.encode())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _json_or_none(body: bytes):
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
