"""Writes of the public web form: a submission into the inbound store, and the client's reply
from the tracking page. See docs/architecture/webform-telephony.md, "Web form and widget".

A submission is stored like any inbound message (channel "web", raw = the JSON of the fields and
the stored upload references, dedup key = the form's submission id), so a double submit or a
browser retry makes one ticket, and a processing failure stays visible and re-processable."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.throttle import count_request
from customers.models import normalize_phone
from intake.choices import InboundSource
from intake.models import InboundMessage
from intake.services import inbound_store
from tickets.choices import Channel, StatusCategory
from tickets.models import Article, Ticket
from tickets.services import UploadedFileData, article_create

THROTTLE_WINDOW = 60 * 60
TRACK_SALT = "otklik.webform.track"
STAGING_DIR = "webform"


class TooManyRequests(Exception):
    """More posts than OTKLIK_WEBFORM_PER_IP_HOUR from one address, or than
    OTKLIK_WEBFORM_PER_CONTACT_HOUR about one email/phone, in the last hour."""


@dataclass(frozen=True)
class WebSubmission:
    submission_id: str
    name: str
    message: str
    email: str = ""
    phone: str = ""
    category_id: int | None = None
    site: str = ""
    language: str = ""


def webform_throttle(*, ip: str, email: str = "", phone: str = "") -> None:
    """Count one post of the public form — every post, refused and honeypot ones too, so a bot
    learns nothing by varying them. Raises TooManyRequests past the per-address limit, then past
    the per-contact one (counted only for posts under the per-address limit)."""
    if count_request(f"webform:ip:{ip}", window=THROTTLE_WINDOW) > settings.OTKLIK_WEBFORM_PER_IP_HOUR:
        raise TooManyRequests
    for key in {email.strip().lower(), normalize_phone(phone)} - {""}:
        if count_request(f"webform:contact:{key}", window=THROTTLE_WINDOW) > settings.OTKLIK_WEBFORM_PER_CONTACT_HOUR:
            raise TooManyRequests


# Replies on one request's tracking page an hour. Counted per request, not per address: a client
# following their request is known by the link, and an office behind one address must not lose
# its replies to colleagues' posts of the form.
TRACK_REPLIES_PER_HOUR = 30


def webform_reply_throttle(*, ticket_id: int) -> None:
    """Count one reply posted on a request's tracking page; raises TooManyRequests past
    TRACK_REPLIES_PER_HOUR for that request."""
    if count_request(f"webform:track:{ticket_id}", window=THROTTLE_WINDOW) > TRACK_REPLIES_PER_HOUR:
        raise TooManyRequests


def _safe_name(name: str) -> str:
    name = re.sub(r"[^\w.\- ]+", "_", name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" .") or "file"
    return name[-120:]


def webform_submit(*, submission: WebSubmission, files: Iterable[UploadedFile] = ()) -> InboundMessage:
    """Store one submission (uploads staged in the default storage under webform/<id>/) and queue
    it for processing; the same submission id again returns the row stored the first time, and
    its uploads are not kept twice. The caller may process it at once (intake.services.inbound_process
    is idempotent) to show the ticket number."""
    dedup_key = f"submission:{submission.submission_id}"
    existing = InboundMessage.objects.filter(channel=Channel.WEB, dedup_key=dedup_key).first()
    if existing is not None:
        return existing
    folder = f"{STAGING_DIR}/{submission.submission_id}-{uuid.uuid4().hex[:8]}"
    stored: list[dict[str, object]] = [
        {
            "name": upload.name or "file",
            "content_type": upload.content_type or "application/octet-stream",
            "size": upload.size,
            "path": default_storage.save(f"{folder}/{_safe_name(upload.name or 'file')}", upload),
        }
        for upload in files
    ]
    document = {**asdict(submission), "files": stored}
    raw = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    row, created = inbound_store(
        channel=Channel.WEB,
        source=InboundSource.FORM,
        raw=raw,
        dedup_key=dedup_key,
        from_address=submission.email or submission.phone,
        subject=" ".join(submission.message.split())[:200],
    )
    if not created:
        for item in stored:  # a concurrent double submit won the race: its files are the ones kept
            default_storage.delete(str(item["path"]))
    return row


def track_token(inbound: InboundMessage) -> str:
    """The secret part of a submission's tracking link /request/<token>/ (signed, not stored)."""
    return signing.dumps(inbound.pk, salt=TRACK_SALT, compress=True)


def track_inbound(token: str) -> InboundMessage | None:
    """The submission a tracking token names, or None for a forged or expired one."""
    try:
        pk = signing.loads(token, salt=TRACK_SALT, max_age=settings.OTKLIK_WEBFORM_TRACK_DAYS * 24 * 60 * 60)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return InboundMessage.objects.filter(pk=pk, channel=Channel.WEB).select_related("ticket").first()


def webform_reply(*, ticket: Ticket, body: str, attachments: Iterable[UploadedFileData] = ()) -> Article:
    """The client's reply from the tracking page: a public article from the ticket's contact.
    Raises ValidationError for an empty reply or a ticket that no longer takes replies."""
    if ticket.status_category == StatusCategory.CLOSED or ticket.merged_into_id is not None:
        raise ValidationError(_("This request is closed. Create a new request if you still need help."))
    return article_create(
        ticket=ticket,
        author=None,
        author_contact=ticket.contact,
        body=body,
        channel=Channel.WEB,
        attachments=attachments,
    )
