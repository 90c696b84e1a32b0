"""A local stand-in for the Telegram Bot API: a real HTTP server on a loopback port that speaks
the API's shape (POST /bot<token>/<method>, GET /file/bot<token>/<path>), records every request,
serves queued getUpdates results and files, and can answer 429 with retry_after."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str  # the Bot API method, or "file" for a download
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


class TelegramStandIn:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, bytes)
        self.too_many: dict[str, int] = {}  # method → retry_after for its next call
        self.bot_username = "otklik_test_bot"  # what getMe answers
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any] | bytes) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = self.path.split("/", 3)[-1]
                with standin.lock:
                    standin.requests.append(Request("file", {"path": path}))
                    found = next((data for p, data in standin.files.values() if p == path), None)
                self._answer(200, found) if found is not None else self._answer(404, b"not found")

            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params, files = standin._parse(self.headers.get("Content-Type", ""), body)
                with standin.lock:
                    standin.requests.append(Request(method, params, files))
                    retry_after = standin.too_many.pop(method, None)
                if retry_after is not None:
                    self._answer(
                        429,
                        {
                            "ok": False,
                            "error_code": 429,
                            "description": f"Too Many Requests: retry after {retry_after}",
                            "parameters": {"retry_after": retry_after},
                        },
                    )
                    return
                if method == "getFile" and params.get("file_id") not in standin.files:
                    # As Telegram answers a file_id it does not know (or no longer serves).
                    self._answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"})
                    return
                self._answer(200, {"ok": True, "result": standin._result(method, params)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
        if content_type.startswith("multipart/"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            params: dict[str, Any] = {}
            files: dict[str, bytes] = {}
            for part in message.iter_parts():  # type: ignore[attr-defined]
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                if part.get_filename():
                    files[name] = data
                else:
                    params[name] = data.decode()
            return params, files
        return (json.loads(body) if body else {}), {}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self.lock:
                return [u for u in self.updates if u["update_id"] >= offset]
        if method == "getFile":
            path, data = self.files[params["file_id"]]
            return {"file_id": params["file_id"], "file_path": path, "file_size": len(data)}
        if method == "getMe":
            return {"id": 7000001, "is_bot": True, "first_name": "Otklik", "username": self.bot_username}
        if method.startswith("send"):
            return {"message_id": len(self.requests), "chat": {"id": params.get("chat_id")}}
        return True

    def calls(self, method: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
