"""A local stand-in for Meta's WhatsApp Business Cloud API (Graph API): a real HTTP server on a
loopback port speaking the endpoints Otklik calls —
    POST /v21.0/{phone-number-id}/messages   → {"messaging_product", "contacts", "messages": [{"id": wamid}]}
    POST /v21.0/{phone-number-id}/media      (multipart: file, type, messaging_product) → {"id"}
    GET  /v21.0/{media-id}                   → {"url", "mime_type", "sha256", "file_size", "id"}
    GET  /download/{media-id}                → the bytes (bearer token required, like lookaside.fbsbx.com)
    GET  /v21.0/{phone-number-id}            → {"display_phone_number", "verified_name", "quality_rating", "id"}
It checks the bearer token (401, Graph error 190 otherwise), records every request, and answers
errors on demand (`fail`: a queue of (status, Graph error, headers) per endpoint)."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

VERSION = "v21.0"


@dataclass
class Request:
    method: str  # HTTP method
    endpoint: str  # "messages", "media", "media_info", "download", "phone_number"
    path: str
    authorization: str
    body: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # field → (filename, bytes)
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class Failure:
    status: int
    error: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class WhatsAppStandIn:
    def __init__(self, *, phone_number_id: str = "106540352242922", token: str = "EAAG-test-token") -> None:  # noqa: S107 (a test value)
        self.phone_number_id = phone_number_id
        self.token = token
        self.requests: list[Request] = []
        self.media: dict[str, tuple[str, bytes]] = {}  # media id → (mime type, bytes) the client "sent"
        self.fail: dict[str, list[Failure]] = {}  # endpoint → failures for its next calls
        self.lock = threading.Lock()
        self._wamids = itertools.count(1)
        self._uploads = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/octet-stream" if isinstance(body, bytes) else "application/json"
                )
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                segments = [s for s in parts.path.split("/") if s]
                endpoint = standin._endpoint(method, segments)
                body: dict[str, Any] = {}
                files: dict[str, tuple[str, bytes]] = {}
                if method == "POST":
                    raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    body, files = standin._parse(self.headers.get("Content-Type", ""), raw)
                request = Request(
                    method=method,
                    endpoint=endpoint,
                    path=parts.path,
                    authorization=self.headers.get("Authorization", ""),
                    body=body,
                    files=files,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                )
                with standin.lock:
                    standin.requests.append(request)
                    queued = standin.fail.get(endpoint) or []
                    failure = queued.pop(0) if queued else None
                if request.authorization != f"Bearer {standin.token}":
                    error = {"message": "Error validating access token", "type": "OAuthException", "code": 190}
                    self._answer(401, {"error": error})
                    return
                if failure is not None:
                    self._answer(failure.status, {"error": failure.error}, failure.headers)
                    return
                status, answer = standin._result(endpoint, segments, request)
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.origin}/{VERSION}"  # what WhatsAppAccount.api_base_url is set to
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _endpoint(self, method: str, segments: list[str]) -> str:
        if segments[:1] == ["download"]:
            return "download"
        if method == "POST" and len(segments) == 3:
            return segments[2]  # messages, media
        if len(segments) == 2 and segments[1] == self.phone_number_id:
            return "phone_number"
        return "media_info"

    @staticmethod
    def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        if content_type.startswith("multipart/"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            fields: dict[str, Any] = {}
            files: dict[str, tuple[str, bytes]] = {}
            for part in message.iter_parts():  # type: ignore[attr-defined]
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                if part.get_filename():
                    files[name] = (part.get_filename(), data)
                else:
                    fields[name] = data.decode()
            return fields, files
        return (json.loads(body) if body else {}), {}

    def _result(self, endpoint: str, segments: list[str], request: Request) -> tuple[int, Any]:
        if endpoint == "messages":
            to = str(request.body.get("to") or "")
            wamid = f"wamid.HBgL{to}FQIAERgS{next(self._wamids):06d}"
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        if endpoint == "media":
            media_id = f"9{next(self._uploads):014d}"
            _name, data = request.files.get("file", ("", b""))
            with self.lock:
                self.media[media_id] = (str(request.body.get("type") or ""), data)
            return 200, {"id": media_id}
        if endpoint == "phone_number":
            return 200, {
                "verified_name": "Otklik Support",
                "display_phone_number": "+7 495 123-45-67",
                "quality_rating": "GREEN",
                "id": self.phone_number_id,
            }
        media_id = segments[-1]
        with self.lock:
            found = self.media.get(media_id)
        if found is None:
            error = {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100}
            return 400, {"error": error}
        if endpoint == "download":
            return 200, found[1]
        mime_type, data = found
        return 200, {
            "messaging_product": "whatsapp",
            "url": f"{self.origin}/download/{media_id}",
            "mime_type": mime_type,
            "sha256": hashlib.sha256(data).hexdigest(),
            "file_size": str(len(data)),
            "id": media_id,
        }

    def calls(self, endpoint: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
