"""A small WhatsApp Business Cloud API client over httpx (docs/architecture/whatsapp.md, "Cloud API").

Every call goes to the account's `api_base_url` (https://graph.facebook.com/v21.0 by default; tests
point it at a local stand-in server) with the account's access token as a bearer token. A refusal
raises WhatsAppApiError with the HTTP status, Graph's error code and message, and the Retry-After
header when the answer had one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from channels.models import WhatsAppAccount

TIMEOUT = 30.0
# Graph error codes that mean "too much, come back later" (throughput, spam rate, pair rate, app
# and account rate limits): retried without using up an attempt, like HTTP 429.
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131048, 131056})
# "More than 24 hours have passed since the recipient last replied": only a template may go.
WINDOW_CLOSED_CODE = 131047
# An expired or revoked access token: a settings problem, retried once an administrator fixes it.
AUTH_CODES = frozenset({190})


class WhatsAppApiError(Exception):
    def __init__(self, status: int, message: str, *, code: int = 0, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {message}" + (f" (code {code})" if code else ""))
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMIT_CODES

    @property
    def permanent(self) -> bool:
        """A refusal the same request will meet again (bad recipient, bad payload, closed window);
        rate limits, an expired token, 5xx and network trouble (status 0) are worth retrying."""
        if self.rate_limited or self.code in AUTH_CODES or self.status == 401:
            return False
        return 400 <= self.status < 500


def _url(account: WhatsAppAccount, path: str) -> str:
    return f"{account.api_base_url.rstrip('/')}/{path.lstrip('/')}"


def _headers(account: WhatsAppAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdecimal() else None


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code == 200 and isinstance(answer, dict) and "error" not in answer:
        return answer
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        raise WhatsAppApiError(response.status_code, response.text[:500] or response.reason_phrase)
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else ""
    message = str(error.get("message") or response.reason_phrase)
    if details and details not in message:
        message = f"{message}: {details}"
    code = error.get("code")
    raise WhatsAppApiError(
        response.status_code,
        message,
        code=code if isinstance(code, int) else 0,
        retry_after=_retry_after(response),
    )


def _send(method: str, url: str, account: WhatsAppAccount, **kwargs: Any) -> httpx.Response:
    try:
        return httpx.request(method, url, headers=_headers(account), timeout=TIMEOUT, **kwargs)
    except httpx.HTTPError as exc:
        raise WhatsAppApiError(0, f"{type(exc).__name__}: {exc}") from exc


def get(account: WhatsAppAccount, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    return _result(_send("GET", _url(account, path), account, params=params))


def send_message(account: WhatsAppAccount, request: dict[str, Any]) -> str:
    """POST /{phone-number-id}/messages; returns the message's wamid."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **request}
    answer = _result(_send("POST", _url(account, f"{account.phone_number_id}/messages"), account, json=body))
    messages = answer.get("messages") or [{}]
    return str(messages[0].get("id") or "")


def upload_media(account: WhatsAppAccount, *, filename: str, data: bytes, content_type: str) -> str:
    """POST /{phone-number-id}/media (multipart); returns the media id to send by."""
    answer = _result(
        _send(
            "POST",
            _url(account, f"{account.phone_number_id}/media"),
            account,
            data={"messaging_product": "whatsapp", "type": content_type},
            files={"file": (filename, data, content_type)},
        )
    )
    return str(answer.get("id") or "")


def media_info(account: WhatsAppAccount, media_id: str) -> dict[str, Any]:
    """GET /{media-id}: url (valid for minutes), mime_type, sha256, file_size."""
    return get(account, media_id)


def media_download(account: WhatsAppAccount, url: str) -> bytes:
    """The bytes at a media URL from media_info (it wants the bearer token too)."""
    response = _send("GET", url, account)
    if response.status_code != 200:
        raise WhatsAppApiError(response.status_code, f"media download failed: {response.text[:200]}")
    return response.content


def phone_number(account: WhatsAppAccount) -> dict[str, Any]:
    """GET /{phone-number-id}: the number as Meta knows it (the "test connection" button)."""
    return get(account, account.phone_number_id, {"fields": "display_phone_number,verified_name,quality_rating"})
