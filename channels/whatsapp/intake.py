"""Storing what Meta's webhook brings: each client message and each delivery status is committed as
its own InboundMessage, idempotent on the WhatsApp message id, before Meta gets its 200. See
docs/architecture/whatsapp.md, "Inbound".

One webhook body may carry several entries, changes, messages and statuses. Each is stored in the
same envelope shape Meta uses, cut down to that one item:
    {"object": "whatsapp_business_account", "entry": [{"id": <WABA id>, "changes": [{"field": "messages",
     "value": {"messaging_product", "metadata", "contacts": [...], "messages": [<one>]}}]}]}
(or "statuses": [<one>]), so the processor reads the shape of Meta's documentation."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels.models import WhatsAppAccount
from intake.choices import InboundSource
from intake.models import InboundMessage
from intake.services import inbound_store

SIGNATURE_PREFIX = "sha256="


def signature_valid(*, app_secret: str, raw: bytes, header: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the raw body keyed with the app secret;
    compared in constant time. A missing or malformed header is invalid."""
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    given = header[len(SIGNATURE_PREFIX) :] if header.startswith(SIGNATURE_PREFIX) else ""
    return hmac.compare_digest(given.lower().encode(), expected.encode()) and bool(app_secret)


def message_time(value: Any) -> datetime | None:
    """A Cloud API timestamp (unix seconds as a string) as an aware datetime, never in the future."""
    try:
        moment = datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return min(moment, timezone.now())


def profile_name(value: dict[str, Any], wa_id: str) -> str:
    """The WhatsApp profile name of the sender `wa_id` among a change's contacts ("" if none)."""
    for contact in value.get("contacts") or []:
        if isinstance(contact, dict) and contact.get("wa_id") == wa_id:
            profile = contact.get("profile")
            return str(profile.get("name") or "") if isinstance(profile, dict) else ""
    return ""


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        raise ValueError("not a WhatsApp webhook (no entry list)")
    if body.get("object") != "whatsapp_business_account":
        raise ValueError(f"not a WhatsApp webhook (object {body.get('object')!r})")
    return body


def _envelope(entry: dict[str, Any], value: dict[str, Any], key: str, item: dict[str, Any]) -> bytes:
    cut = {k: v for k, v in value.items() if k in ("messaging_product", "metadata")}
    if key == "messages":
        cut["contacts"] = [c for c in value.get("contacts") or [] if c.get("wa_id") == item.get("from")]
    cut[key] = [item]
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": entry.get("id"), "changes": [{"field": "messages", "value": cut}]}],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _accounts_for(account: WhatsAppAccount) -> dict[str, WhatsAppAccount]:
    """phone_number_id → account, for the numbers this signature also speaks for: one Meta app (one
    app secret, one webhook URL) may serve several numbers."""
    same_app = WhatsAppAccount.objects.filter(is_active=True, app_secret=account.app_secret)
    found = {a.phone_number_id: a for a in same_app}
    found[account.phone_number_id] = account
    return found


def whatsapp_webhook_store(*, account: WhatsAppAccount, raw: bytes) -> list[tuple[InboundMessage, bool]]:
    """Commit every message and status of one (signature-checked) webhook body, in one transaction.
    Raises ValueError for a body that is not a WhatsApp webhook: nothing is stored then. Changes of
    other kinds (template reviews, account updates) and of numbers we do not serve are skipped."""
    body = _parse(raw)
    accounts = _accounts_for(account)
    items: list[tuple[dict[str, Any], dict[str, Any], str, dict[str, Any]]] = []
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            raise ValueError("an entry is not an object")
        for change in entry.get("changes") or []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                raise ValueError("a change has no value object")
            number = str((value.get("metadata") or {}).get("phone_number_id") or "")
            if number not in accounts:
                continue
            for key, one in (("messages", "message"), ("statuses", "status")):
                for item in value.get(key) or []:
                    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                        raise ValueError(f"a {one} has no id")
                    items.append((entry, value, key, item))
    stored = []
    with transaction.atomic():
        for entry, value, key, item in items:
            envelope = _envelope(entry, value, key, item)
            if key == "messages":
                stored.append(
                    inbound_store(
                        channel="whatsapp",
                        source=InboundSource.WEBHOOK,
                        raw=envelope,
                        dedup_key=f"msg:{item['id']}",
                        from_address=profile_name(value, str(item.get("from") or "")) or str(item.get("from") or ""),
                        subject=_headline(item),
                        received_at=message_time(item.get("timestamp")),
                    )
                )
            else:
                stored.append(
                    inbound_store(
                        channel="whatsapp",
                        source=InboundSource.WEBHOOK,
                        raw=envelope,
                        dedup_key=f"status:{item['id']}:{item.get('status')}",
                        from_address=str(item.get("recipient_id") or ""),
                        subject=f"status {item.get('status')}",
                    )
                )
    return stored


def _headline(message: dict[str, Any]) -> str:
    kind = str(message.get("type") or "")
    part = message.get(kind) if isinstance(message.get(kind), dict) else {}
    return str((part or {}).get("body") or (part or {}).get("caption") or kind)[:200]
