"""The inbound mail pipeline: one stored message → contact, thread, ticket and article.
See docs/architecture/email.md, "Inbound pipeline".

Called by intake.services.inbound_process inside its transaction with the InboundMessage row
locked; anything raised here rolls the whole message back and puts it in the failed-inbound list.
The number of queries per message does not grow with the size of the thread or of the customer
base (the benchmark target is 200 messages/s on PostgreSQL): one lookup of every Message-ID the
message names, one of every address it names, and the ticket services' own writes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from channels.choices import MessageDirection
from channels.email.hooks import acknowledgement_hooks
from channels.email.loops import AUTOMATIC_REASONS
from channels.email.parsing import Address, ParsedEmail, parse_email
from channels.models import EmailMessageRef, Mailbox
from core.batch_memo import batch_cached, batch_memo_active
from core.db import ModelColumns
from core.deferred import deferred_queued, flush_deferred, insert_deferred
from customers.models import Contact
from customers.selectors import companies_by_email_domain, contacts_by_email
from customers.services import EmailPerson, contacts_create_from_email
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import PROCESS_LATER_ATTEMPTS, ProcessLater, ticket_lock_or_busy
from notifications.outbox import outbox_mark_bounced
from tickets.choices import OPEN_CATEGORIES, ArticleKind, Channel, LinkKind, StatusCategory
from tickets.models import Article, Ticket
from tickets.services import ArticleEmail, UploadedFileData, article_create, ticket_link, ticket_open

logger = logging.getLogger(__name__)

# Unknown people in one message's To/Cc that become contacts (a mailing to 500 addresses must not
# fill the customer base); the sender always does.
MAX_NEW_CONTACTS = 20
# The newest References looked up (a long thread's first ids point to the same ticket anyway).
REFERENCES_LOOKED_UP = 30
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")


def email_process(inbound: InboundMessage) -> tuple[Ticket | None, Article | None]:
    """Turn one stored email into an article: a new ticket, a reply threaded to an existing one,
    or a delivery failure noted on the ticket of the message that bounced. A message whose
    Message-ID is already known creates nothing (the existing ticket and article are returned).

    Raises EmailParseError for bytes that are not a message, ValidationError/IntegrityError
    from the services; the caller records either as the message's failure."""
    return email_process_parsed(inbound=inbound, parsed=parse_email(bytes(inbound.raw)))


def email_process_parsed(*, inbound: InboundMessage, parsed: ParsedEmail) -> tuple[Ticket | None, Article | None]:
    """email_process after parsing (the parser's result is its whole input)."""
    mailboxes = batch_cached("mailboxes", lambda: list(Mailbox.objects.select_related("team", "category")))
    mailbox = _mailbox_of(inbound, parsed, mailboxes)
    own_key = parsed.message_id or inbound.dedup_key
    bounce = parsed.bounce
    wanted = [own_key, *parsed.in_reply_to, *parsed.references[-REFERENCES_LOOKED_UP:]]
    if bounce is not None and bounce.original_message_id:
        wanted.append(bounce.original_message_id)
    refs = _refs_with_tickets(set(wanted))
    if own_key in refs:
        return refs[own_key].ticket, refs[own_key].article
    if bounce is not None:
        return _bounce_attach(inbound=inbound, parsed=parsed, refs=refs, own_key=own_key, mailbox=mailbox)

    ticket = _thread(parsed=parsed, refs=refs, mailbox=mailbox)
    if ticket is None and inbound.attempts < PROCESS_LATER_ATTEMPTS and _original_waiting(parsed, inbound):
        # The message it answers is stored but not processed yet (another worker's batch has it,
        # or it arrived after this one): threading waits for it rather than opening a second ticket.
        raise ProcessLater("the message it replies to is still being processed")
    if ticket is not None:
        ticket_lock_or_busy(ticket_id=ticket.pk, attempts=inbound.attempts)  # before anything is written
    people = _People.identify(parsed=parsed, mailboxes=mailboxes)
    email = ArticleEmail(
        body_html=parsed.html,
        quoted=parsed.quoted_html if parsed.html else parsed.quoted_text,
        quoted_is_html=bool(parsed.html),
        has_remote_images=parsed.has_remote_images,
        meta=_meta(parsed, mailbox),
    )
    attachments = _attachments(parsed)
    body = parsed.text.strip()
    automatic = parsed.auto_reply_refused in AUTOMATIC_REASONS
    follows = None
    stranger: bool | None = None
    if (
        ticket is not None
        and ticket.status_category == StatusCategory.CLOSED
        and people.sender_staff is None
        and not automatic
        and not (stranger := _is_stranger(ticket=ticket, people=people))
    ):
        # A closed ticket is not reopened (its work is done and counted): the client's new mail
        # to it opens a follow-up ticket, linked to it, which the team sees as new — or joins the
        # follow-up already open (their mailer answering the closed thread again).
        follows, ticket = ticket, _open_follow_up(ticket, people.sender_contact)
        if ticket is not None:
            follows = None
            ticket_lock_or_busy(ticket_id=ticket.pk, attempts=inbound.attempts)
    if ticket is None:
        ticket, article = _ticket_open(
            inbound=inbound, parsed=parsed, mailbox=mailbox, people=people, email=email, attachments=attachments
        )
        if follows is not None:
            ticket_link(ticket=ticket, actor=None, other=follows)
        if not parsed.auto_reply_refused and (mailbox is None or mailbox.auto_reply):
            for hook in acknowledgement_hooks:
                hook(ticket=ticket, article=article, parsed=parsed)
    else:
        if not body and not attachments:
            body = parsed.subject or _("(empty message)")
        if people.sender_staff is not None:
            # A colleague wrote to the thread from their mail client: their words are kept for
            # the team, but the ticket page is where replies to the client are made.
            article = article_create(
                ticket=ticket,
                author=people.sender_staff,
                kind=ArticleKind.NOTE,
                body=body,
                channel=Channel.EMAIL,
                received_at=inbound.received_at,
                attachments=attachments,
                email=email,
            )
        else:
            if stranger is None:  # not asked above (the ticket is not closed)
                stranger = _is_stranger(ticket=ticket, people=people)
            # A stranger's mail is kept for the agents only (an internal note): anyone can write
            # "[#N]" in a subject, and the client must not see it in their conversation.
            article = article_create(
                ticket=ticket,
                author=None,
                author_contact=people.sender_contact,
                kind=ArticleKind.NOTE if stranger else ArticleKind.PUBLIC,
                body=body,
                channel=Channel.EMAIL,
                received_at=inbound.received_at,
                attachments=attachments,
                email=replace(email, from_stranger=stranger),
                # An out-of-office or another machine's answer to our reply: kept in the
                # conversation (marked), but the ticket stays waiting for the client.
                reopens=not automatic,
            )
    _remember_inbound(own_key, inbound, ticket, article)
    return ticket, article


# --- who wrote, and to whom --------------------------------------------------------------------


def _base_address(address: str) -> str:
    """support+anything@x → support@x (plus-addressing reaches the same mailbox)."""
    local, at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}"


def mailbox_for_address(address: str, mailboxes: Iterable[Mailbox]) -> Mailbox | None:
    """The mailbox `address` reaches (case-insensitive, plus-addressing allowed), if any."""
    address = address.strip().lower()
    base = _base_address(address)
    for mailbox in mailboxes:
        own = mailbox.address.lower()
        if own in (address, base):
            return mailbox
    return None


def _mailbox_of(inbound: InboundMessage, parsed: ParsedEmail, mailboxes: list[Mailbox]) -> Mailbox | None:
    if inbound.mailbox_id:
        return next((m for m in mailboxes if m.pk == inbound.mailbox_id), None)
    candidates = [*inbound.envelope_to, *(a.address for a in [*parsed.to, *parsed.cc])]
    for address in candidates:
        found = mailbox_for_address(str(address), mailboxes)
        if found is not None:
            return found
    return None


class _People:
    """The contacts and staff an email names: the sender's contact (found or created), the staff
    user when a colleague wrote, and the other addresses of To/Cc (our mailboxes left out)."""

    def __init__(
        self,
        *,
        sender: Address,
        sender_contact: Contact | None,
        sender_staff: User | None,
        participants: set[str],
    ) -> None:
        self.sender = sender
        self.sender_contact = sender_contact
        self.sender_staff = sender_staff
        self.participants = participants

    @classmethod
    def identify(cls, *, parsed: ParsedEmail, mailboxes: list[Mailbox]) -> _People:
        sender = parsed.sender.address
        others: list[Address] = []
        seen = {sender}
        for person in [*parsed.to, *parsed.cc]:
            if person.address and "@" in person.address and person.address not in seen:
                seen.add(person.address)
                if mailbox_for_address(person.address, mailboxes) is None:
                    others.append(person)
        named = {a for a in [sender, *(o.address for o in others)] if a}
        if not named:
            return cls(sender=parsed.sender, sender_contact=None, sender_staff=None, participants=set())
        known: dict[str, Contact] = contacts_by_email(addresses=named)
        staff = {user.email.lower(): user for user in _staff_named(named)}
        sender_is_ours = not sender or "@" not in sender or mailbox_for_address(sender, mailboxes) is not None
        new: list[EmailPerson] = []
        if not sender_is_ours and sender not in known and sender not in staff:
            new.append(EmailPerson(address=sender, name=parsed.sender.name))
        unknown_others = [o for o in others if o.address not in known and o.address not in staff]
        new += [EmailPerson(address=o.address, name=o.name) for o in unknown_others[:MAX_NEW_CONTACTS]]
        if new:
            companies = companies_by_email_domain(domains={p.address.rpartition("@")[2] for p in new})
            language = _guess_language(f"{parsed.subject}\n{parsed.text}")
            known.update(contacts_create_from_email(people=new, companies=companies, language=language))
        return cls(
            sender=parsed.sender,
            sender_contact=known.get(sender),
            sender_staff=staff.get(sender),
            participants={o.address for o in others},
        )


def _staff_named(addresses: set[str]) -> list[User]:
    """The active staff users whose address is one of these. Within a worker's batch the staff's
    addresses are read once for the batch, and only users found among them are read — mail from
    staff is the exception, so most messages read none."""

    def staff() -> QuerySet[User]:
        return User.objects.filter(is_active=True).exclude(role=Role.CLIENT)

    if batch_memo_active():
        known = batch_cached("staff-emails", lambda: frozenset(staff().values_list("email", flat=True)))
        addresses = addresses & known
        if not addresses:
            return []
    return list(staff().filter(email__in=addresses))


def _original_waiting(parsed: ParsedEmail, inbound: InboundMessage) -> bool:
    named = {*parsed.in_reply_to, *parsed.references[-REFERENCES_LOOKED_UP:]} - {inbound.dedup_key}
    if not named:
        return False
    return (
        InboundMessage.objects.filter(channel="email", dedup_key__in=named, status=InboundStatus.RECEIVED)
        .exclude(pk=inbound.pk)
        .exists()
    )


def _guess_language(text: str) -> str:
    """ "ru" when the text has Cyrillic letters to speak of, "en" when it is Latin, else the default."""
    cyrillic, latin = len(CYRILLIC.findall(text)), len(LATIN.findall(text))
    if cyrillic == latin == 0:
        return settings.LANGUAGE_CODE[:2]
    return "ru" if cyrillic >= latin / 4 else "en"


def _is_stranger(*, ticket: Ticket, people: _People) -> bool:
    """Neither the ticket's contact, nor a contact of its company, nor anyone the thread's mail
    went to or came from, nor staff: attached and flagged, the client is not told of it."""
    contact = people.sender_contact
    if contact is not None and (
        contact.pk == ticket.contact_id or (ticket.company_id is not None and contact.company_id == ticket.company_id)
    ):
        return False
    address = people.sender.address
    if not address:
        return True
    for meta in Article.objects.filter(ticket=ticket).exclude(email_meta={}).values_list("email_meta", flat=True):
        if address in _addresses_of(meta):
            return False
    return True


def _addresses_of(meta: dict[str, Any]) -> set[str]:
    found = set()
    for key in ("from", "to", "cc", "reply_to"):
        value = meta.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("address"):
                found.add(str(item["address"]).lower())
    return found


# --- threading -----------------------------------------------------------------------------------


_REF = ModelColumns(EmailMessageRef)
_TICKET = ModelColumns(Ticket)


def _remember_inbound(own_key: str, inbound: InboundMessage, ticket: Ticket, article: Article) -> None:
    """Index the message's Message-ID (or content hash) for the replies that will name it, dated
    when it arrived (the thread's order: before our acknowledgement of it). Within a batch of the
    worker, written with the batch's other references at its end (core/deferred.py); a later
    message of the batch that names it has it written first (_refs_with_tickets)."""
    insert_deferred(
        EmailMessageRef(
            message_id=own_key[:500],
            direction=MessageDirection.INBOUND,
            ticket=ticket,
            article=article,
            created_at=inbound.received_at,
        )
    )


def _refs_with_tickets(message_ids: set[str]) -> dict[str, EmailMessageRef]:
    """The Message-IDs among these that we sent or stored, each with its ticket loaded (its
    article is read only when asked for: a message delivered twice). Written by hand: every
    message reads this, and the ORM's statement for the ticket's ~40 columns cost more than running it."""
    if not message_ids:
        return {}
    if any(ref.message_id in message_ids for ref in deferred_queued(EmailMessageRef)):
        flush_deferred()  # a message of this batch, its reference not written yet
    q = connection.ops.quote_name
    sql = (
        f"SELECT {_REF.select('r')}, {_TICKET.select('t')} "
        f"FROM {q(EmailMessageRef._meta.db_table)} r "
        f"JOIN {q(Ticket._meta.db_table)} t ON t.{q('id')} = r.{q('ticket_id')} "
        f"WHERE r.{q('message_id')} IN ({', '.join(['%s'] * len(message_ids))})"
    )
    ticket_field = EmailMessageRef._meta.get_field("ticket")
    refs: dict[str, EmailMessageRef] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, sorted(message_ids))
        for row in cursor.fetchall():
            ref = cast(EmailMessageRef, _REF.build(row[: _REF.width]))
            ticket_field.set_cached_value(ref, _TICKET.build(row[_REF.width :]))
            refs[ref.message_id] = ref
    return refs


def _thread(*, parsed: ParsedEmail, refs: dict[str, EmailMessageRef], mailbox: Mailbox | None) -> Ticket | None:
    """The ticket a message continues: In-Reply-To, then References (newest first) among the
    Message-IDs we sent or stored, then "[<tag><number>]" in the subject; None for a new one.
    A merged ticket's mail goes to the ticket it was merged into."""
    for message_id in [*parsed.in_reply_to, *reversed(parsed.references[-REFERENCES_LOOKED_UP:])]:
        if message_id in refs:
            return _follow_merges(refs[message_id].ticket)
    number = ticket_number_in_subject(parsed.subject, tag=mailbox.ticket_tag if mailbox else "#")
    if number is not None:
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return _follow_merges(ticket)
    return None


def _open_follow_up(closed: Ticket, contact: Contact | None) -> Ticket | None:
    """The open follow-up of a closed ticket (linked to it as related) that this contact's mail
    opened before, if any."""
    if contact is None:
        return None
    return (
        Ticket.objects.filter(
            links_out__target=closed,
            links_out__kind=LinkKind.RELATED,
            contact=contact,
            status_category__in=OPEN_CATEGORIES,
        )
        .order_by("-id")
        .first()
    )


def ticket_number_in_subject(subject: str, *, tag: str) -> int | None:
    """12345 from "Re: [#12345] Лифт" (tag "#"); None when the subject carries no number."""
    match = re.search(rf"\[\s*{re.escape(tag or '#')}\s*(\d{{1,18}})\s*\]", subject or "")
    return int(match.group(1)) if match else None


# "Re:", "RE[2]:", "Fwd:", "FW:", "AW:", "WG:", "TR:", "SV:", "RV:", "Ответ:", "Отв:", "Пересл:",
# "Переслать:", repeated.
_REPLY_PREFIX = re.compile(
    r"^\s*(?:re|fwd?|aw|wg|tr|sv|rv|ответ|отв|пересл|переслать)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*",
    re.IGNORECASE,
)


def title_from_subject(subject: str, *, tag: str) -> str:
    """A new ticket's title from a mail's subject: without the "Re:"/"Fwd:" prefixes mailers add
    (the subject of an answer to a closed ticket's mail is "Re: Re: [#305] Лифт") and without our
    ticket tag, which the ticket's own mail adds back."""
    title = re.sub(rf"\[\s*{re.escape(tag or '#')}\s*\d{{1,18}}\s*\]", " ", subject or "")
    while True:
        stripped = _REPLY_PREFIX.sub("", title, count=1)
        if stripped == title:
            break
        title = stripped
    return " ".join(title.split())


def _follow_merges(ticket: Ticket) -> Ticket:
    for _hop in range(10):
        if not ticket.merged_into_id:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


# --- writing -------------------------------------------------------------------------------------


def _ticket_open(
    *,
    inbound: InboundMessage,
    parsed: ParsedEmail,
    mailbox: Mailbox | None,
    people: _People,
    email: ArticleEmail,
    attachments: list[UploadedFileData],
) -> tuple[Ticket, Article]:
    first_line = next((line.strip() for line in parsed.text.splitlines() if line.strip()), "")
    title = title_from_subject(parsed.subject, tag=mailbox.ticket_tag if mailbox else "#")
    title = title or first_line[:120] or _("(no subject)")
    ticket, article = ticket_open(
        actor=people.sender_staff,
        title=title,
        description=parsed.text.strip(),
        channel=Channel.EMAIL,
        contact=people.sender_contact,
        team=mailbox.team if mailbox else None,
        category=mailbox.category if mailbox else None,
        received_at=inbound.received_at,
        attachments=attachments,
        email=email,
    )
    return ticket, article


def _attachments(parsed: ParsedEmail) -> list[UploadedFileData]:
    files = []
    for part in parsed.attachments:
        cid = part.content_id.strip()
        inline = part.inline or bool(cid and parsed.html and f"cid:{cid}" in parsed.html)
        files.append(
            UploadedFileData(
                name=part.filename or "attachment",
                content_type=part.content_type,
                file=ContentFile(part.data, name=part.filename or "attachment"),
                content_id=cid,
                is_inline=inline,
            )
        )
    return files


def _person(address: Address) -> dict[str, str]:
    return {"name": address.name, "address": address.address}


def _meta(parsed: ParsedEmail, mailbox: Mailbox | None) -> dict[str, Any]:
    """The envelope kept on the article: shown on the ticket page, and read by the outbound part
    (replies go to reply_to or from, Cc the other people of to/cc, and carry In-Reply-To and
    References built from message_id and references)."""
    return {
        "from": _person(parsed.sender),
        "to": [_person(a) for a in parsed.to],
        "cc": [_person(a) for a in parsed.cc],
        "reply_to": [_person(a) for a in parsed.reply_to],
        "subject": parsed.subject,
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to[:5],
        "references": parsed.references[-20:],
        "date": parsed.date.isoformat() if parsed.date else None,
        "mailbox": mailbox.address if mailbox else "",
        "auto_reply_refused": parsed.auto_reply_refused,
        # A machine wrote it (an out-of-office…): the ticket page marks it.
        "automatic": parsed.auto_reply_refused in AUTOMATIC_REASONS,
    }


def _bounce_attach(
    *,
    inbound: InboundMessage,
    parsed: ParsedEmail,
    refs: dict[str, EmailMessageRef],
    own_key: str,
    mailbox: Mailbox | None,
) -> tuple[Ticket | None, Article | None]:
    """A delivery status notification: noted (internally) on the ticket of the message that
    bounced, and that outgoing message marked bounced with the remote server's words."""
    bounce = parsed.bounce
    assert bounce is not None
    candidates = [bounce.original_message_id, *parsed.in_reply_to, *reversed(parsed.references)]
    ref = next((refs[m] for m in candidates if m and m in refs), None)
    if ref is None:
        logger.info("bounce %s about an unknown message %s", own_key, bounce.original_message_id)
        return None, None
    diagnostic = bounce.diagnostic.strip() or bounce.status or _("no reason given")
    with translation.override(mailbox.language if mailbox else settings.LANGUAGE_CODE):
        body = _("Delivery failed to %(recipient)s (%(status)s): %(diagnostic)s") % {
            "recipient": bounce.recipient or "?",
            "status": bounce.status or "?",
            "diagnostic": diagnostic,
        }
    ticket = _follow_merges(ref.ticket)
    article = article_create(
        ticket=ticket,
        author=None,
        kind=ArticleKind.NOTE,
        body=body,
        channel=Channel.EMAIL,
        received_at=inbound.received_at,
        email=ArticleEmail(meta={**_meta(parsed, mailbox), "bounce_of": bounce.original_message_id}),
    )
    if bounce.original_message_id:
        outbox_mark_bounced(
            message_id=bounce.original_message_id,
            error=diagnostic,
            ticket_id=ref.ticket_id,
            recipient=bounce.recipient,
        )
    _remember_inbound(own_key, inbound, ticket, article)
    return ticket, article
