"""A small Telegram Bot API client over httpx (docs/architecture/telegram.md, "Bot API").

The base URL is the setting TELEGRAM_API_URL (https://api.telegram.org), so tests point it at a
local stand-in server. Every call returns the "result" of Telegram's {"ok": true, "result": …}
answer, or raises TelegramApiError with Telegram's error_code, description and, for 429,
parameters.retry_after."""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.conf import settings

TIMEOUT = 30.0
MAX_FILE_BYTES = 20 * 1024 * 1024  # getFile serves files up to 20 MB


class TelegramApiError(Exception):
    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """A refusal that the same request will meet again (bad chat, blocked by the user, bad
        token); 429, 5xx and network trouble (code 0) are worth retrying."""
        return 400 <= self.code < 500 and self.code != 429


def _base() -> str:
    return str(getattr(settings, "TELEGRAM_API_URL", "https://api.telegram.org")).rstrip("/")


def _result(response: httpx.Response) -> Any:
    try:
        answer = response.json()
    except ValueError:
        raise TelegramApiError(response.status_code or 0, response.text[:500]) from None
    if not isinstance(answer, dict) or not answer.get("ok"):
        answer = answer if isinstance(answer, dict) else {}
        parameters = answer.get("parameters") or {}
        raise TelegramApiError(
            int(answer.get("error_code") or response.status_code or 0),
            str(answer.get("description") or response.reason_phrase),
            retry_after=parameters.get("retry_after"),
        )
    return answer.get("result")


def call(
    token: str,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    timeout: float = TIMEOUT,
) -> Any:
    """POST one Bot API method: JSON body, or multipart when `files` are sent (then the params go
    as form fields, nested values as JSON)."""
    url = f"{_base()}/bot{token}/{method}"
    try:
        if files:
            data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (params or {}).items()}
            response = httpx.post(url, data=data, files=files, timeout=timeout)
        else:
            response = httpx.post(url, json=params or {}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TelegramApiError(0, f"{type(exc).__name__}: {exc}") from exc
    return _result(response)


def download(token: str, file_id: str) -> tuple[str, bytes]:
    """(file_path, bytes) of a file a client sent: getFile, then the file URL."""
    info = call(token, "getFile", {"file_id": file_id})
    path = str(info.get("file_path") or "")
    try:
        response = httpx.get(f"{_base()}/file/bot{token}/{path}", timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise TelegramApiError(0, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise TelegramApiError(response.status_code, f"file download failed: {response.text[:200]}")
    return path, response.content
