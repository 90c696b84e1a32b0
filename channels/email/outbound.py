"""Composing the email Otklik sends to clients: agents' replies and the client notices (received,
assigned, status, resolved, busy — worded by notifications/notices.py). Each is composed once and
queued in the outbox (notifications/outbox.py), which sends and retries. See docs/architecture/email.md, "Outbound".

Who gets email (one rule for every kind):
- The ticket's contact, when active and email-reachable: the address they last wrote from on
  this ticket (email_meta "reply_to", then "from", of their latest email article), else their
  primary address. This holds whatever channel the ticket came by — a request taken by phone from
  a contact with an address gets the replies by email too (as Zendesk does): the email is the
  client's written record, and answering it continues the ticket.
- Only when the installation has an active Mailbox: without one there is no email channel and
  nothing is sent.
- Cc: the other people on the ticket's first email (its To and Cc, minus our mailboxes and the
  recipient), so a thread with colleagues in copy stays whole.
- Never: internal notes, a client's own or a system article, an article flagged from_stranger.

email_meta format we read and write: {"from": {"name", "address"}, "to": [{"name", "address"}],
"cc": [...], "subject": str, "message_id": str without brackets}. "Name <addr>" strings are
accepted too where a dict is expected.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels.choices import MessageDirection
from channels.email.parsing import ParsedEmail
from channels.models import EmailMessageRef, Mailbox
from core.deferred import deferred_queued, flush_deferred
from notifications.choices import NoticeKind
from notifications.models import OutboxKind, OutboxMessage
from notifications.notices import Notice
from notifications.outbox import MAIL_POLICY, ComposedEmail, header_text, outbox_enqueue
from tickets.choices import ArticleKind, AuthorKind, Channel
from tickets.models import Article, Ticket

LANGUAGES = ("ru", "en")

MAX_CC = 20
MAX_REFERENCES = 20  # the first id and the latest ones: long threads do not grow the header forever


# ---------------------------------------------------------------- who, from where, in which thread


def mailbox_for_ticket(ticket: Ticket) -> Mailbox | None:
    """The mailbox the ticket's mail came in through; else one routed to the ticket's team; else
    the first active mailbox. None when the installation has no active mailbox."""
    from intake.models import InboundMessage

    inbound = (
        InboundMessage.objects.filter(ticket=ticket, mailbox__is_active=True)
        .select_related("mailbox")
        .order_by("received_at", "id")
        .first()
    )
    if inbound is not None and inbound.mailbox is not None:
        return inbound.mailbox
    active = Mailbox.objects.filter(is_active=True)
    if ticket.team_id:
        routed = active.filter(team_id=ticket.team_id).first()
        if routed is not None:
            return routed
    return active.first()


def _address_of(value: Any) -> tuple[str, str]:
    """(name, address) from an email_meta entry: a dict {"name", "address"} or "Name <addr>"."""
    if isinstance(value, dict):
        return str(value.get("name") or ""), str(value.get("address") or "").strip().lower()
    if isinstance(value, str):
        found = getaddresses([value])
        if found:
            return found[0][0], found[0][1].strip().lower()
    return "", ""


def _addresses_of(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict | str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [pair for pair in (_address_of(v) for v in value) if pair[1]]


def client_recipient(ticket: Ticket) -> tuple[str, str] | None:
    """(name, address) of the ticket's contact if email-reachable (see the module's rule)."""
    contact = ticket.contact
    if contact is None or not contact.is_active:
        return None
    latest = (
        Article.objects.filter(ticket=ticket, author_contact=contact, channel=Channel.EMAIL, from_stranger=False)
        .exclude(email_meta={})
        .order_by("-created_at", "-id")
        .values_list("email_meta", flat=True)
        .first()
    )
    if isinstance(latest, dict):
        for key in ("reply_to", "from"):
            pairs = _addresses_of(latest.get(key))
            if pairs:
                return contact.full_name or pairs[0][0], pairs[0][1]
    address = contact.primary_email
    return (contact.full_name, address) if address else None


def _our_addresses() -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}


def thread_participants(ticket: Ticket, *, exclude: Iterable[str]) -> list[tuple[str, str]]:
    """Everyone on the ticket's first email (To, Cc and its sender) except our mailboxes and
    `exclude`: the Cc of our messages."""
    meta = (
        Article.objects.filter(ticket=ticket, channel=Channel.EMAIL)
        .exclude(email_meta={})
        .order_by("created_at", "id")
        .values_list("email_meta", flat=True)
        .first()
    )
    if not isinstance(meta, dict):
        return []
    skip = _our_addresses() | {a.lower() for a in exclude}
    result: list[tuple[str, str]] = []
    for name, address in (
        _addresses_of(meta.get("from")) + _addresses_of(meta.get("to")) + _addresses_of(meta.get("cc"))
    ):
        if address not in skip and "@" in address:
            skip.add(address)
            result.append((name, address))
    return result[:MAX_CC]


def thread_ids(ticket: Ticket) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a message on the ticket, ids without brackets: the thread
    as indexed in EmailMessageRef (our messages and the stored ones), else the articles' own
    Message-IDs. In-Reply-To is the client's latest message (else the latest of ours)."""
    if any(ref.ticket_id == ticket.pk for ref in deferred_queued(EmailMessageRef)):
        flush_deferred()  # a message of the worker's batch on this ticket, its reference not written yet
    refs = list(
        EmailMessageRef.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("message_id", "direction")
    )
    ids = [message_id for message_id, _ in refs]
    inbound = [message_id for message_id, direction in refs if direction == MessageDirection.INBOUND]
    if not ids:
        metas = Article.objects.filter(ticket=ticket).exclude(email_meta={}).order_by("created_at", "id")
        ids = [
            str(meta.get("message_id")).strip("<>")
            for meta in metas.values_list("email_meta", flat=True)
            if isinstance(meta, dict) and meta.get("message_id")
        ]
        inbound = ids
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    in_reply_to = inbound[-1] if inbound else (ids[-1] if ids else "")
    return in_reply_to, ids


def message_id_domain(mailbox: Mailbox) -> str:
    """EMAIL_MESSAGE_ID_DOMAIN when set, else the domain of the mailbox's address."""
    configured = getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", "")
    return configured or mailbox.address.rpartition("@")[2] or "localhost"


def _language(ticket: Ticket, mailbox: Mailbox) -> str:
    language = ticket.contact.language if ticket.contact_id and ticket.contact else ""
    if language not in LANGUAGES:
        language = mailbox.language if mailbox.language in LANGUAGES else "ru"
    return language


def subject_tag(ticket: Ticket, mailbox: Mailbox) -> str:
    return f"[{mailbox.ticket_tag}{ticket.number}]"


# ---------------------------------------------------------------- building the message


def _header_address(name: str, address: str) -> HeaderAddress:
    username, _, domain = address.rpartition("@")
    return HeaderAddress(display_name=header_text(name or ""), username=username, domain=domain)


def _compose(
    *,
    ticket: Ticket,
    mailbox: Mailbox,
    to: tuple[str, str],
    cc: list[tuple[str, str]],
    subject: str,
    text: str,
    html: str,
    in_reply_to: str,
    references: list[str],
    auto_submitted: str = "",
    attachments: Iterable[Any] = (),
) -> ComposedEmail:
    """multipart/mixed [ multipart/alternative [ text/plain, text/html ], attachments… ] (just the
    alternative part without attachments), headers encoded per RFC 2047/2231 by the email package."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = _header_address(mailbox.brand_name or mailbox.name, mailbox.address)
    message["To"] = _header_address(*to)
    if cc:
        message["Cc"] = [_header_address(*pair) for pair in cc]
    subject = header_text(subject)  # also: a title pasted with line breaks must not break the header
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message_id = make_msgid(domain=message_id_domain(mailbox))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{ref}>" for ref in references)
    if auto_submitted:
        # RFC 3834: automatic mail; Exchange/Outlook: don't answer it with an out-of-office.
        message["Auto-Submitted"] = auto_submitted
        message["X-Auto-Response-Suppress"] = "All"
    message["X-Otklik-Ticket"] = str(ticket.number)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        with attachment.file.open("rb") as handle:
            data = handle.read()
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        message.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return ComposedEmail(
        recipient=to[1],
        sender=mailbox.address,
        subject=subject,
        message_id=message_id.strip("<>"),
        payload=message.as_bytes(),
    )


def _render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The .txt and .html versions of templates/channels/email/<name>."""
    return (
        render_to_string(f"channels/email/{name}.txt", context).strip() + "\n",
        render_to_string(f"channels/email/{name}.html", context),
    )


def _remember(*, message_id: str, ticket: Ticket, article: Article | None = None) -> None:
    """Index our Message-ID so the client's answer threads back to the ticket."""
    EmailMessageRef.objects.get_or_create(
        message_id=message_id,
        defaults={"direction": MessageDirection.OUTBOUND, "ticket": ticket, "article": article},
    )


def _meta(row: OutboxMessage, mailbox: Mailbox, to: tuple[str, str], cc: list[tuple[str, str]]) -> dict[str, Any]:
    """The envelope shown on our article, in the email_meta format (module docstring)."""
    return {
        "from": {"name": mailbox.brand_name or mailbox.name, "address": mailbox.address},
        "to": [{"name": to[0], "address": to[1]}],
        "cc": [{"name": name, "address": address} for name, address in cc],
        "subject": row.subject,
        "message_id": row.message_id,
    }


# ---------------------------------------------------------------- what is sent


def email_reply_enqueue(*, article: Article) -> OutboxMessage | None:
    """Queue an agent's public reply to the client (module docstring: who gets email). Idempotent
    per article. Call inside the reply's transaction. Returns the outbox row, or None."""
    if (
        article.kind != ArticleKind.PUBLIC
        or article.author_kind not in (AuthorKind.AGENT, AuthorKind.SYSTEM)  # system: a rule's reply
        or article.from_stranger
        or article.channel == Channel.EMAIL  # already an email (an inbound one, or a copy of ours)
    ):
        return None
    ticket = article.ticket
    to = client_recipient(ticket)
    mailbox = mailbox_for_ticket(ticket) if to else None
    if to is None or mailbox is None:
        return None
    cc = thread_participants(ticket, exclude=[to[1]])

    def compose() -> ComposedEmail:
        in_reply_to, references = thread_ids(ticket)
        with translation.override(_language(ticket, mailbox)):
            text, html = _render(
                "reply",
                {"ticket": ticket, "article": article, "mailbox": mailbox, "signature": _signature(mailbox)},
            )
        return _compose(
            ticket=ticket,
            mailbox=mailbox,
            to=to,
            cc=cc,
            subject=f"Re: {ticket.title} {subject_tag(ticket, mailbox)}",
            text=text,
            html=html,
            in_reply_to=in_reply_to,
            references=references,
            attachments=[a for a in article.attachments.all() if not a.is_inline],
        )

    row, created = outbox_enqueue(
        kind=OutboxKind.REPLY,
        dedup_key=f"email:reply:{article.pk}",
        compose=compose,
        ticket=ticket,
        article=article,
        mailbox=mailbox,
    )
    if created:
        _remember(message_id=row.message_id, ticket=ticket, article=article)
        article.email_meta = _meta(row, mailbox, to, cc)
        article.save(update_fields=["email_meta"])
    return row


def _signature(mailbox: Mailbox) -> str:
    return mailbox.signature.strip() or mailbox.brand_name or mailbox.name


def acknowledgements_today(*, recipient: str) -> int:
    """Acknowledgements queued to `recipient` in the last 24 hours (the per-day cap)."""
    since = timezone.now() - timedelta(days=1)
    return OutboxMessage.objects.filter(
        kind=OutboxKind.ACKNOWLEDGEMENT, recipient__iexact=recipient, created_at__gte=since
    ).count()


def _mailbox_for_new_ticket(ticket: Ticket, parsed: ParsedEmail) -> Mailbox | None:
    """While the inbound message is still being processed it is not linked to the ticket yet:
    find it by Message-ID, then by the addresses the mail was sent to."""
    from intake.models import InboundMessage

    message_id = parsed.message_id
    if message_id:
        inbound = (
            InboundMessage.objects.filter(channel=Channel.EMAIL, dedup_key=message_id, mailbox__is_active=True)
            .select_related("mailbox")
            .first()
        )
        if inbound is not None and inbound.mailbox is not None:
            return inbound.mailbox
    addresses = [a.address for a in [*parsed.to, *parsed.cc] if a.address]
    if addresses:
        by_address = {m.address.lower(): m for m in Mailbox.objects.filter(is_active=True)}
        for address in addresses:
            if address.lower() in by_address:
                return by_address[address.lower()]
    return mailbox_for_ticket(ticket)


def ticket_acknowledge(
    *, ticket: Ticket, article: Article, parsed: ParsedEmail, mailbox: Mailbox | None = None, **more: Any
) -> OutboxMessage | None:
    """Acknowledge a new email ticket to its sender ("Заявка №347 принята"), an acknowledgement
    hook (channels/email/hooks.py) the inbound pipeline calls inside its transaction: the client
    notice "acknowledgement" (notifications/notices.py) with the mail's own rules. Not sent when
    the company switched the notice off or the ticket has no contact, the mailbox does not
    acknowledge, the mail refuses automatic replies (parsed.auto_reply_refused: Auto-Submitted,
    bulk, lists, our own mail…), the article is a stranger's, or the sender already had
    mailbox.auto_replies_per_day acknowledgements in the last 24 hours (a mail loop stops there)."""
    from notifications.notices import notice_compose, notice_record, notice_wanted

    if article.from_stranger or parsed.auto_reply_refused:
        return None
    if not notice_wanted(ticket=ticket, kind=NoticeKind.ACKNOWLEDGEMENT):
        return None
    mailbox = mailbox or _mailbox_for_new_ticket(ticket, parsed)
    if mailbox is None or not mailbox.auto_reply:
        return None
    target = next((a for a in [*parsed.reply_to, parsed.sender] if a.address), None)
    if target is None:
        return None
    address = target.address.lower()
    if address in _our_addresses() or acknowledgements_today(recipient=address) >= mailbox.auto_replies_per_day:
        return None
    to = (target.name or (ticket.contact.full_name if ticket.contact else ""), address)
    message_id = parsed.message_id
    references = list(dict.fromkeys([*parsed.references, *([message_id] if message_id else [])]))
    notice = notice_compose(ticket=ticket, kind=NoticeKind.ACKNOWLEDGEMENT, dedup_key=f"ack:{ticket.pk}")
    row, created = _notice_enqueue(
        ticket=ticket,
        notice=notice,
        mailbox=mailbox,
        to=to,
        thread=(message_id, references[-MAX_REFERENCES:]),
        dedup_key=f"email:ack:{ticket.pk}",
    )
    if created:
        notice_record(ticket=ticket, kind=NoticeKind.ACKNOWLEDGEMENT, row=row)
    return row


# What the email adds to a notice's text: how to answer by mail.
def _hint(kind: str) -> str:
    if kind == NoticeKind.ACKNOWLEDGEMENT:
        return _("To add something, reply to this email and keep the request number in the subject.")
    if kind == NoticeKind.RESOLVED:
        return _(
            "If the problem is still there or something is left to do, just reply to this email: "
            "the request will be reopened."
        )
    if kind == NoticeKind.STATUS_CHANGED:
        return _("To answer, reply to this email.")
    return ""


NOTICE_OUTBOX_KINDS = {
    NoticeKind.ACKNOWLEDGEMENT: OutboxKind.ACKNOWLEDGEMENT,
    NoticeKind.RESOLVED: OutboxKind.STATUS,
    NoticeKind.STATUS_CHANGED: OutboxKind.STATUS,
}


def _notice_enqueue(
    *,
    ticket: Ticket,
    notice: Notice,
    mailbox: Mailbox,
    to: tuple[str, str],
    dedup_key: str,
    thread: tuple[str, list[str]] | None = None,
) -> tuple[OutboxMessage, bool]:
    def compose() -> ComposedEmail:
        in_reply_to, references = thread if thread is not None else thread_ids(ticket)
        with translation.override(notice.language):
            hint = _hint(notice.kind)
            context = {"ticket": ticket, "body": notice.body, "hint": hint, "signature": _signature(mailbox)}
            context["paragraphs"] = [p.strip() for p in notice.body.split("\n\n") if p.strip()]
            text = render_to_string("channels/email/notice.txt", context).strip() + "\n"
            html = render_to_string("channels/email/notice.html", context)
        return _compose(
            ticket=ticket,
            mailbox=mailbox,
            to=to,
            cc=[],
            subject=f"{notice.subject} {subject_tag(ticket, mailbox)}",
            text=text,
            html=html,
            in_reply_to=in_reply_to,
            references=references,
            auto_submitted="auto-replied" if notice.kind == NoticeKind.ACKNOWLEDGEMENT else "auto-generated",
        )

    row, created = outbox_enqueue(
        kind=NOTICE_OUTBOX_KINDS.get(notice.kind, OutboxKind.NOTICE),  # type: ignore[call-overload]
        dedup_key=dedup_key,
        compose=compose,
        ticket=ticket,
        mailbox=mailbox,
    )
    if created:
        _remember(message_id=row.message_id, ticket=ticket)
    return row, created


def _refuses_automatic_replies(ticket: Ticket) -> bool:
    """The mail that opened the ticket said not to answer it automatically (RFC 3834: an
    autoresponder, a list, bulk mail — the parser's verdict, kept in email_meta)."""
    meta = (
        Article.objects.filter(ticket=ticket, channel=Channel.EMAIL)
        .order_by("created_at", "id")
        .values_list("email_meta", flat=True)
        .first()
    )
    return isinstance(meta, dict) and bool(meta.get("auto_reply_refused"))


def email_notice_enqueue(*, ticket: Ticket, notice: Notice) -> tuple[OutboxMessage, bool] | None:
    """The email sender of client notices (notifications/notices.py, NOTICE_SENDERS): the notice to
    the email-reachable client (module docstring: who gets email), as automatic mail in the
    ticket's thread. None when the client has no address or there is no mailbox, and for the
    busy auto-reply when the client's mail refused automatic replies."""
    if notice.kind == NoticeKind.BUSY and _refuses_automatic_replies(ticket):
        return None
    to = client_recipient(ticket)
    mailbox = mailbox_for_ticket(ticket) if to else None
    if to is None or mailbox is None:
        return None
    return _notice_enqueue(
        ticket=ticket, notice=notice, mailbox=mailbox, to=to, dedup_key=f"email:notice:{notice.dedup_key}"
    )
