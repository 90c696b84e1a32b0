"""Telephony providers' webhook formats: verify a request in constant time and read its call
events into one shape (CallEvent). See docs/architecture/webform-telephony.md, "Telephony".

Each adapter is pure (request parts in, events out) so the webhook view can refuse a bad
signature (401) or a malformed body (400) before anything is stored, and the processor can read
the same stored body again later."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings


class SignatureError(Exception):
    """The request is not signed by the provider (401, nothing stored)."""


class MalformedEvent(Exception):
    """The body is not an event of the provider's format (400, nothing stored)."""


# What happened, in our words.
RING = "ring"  # a call reaches an extension (or the company's number)
ANSWER = "answer"
END = "end"  # `answered` tells whether anyone picked up
RECORDING = "recording"


@dataclass(frozen=True)
class CallEvent:
    call_id: str
    kind: str
    # Distinguishes two events of one kind in one call (Mango's seq); part of the dedup key.
    sequence: str = ""
    caller: str = ""
    called: str = ""
    extension: str = ""
    answered: bool = False
    recording: str = ""

    @property
    def dedup_suffix(self) -> str:
        return f"{self.call_id}:{self.kind}:{self.sequence}"


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent(str(exc)) from exc
    return {key: values[-1] for key, values in fields.items()}


def _text(value: Any) -> str:
    return "" if value is None else str(value)[:200]


class MangoOffice:
    """Mango Office VPBX API events: a form post of vpbx_api_key, sign and json, where
    sign = hex(sha256(vpbx_api_key + json + vpbx_api_salt)); events/call (call_state Appeared,
    Connected, Disconnected; `seq` orders a call's events), events/summary (entry_result 1 answered,
    0 missed), events/recording (recording_id). A call is its entry_id."""

    name = "mango"

    def verify(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        key, salt = settings.OTKLIK_TELEPHONY_MANGO_API_KEY, settings.OTKLIK_TELEPHONY_MANGO_API_SALT
        fields = _form(body) if body else {}
        given_key, sign, payload = fields.get("vpbx_api_key", ""), fields.get("sign", ""), fields.get("json", "")
        expected = hashlib.sha256(f"{key}{payload}{salt}".encode()).hexdigest()
        # Both compared, always, so the answer takes the same time whichever is wrong.
        key_ok = hmac.compare_digest(given_key.encode(), key.encode())
        if not (hmac.compare_digest(sign.lower().encode(), expected.encode()) and key_ok):
            raise SignatureError

    def parse(self, *, body: bytes, path: str = "") -> list[CallEvent]:
        try:
            data = json.loads(_form(body)["json"])
        except (KeyError, ValueError) as exc:
            raise MalformedEvent(str(exc)) from exc
        if not isinstance(data, dict):
            raise MalformedEvent("json is not an object")
        call_id = _text(data.get("entry_id"))
        if not call_id:
            raise MalformedEvent("no entry_id")
        caller = _text((data.get("from") or {}).get("number"))
        to = data.get("to") or {}
        called, extension = _text(to.get("number")), _text(to.get("extension"))
        if "recording_id" in data or path.endswith("recording"):
            return [
                CallEvent(
                    call_id, RECORDING, _text(data.get("recording_id")), recording=_text(data.get("recording_id"))
                )
            ]
        if "entry_result" in data or path.endswith("summary"):
            answered = str(data.get("entry_result")) == "1"
            return [CallEvent(call_id, END, "", caller, called, extension, answered=answered)]
        state = data.get("call_state")
        kinds = {"Appeared": RING, "Connected": ANSWER, "Disconnected": ""}
        if state not in kinds:
            raise MalformedEvent(f"unknown call_state {state!r}")
        if not kinds[state]:
            return []  # the summary says how the call ended
        return [CallEvent(call_id, kinds[state], _text(data.get("seq")), caller, called, extension)]


class Zadarma:
    """Zadarma PBX notifications: form posts with `event` NOTIFY_START, NOTIFY_INTERNAL,
    NOTIFY_ANSWER, NOTIFY_END, NOTIFY_RECORD, signed in the Signature header with
    base64(hex(hmac_sha1(fields, secret))) over the fields their documentation lists per event.
    Checked against Zadarma's official PHP client (github.com/zadarma/user-api-v1,
    lib/Webhook/Notify*.php `getSignatureString()` and the base64 of `hash_hmac('sha1', …)`, whose
    default output is hex): START/INTERNAL/END sign caller_id + called_did + call_start, ANSWER
    caller_id + destination + call_start, RECORD pbx_call_id + call_id_with_rec. A call is its
    pbx_call_id. A GET with zd_echo is the URL check, answered by the view."""

    name = "zadarma"
    SIGNED_FIELDS = {
        "NOTIFY_START": ("caller_id", "called_did", "call_start"),
        "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
        "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
        "NOTIFY_END": ("caller_id", "called_did", "call_start"),
        "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
    }

    @classmethod
    def signature(cls, fields: Mapping[str, str], secret: str) -> str:
        signed = "".join(fields.get(name, "") for name in cls.SIGNED_FIELDS.get(fields.get("event", ""), ()))
        digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
        return base64.b64encode(digest.encode()).decode()

    def verify(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            fields = _form(body)
        except MalformedEvent:
            fields = {}
        expected = self.signature(fields, settings.OTKLIK_TELEPHONY_ZADARMA_SECRET)
        if not hmac.compare_digest(headers.get("Signature", "").encode(), expected.encode()):
            raise SignatureError

    def parse(self, *, body: bytes, path: str = "") -> list[CallEvent]:
        fields = _form(body)
        event = fields.get("event", "")
        call_id = fields.get("pbx_call_id", "")
        if event not in self.SIGNED_FIELDS or not call_id:
            raise MalformedEvent(f"unknown event {event!r} or no pbx_call_id")
        caller, called = fields.get("caller_id", ""), fields.get("called_did", "")
        if event == "NOTIFY_RECORD":
            return [CallEvent(call_id, RECORDING, recording=fields.get("call_id_with_rec", ""))]
        if event == "NOTIFY_START":
            return [CallEvent(call_id, RING, "start", caller, called)]
        if event == "NOTIFY_INTERNAL":
            return [CallEvent(call_id, RING, fields.get("internal", ""), caller, called, fields.get("internal", ""))]
        if event == "NOTIFY_ANSWER":
            extension = fields.get("internal", "") or fields.get("destination", "")
            return [CallEvent(call_id, ANSWER, "", caller, called, extension)]
        answered = fields.get("disposition", "") == "answered"
        return [CallEvent(call_id, END, "", caller, called, fields.get("internal", ""), answered=answered)]


class GenericJson:
    """Our own format for any PBX with a scriptable hook: a JSON object {"call_id", "event":
    ring|answer|end|recording, "from", "to", "extension", "answered", "recording_url", "sequence"}
    with the header X-Otklik-Signature: sha256=<hex of HMAC-SHA256(raw body, secret)>."""

    name = "generic"

    def verify(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        secret = settings.OTKLIK_TELEPHONY_GENERIC_SECRET.encode()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Otklik-Signature", "").encode(), expected.encode()):
            raise SignatureError

    def parse(self, *, body: bytes, path: str = "") -> list[CallEvent]:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise MalformedEvent(str(exc)) from exc
        if (
            not isinstance(data, dict)
            or not data.get("call_id")
            or data.get("event") not in (RING, ANSWER, END, RECORDING)
        ):
            raise MalformedEvent("expected an object with call_id and a known event")
        return [
            CallEvent(
                call_id=_text(data["call_id"]),
                kind=data["event"],
                sequence=_text(data.get("sequence", "")),
                caller=_text(data.get("from", "")),
                called=_text(data.get("to", "")),
                extension=_text(data.get("extension", "")),
                answered=bool(data.get("answered")),
                recording=str(data.get("recording_url", ""))[:1000],
            )
        ]


PROVIDERS: dict[str, MangoOffice | Zadarma | GenericJson] = {
    p.name: p for p in (MangoOffice(), Zadarma(), GenericJson())
}


def provider_enabled(name: str) -> bool:
    """A provider answers only once its secret is configured."""
    return bool(
        {
            "mango": settings.OTKLIK_TELEPHONY_MANGO_API_KEY and settings.OTKLIK_TELEPHONY_MANGO_API_SALT,
            "zadarma": settings.OTKLIK_TELEPHONY_ZADARMA_SECRET,
            "generic": settings.OTKLIK_TELEPHONY_GENERIC_SECRET,
        }.get(name)
    )
