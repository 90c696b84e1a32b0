"""A local HTTP endpoint for the webhook action's tests: a real server on a loopback port that
records each POST (path, headers, JSON body) and answers with the statuses queued for it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    content_type: str
    body: dict[str, Any]


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[tuple[int, dict[str, str]]] = []  # next statuses (and headers); then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, self.headers.get("Content-Type", ""), json.loads(body))
                    )
                    status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                data = b'{"ok": true}' if status < 400 else b"go away"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/otklik"

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
