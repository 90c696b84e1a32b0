"""Client notices: what Otklik tells a client about their request on its own — received, engineer
assigned, status changed, resolved (confirm or reopen), all operators busy. See
docs/architecture/notices.md.

One path for every notice: `notice_send()` decides (the ticket has an active contact; the company
did not switch the notice off), composes the text from the NoticeTemplate of the contact's
language, hands it to the sender of the ticket's channel (NOTICE_SENDERS; email when that channel
cannot reach the client) and records a "notice sent" event in the ticket's history.

The email acknowledgement is the one exception to "who calls": the inbound mail pipeline calls
channels.email.outbound.ticket_acknowledge itself, because only it knows whether the mail may be
answered automatically (Auto-Submitted, lists, loops); that function composes through here too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.batch_memo import batch_cached
from core.deferred import insert_deferred
from notifications.choices import NoticeKind
from notifications.notice_defaults import DEFAULT_TEMPLATES
from tickets.choices import Channel, EventKind, StatusCategory

if TYPE_CHECKING:
    from notifications.models import OutboxMessage
    from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("number", "title", "status", "engineer", "company", "contact", "link")
_FIELD = re.compile(r"\{([^{}]*)\}")

# channel → "module.function(*, ticket, notice) -> (OutboxMessage, created) | None": queues the
# notice to the ticket's client on that channel, or returns None when it cannot reach them.
# A new channel plugs in with one line (docs/architecture/notices.md, "Adding a channel").
NOTICE_SENDERS = {
    Channel.EMAIL.value: "channels.email.outbound.email_notice_enqueue",
    Channel.TELEGRAM.value: "channels.telegram.outbound.telegram_notice_enqueue",
    Channel.WHATSAPP.value: "channels.whatsapp.outbound.whatsapp_notice_enqueue",
}
FALLBACK_CHANNEL = Channel.EMAIL.value

TRACK_SALT = "otklik.notices.ticket"


@dataclass(frozen=True)
class Notice:
    """A composed notice, ready for a channel's sender."""

    kind: str
    language: str
    subject: str
    body: str
    link: str
    dedup_key: str  # unique per notice; a sender prefixes its channel


# ---------------------------------------------------------------- templates


def _braced(name: str) -> str:
    return "{" + name + "}"


def placeholders_check(text: str) -> None:
    """Raise ValidationError naming any placeholder that is not one of PLACEHOLDERS."""
    unknown = [name for name in _FIELD.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        known = ", ".join(_braced(name) for name in PLACEHOLDERS)
        raise ValidationError(
            _("Unknown placeholder %(unknown)s. You can use: %(known)s.")
            % {"unknown": ", ".join(_braced(name) for name in dict.fromkeys(unknown)), "known": known}
        )


def placeholders_fill(text: str, values: dict[str, str]) -> str:
    """`text` with each known {name} replaced by its value. Anything else in braces is left as
    written (a template saved before a placeholder was retired must still send)."""
    return _FIELD.sub(lambda match: values.get(match[1], match[0]), text)


def notice_template(kind: str, language: str) -> tuple[str, str]:
    """(subject, body) of the kind in the language: the edited template, else the built-in one.
    Read once per batch of the inbound worker (core/batch_memo.py)."""
    from notifications.models import NoticeTemplate

    found = batch_cached(
        ("notice-template", kind, language),
        lambda: NoticeTemplate.objects.filter(kind=kind, language=language).values_list("subject", "body").first(),
    )
    if found is not None:
        return found
    default = DEFAULT_TEMPLATES[kind][language if language in DEFAULT_TEMPLATES[kind] else "ru"]
    return default["subject"], default["body"]


# ---------------------------------------------------------------- who gets what


def default_announced_status_ids() -> frozenset[int]:
    """Without settings a company hears of statuses of the "pending" category (waiting for the
    client), except delays, which are our own plan."""
    from tickets.models import Status

    return frozenset(
        Status.objects.filter(category=StatusCategory.PENDING, is_delay=False).values_list("pk", flat=True)
    )


def notice_wanted(*, ticket: Ticket, kind: str, status: Status | None = None) -> bool:
    """Whether the ticket's client should get this notice at all (before any channel rule):
    the ticket has an active contact, is not merged away, and the company wants the notice (a
    company without CompanyNoticeSettings gets every notice and hears of "pending" statuses)."""
    from notifications.models import CompanyNoticeSettings

    contact = ticket.contact
    if contact is None or not contact.is_active or ticket.merged_into_id is not None:
        return False
    row = CompanyNoticeSettings.objects.filter(company_id=ticket.company_id).first() if ticket.company_id else None
    if kind == NoticeKind.STATUS_CHANGED:
        if status is None:
            return False
        if row is None:
            return status.pk in default_announced_status_ids()
        return row.announced_statuses.filter(pk=status.pk).exists()
    return row is None or bool(getattr(row, str(kind)))


def notice_language(ticket: Ticket) -> str:
    """The contact's language, else the installation's."""
    for language in (ticket.contact.language if ticket.contact else "", settings.LANGUAGE_CODE[:2]):
        if language in ("ru", "en"):
            return language
    return "ru"


# ---------------------------------------------------------------- composing


def ticket_link_token(ticket: Ticket) -> str:
    """The secret of the client's page of a ticket (signed ticket and contact, not stored)."""
    return signing.dumps([ticket.pk, ticket.contact_id], salt=TRACK_SALT, compress=True)


def ticket_from_link_token(token: str) -> Ticket | None:
    """The ticket a link names, while its contact is still the one the link was made for."""
    from tickets.models import Ticket

    try:
        value = signing.loads(token, salt=TRACK_SALT, max_age=settings.OTKLIK_NOTICE_LINK_DAYS * 24 * 60 * 60)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        return None
    ticket_id, contact_id = value
    return (
        Ticket.objects.filter(pk=ticket_id, contact_id=contact_id, contact__is_active=True)
        .select_related("status", "contact", "company")
        .first()
    )


def ticket_link(ticket: Ticket) -> str:
    # The installation's own URLconf: a notice composed where another one is active (a test
    # mounting the API alone) still links to the public page.
    path = reverse("notices:ticket", urlconf="config.urls", args=[ticket_link_token(ticket)])
    return settings.OTKLIK_BASE_URL + path


def notice_compose(
    *, ticket: Ticket, kind: str, dedup_key: str, status: Status | None = None, language: str = ""
) -> Notice:
    """The notice's subject and body in the client's language, placeholders filled."""
    language = language or notice_language(ticket)
    status = status or ticket.status
    engineer = ticket.assignee
    values = {
        "number": str(ticket.number),
        "title": ticket.title,
        "status": (status.name_en if language == "en" else status.name_ru) if status else "",
        "engineer": engineer.full_name if engineer is not None else "",
        "company": ticket.company.name if ticket.company else "",
        "contact": ticket.contact.full_name if ticket.contact else "",
        "link": ticket_link(ticket),
    }
    subject, body = notice_template(kind, language)
    return Notice(
        kind=kind,
        language=language,
        subject=" ".join(placeholders_fill(subject, values).split()),
        body=placeholders_fill(body, values).strip(),
        link=values["link"],
        dedup_key=dedup_key,
    )


# ---------------------------------------------------------------- sending


def _sender(channel: str) -> Any:
    module, _, name = NOTICE_SENDERS[channel].rpartition(".")
    return getattr(import_module(module), name)


def notice_record(*, ticket: Ticket, kind: str, row: OutboxMessage) -> None:
    """Show the notice in the ticket's history ("notice sent: …, by email to …")."""
    from tickets.models import TicketEvent

    insert_deferred(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.NOTICE_SENT,
            data={"notice": kind, "channel": row.channel, "recipient": row.recipient, "outbox": row.pk},
            team_id_at_event=ticket.team_id,
        )
    )


def notice_send(*, ticket: Ticket, kind: str, dedup_key: str, status: Status | None = None) -> OutboxMessage | None:
    """Queue the notice to the ticket's client on the channel the ticket came by (email when that
    channel has no sender or cannot reach them) and record it in the history. Idempotent per
    `dedup_key`. Call inside the transaction of the change it announces. Returns the outbox row,
    or None when nothing is sent (see notice_wanted; no channel reaches the client)."""
    if not notice_wanted(ticket=ticket, kind=kind, status=status):
        return None
    try:
        # A notice that cannot be composed or queued (a sender's bug, a broken channel setting)
        # must not undo the change it announces: its writes roll back alone, the error is logged.
        with transaction.atomic():
            return _dispatch(ticket=ticket, kind=kind, dedup_key=dedup_key, status=status)
    except Exception:
        logger.exception("client notice %s for ticket %s was not sent", kind, ticket.pk)
        return None


def _dispatch(*, ticket: Ticket, kind: str, dedup_key: str, status: Status | None) -> OutboxMessage | None:
    notice = notice_compose(ticket=ticket, kind=kind, dedup_key=dedup_key, status=status)
    channels = [ticket.channel] if ticket.channel in NOTICE_SENDERS else []
    if FALLBACK_CHANNEL not in channels:
        channels.append(FALLBACK_CHANNEL)
    for channel in channels:
        with translation.override(notice.language):
            result = _sender(channel)(ticket=ticket, notice=notice)
        if result is not None:
            row, created = result
            if created:
                notice_record(ticket=ticket, kind=kind, row=row)
            return row
    return None
