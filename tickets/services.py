"""Every write to tickets goes through these functions; each records an immutable TicketEvent.
See docs/architecture/tickets.md."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ParamSpec, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from assets.models import Equipment
from contracts.models import Contract
from core.db import ModelColumns, insert_model, service_atomic
from core.deferred import insert_deferred
from customers.models import Company, Contact, Site
from sla.services import sla_fields_for_new_ticket, ticket_sla_refresh
from tickets import search
from tickets.choices import ArticleKind, AuthorKind, Channel, EventKind, LinkKind, StatusCategory
from tickets.hooks import hooks_run
from tickets.models import (
    Article,
    Attachment,
    Priority,
    ServiceCategory,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketPresence,
    TicketType,
)
from tickets.reference import reference, ticket_attach_reference
from tickets.selectors import with_reference


@dataclass(frozen=True)
class UploadedFileData:
    """A file to attach: a name, a content type as sent, and a readable file object."""

    name: str
    content_type: str
    file: File
    # An image an HTML email shows in place (<img src="cid:...">), see Attachment.content_id.
    content_id: str = ""
    is_inline: bool = False


@dataclass(frozen=True)
class ArticleEmail:
    """What an article keeps of the email it came from (see Article's email fields)."""

    body_html: str = ""
    quoted: str = ""
    quoted_is_html: bool = False
    has_remote_images: bool = False
    from_stranger: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def article_fields(self) -> dict[str, Any]:
        return {
            "body_html": self.body_html,
            "quoted": self.quoted,
            "quoted_is_html": self.quoted_is_html,
            "has_remote_images": self.has_remote_images,
            "from_stranger": self.from_stranger,
            "email_meta": self.meta,
        }


P = ParamSpec("P")
PG_NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _next_ticket_number() -> int:
    """The next human ticket number. On PostgreSQL a SEQUENCE: nextval() never waits for other
    transactions, so concurrent creates don't queue behind one counter row held until COMMIT (a
    rolled-back create leaves a gap, as in every help desk). SQLite serialises writers anyway and
    uses the counter row."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s)", [PG_NUMBER_SEQUENCE])
            return int(cursor.fetchone()[0])
        cursor.execute("UPDATE tickets_ticketsequence SET value = value + 1 WHERE name = 'ticket' RETURNING value")
        row = cursor.fetchone()
        if row is None:
            start = (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
            cursor.execute("INSERT INTO tickets_ticketsequence (name, value) VALUES ('ticket', %s)", [start])
            return start
        return int(row[0])


def ticket_number_sequence_sync() -> int:
    """Make the next number follow the largest one stored (after a bulk import or restore).
    Returns the number the next ticket will get."""
    top = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(%s, %s, false)", [PG_NUMBER_SEQUENCE, top + 1])
        else:
            cursor.execute("UPDATE tickets_ticketsequence SET value = %s WHERE name = 'ticket'", [top])
    return top + 1


def _record(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None = None,
    actor_contact: Contact | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    if actor is not None and actor.is_client:
        actor_contact = actor_contact or actor.contact
    event = TicketEvent(
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_contact=actor_contact,
        data=data or {},
        team_id_at_event=ticket.team_id,
    )
    # Within an inbound batch the batch's events are written together at its end (core/deferred.py).
    insert_deferred(event)
    return event


def _ref(obj: Any) -> dict[str, Any] | None:
    """A stable description of a referenced object for event data: id plus its display name(s)."""
    if obj is None:
        return None
    ref: dict[str, Any] = {"id": obj.pk}
    if hasattr(obj, "name_ru"):
        ref.update(name_ru=obj.name_ru, name_en=obj.name_en)
    else:
        ref["name"] = str(obj)
    return ref


def _default_status() -> Status:
    # From the per-process reference snapshot (tickets/reference.py): every new ticket asks.
    statuses = reference().active_statuses
    status = next((s for s in statuses if s.is_default), None) or next(
        (s for s in statuses if s.category == StatusCategory.NEW), None
    )
    if status is None:
        raise ValidationError(_("No status for new tickets is configured."))
    return status


def _default_priority() -> Priority:
    ref = reference()
    priority = next((p for p in ref.active_priorities if p.is_default), None) or next(
        iter(ref.priorities.values()), None
    )
    if priority is None:
        raise ValidationError(_("No priorities are configured."))
    return priority


def _first_open_status() -> Status | None:
    return next((s for s in reference().active_statuses if s.category == StatusCategory.OPEN), None)


def _check_consistency(
    *,
    company: Company | None,
    contact: Contact | None,
    site: Site | None,
    equipment: Equipment | None = None,
    ticket: Ticket | None = None,
) -> None:
    """Raises ValidationError naming the field when the contact, site or unit is not the company's,
    or the unit is at another site than the one chosen. `ticket`, when changing one: a unit and a
    site it already has together are not re-checked — the unit may have moved since."""
    if contact is not None and company is not None and contact.company_id not in (None, company.pk):
        raise ValidationError({"contact": _("The contact belongs to another company.")})
    if site is not None and company is not None and site.company_id != company.pk:
        raise ValidationError({"site": _("The site belongs to another company.")})
    if equipment is not None and company is not None and equipment.company_id != company.pk:
        raise ValidationError({"equipment": _("The equipment belongs to another company.")})
    kept = ticket is not None and (ticket.equipment_id, ticket.site_id) == (
        getattr(equipment, "pk", None),
        getattr(site, "pk", None),
    )
    if equipment is not None and site is not None and equipment.site_id not in (None, site.pk) and not kept:
        raise ValidationError({"equipment": _("The equipment is at another site.")})


def _covering_contract(
    *,
    company: Company | None,
    site: Site | None,
    equipment: Equipment | None,
    category: ServiceCategory | None,
) -> Contract | None:
    """The contract covering the request now (contracts/coverage.py); none without a company."""
    if company is None:
        return None
    from contracts.coverage import coverage_for

    return coverage_for(company=company, site=site, equipment=equipment, category=category).contract


def _sla_refresh(ticket: Ticket) -> None:
    """Recompute the ticket's SLA clocks from its history (sla/services.py)."""
    ticket_sla_refresh(ticket)


def _store_attachments(*, ticket: Ticket, article: Article, files: Iterable[UploadedFileData]) -> list[Attachment]:
    stored = []
    limit = settings.OTKLIK_ATTACHMENT_MAX_BYTES
    for upload in files:
        digest = hashlib.sha256()
        size = 0
        upload.file.seek(0)
        for chunk in (
            upload.file.chunks() if hasattr(upload.file, "chunks") else iter(partial(upload.file.read, 65536), b"")
        ):
            size += len(chunk)
            if size > limit:
                raise ValidationError(
                    {
                        "attachments": _("%(name)s is larger than %(limit)s.")
                        % {"name": upload.name, "limit": filesizeformat(limit)}
                    }
                )
            digest.update(chunk)
        upload.file.seek(0)
        name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:] or "file"
        content_type = upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = Attachment(
            ticket=ticket,
            article=article,
            filename=name,
            content_type=content_type[:255],
            size=size,
            sha256=digest.hexdigest(),
            content_id=upload.content_id[:255],
            is_inline=upload.is_inline,
        )
        attachment.file.save(attachment.sha256, upload.file, save=False)
        insert_model(attachment)
        stored.append(attachment)
    return stored


@service_atomic
def ticket_open(
    *,
    actor: User | None,
    title: str,
    description: str = "",
    channel: str = Channel.PHONE,
    priority: Priority | None = None,
    status: Status | None = None,
    type: TicketType | None = None,
    category: ServiceCategory | None = None,
    company: Company | None = None,
    contact: Contact | None = None,
    site: Site | None = None,
    equipment: Equipment | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Iterable[str] = (),
    observers: Iterable[User] = (),
    received_at: datetime | None = None,
    attachments: Iterable[UploadedFileData] = (),
    email: ArticleEmail | None = None,
) -> tuple[Ticket, Article]:
    """Open a ticket and its first article (the description, from the contact when there is one);
    returns both — the channels answer with the article. `ticket_create` returns the ticket alone.

    The team defaults to the service category's default team, then the site's; the company to
    the contact's (or the site's, or the unit's); the site to the unit's. The ticket remembers the
    contract covering it (contracts/coverage.py). `received_at` is when the request reached the
    channel (SLA clocks start there); `email`, what the first article keeps of the mail it came from.
    Raises ValidationError for an empty title or inconsistent company/contact/site/equipment.
    """
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("A subject is required.")})
    _check_assignee(assignee)
    if company is None and contact is not None and contact.company_id:
        company = contact.company
    if company is None and site is not None:
        company = site.company
    if equipment is not None:
        company = company or equipment.company
        if site is None and equipment.site_id and equipment.company_id == getattr(company, "pk", None):
            site = equipment.site
    _check_consistency(company=company, contact=contact, site=site, equipment=equipment)
    if team is None and category is not None and category.default_team_id:
        team = category.default_team
    if team is None and site is not None and site.default_team_id:
        team = site.default_team
    if status is not None and status.is_delay:
        raise ValidationError({"status": _("A new ticket cannot start delayed; delay it once it exists.")})
    if status is None:
        status = _default_status()
        if assignee is not None and status.category == StatusCategory.NEW:
            # Created already assigned (phone intake, API): it is being worked on, as after ticket_assign.
            status = _first_open_status() or status
    now = timezone.now()
    received_at = received_at or now
    ticket = Ticket(
        number=_next_ticket_number(),
        title=title[:255],
        description=description or "",
        status=status,
        status_category=status.category,
        priority=priority or _default_priority(),
        type=type,
        category=category,
        company=company,
        contact=contact,
        site=site,
        equipment=equipment,
        contract=_covering_contract(company=company, site=site, equipment=equipment, category=category),
        team=team,
        assignee=assignee,
        channel=channel,
        created_by=actor if actor and actor.is_agent_side else None,
        created_at=now,
        updated_at=now,
        received_at=received_at,
    )
    for name, value in sla_fields_for_new_ticket(ticket, now=now).items():
        setattr(ticket, name, value)
    insert_model(ticket)
    if tags:
        ticket.tags.set(_tags(tags))
    if observers:
        ticket.observers.set(list(observers))
    from_client = actor is None or actor.is_client
    article = Article(
        ticket=ticket,
        kind=ArticleKind.PUBLIC,
        author_kind=AuthorKind.CONTACT if (from_client and contact) else AuthorKind.AGENT,
        author_user=actor,
        author_contact=contact if from_client else None,
        channel=channel,
        body=description or title,
        received_at=received_at,
        created_at=now,
        **(email.article_fields() if email is not None else {}),
    )
    insert_model(article)
    _store_attachments(ticket=ticket, article=article, files=attachments)
    _record(
        ticket,
        EventKind.CREATED,
        actor=actor,
        actor_contact=contact if actor is None else None,
        data={"channel": channel, "title": ticket.title, "team": _ref(team), "assignee": _ref(assignee)},
    )
    search.index_ticket(ticket.pk)
    hooks_run("created", ticket=ticket, actor=actor, article=article)
    return ticket, article


def _ticket_only(open_: Callable[P, tuple[Ticket, Article]]) -> Callable[P, Ticket]:
    def create(*args: P.args, **kwargs: P.kwargs) -> Ticket:
        return open_(*args, **kwargs)[0]

    create.__doc__ = "`ticket_open` (same arguments), returning the ticket alone."
    create.__name__ = create.__qualname__ = "ticket_create"
    return create


ticket_create = _ticket_only(ticket_open)


@dataclass(frozen=True)
class NewCaller:
    """A caller not yet in the customer base, as the phone intake form takes them."""

    full_name: str
    phone: str = ""
    email: str = ""
    company: Company | None = None


@transaction.atomic
def ticket_create_for_caller(*, actor: User, caller: Contact | NewCaller | None, **ticket_fields: Any) -> Ticket:
    """Phone intake: the ticket, and the caller's contact card when they are new, in one
    transaction (a rejected ticket leaves no stray contact). ValidationErrors from the contact use
    its field names (full_name, phones, emails)."""
    if isinstance(caller, NewCaller):
        from customers.services import contact_create

        caller = contact_create(
            full_name=caller.full_name,
            company=caller.company,
            phones=[caller.phone] if caller.phone else [],
            emails=[caller.email] if caller.email else [],
        )
    return ticket_create(actor=actor, contact=caller, **ticket_fields)


def _tags(names: Iterable[str]) -> list[Tag]:
    # Tags are case-insensitive: "Лифт" reuses an existing "лифт" instead of making a twin.
    # The key as Tag.save() computes it: the casefolded name, cut to the column's length.
    wanted: dict[str, str] = {}
    for raw in names:
        name = (raw or "").strip()[:64]
        if name:
            wanted.setdefault(name.casefold()[:64], name)  # the first spelling given wins
    if not wanted:
        return []
    found = {tag.key: tag for tag in Tag.objects.filter(key__in=wanted)}
    missing = [Tag(name=name, key=key) for key, name in wanted.items() if key not in found]
    if missing:
        # Two transactions may add the same new tag at once (a rule and an agent): ON CONFLICT DO
        # NOTHING waits for the other one and skips, and the re-read then sees its committed row.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        found.update({tag.key: tag for tag in Tag.objects.filter(key__in=[tag.key for tag in missing])})
    return [found[key] for key in wanted]


# Fields ticket_update may change, with how each is described in history.
UPDATABLE_FIELDS = (
    "title",
    "priority",
    "type",
    "category",
    "company",
    "contact",
    "site",
    "equipment",
    "team",
    "description",
)
# A change of any of these re-evaluates which contract covers the ticket.
COVERAGE_FIELDS = frozenset({"category", "company", "site", "equipment"})
# Who and where: they must agree with each other (_check_consistency).
CLIENT_SIDE_FIELDS = frozenset({"company", "contact", "site", "equipment"})


def _locked(pk: int) -> Ticket:
    """The ticket's row locked for the transaction, its status, priority, type, category, team
    and assignee attached from the reference snapshot (tickets/reference.py) instead of read."""
    return with_reference(Ticket.objects.select_for_update().filter(pk=pk)).get()


def _locked_touched(pk: int, now: datetime) -> Ticket:
    """`_locked` with `updated_at` set to `now`, in one statement (UPDATE … RETURNING, which locks
    the row as well) instead of a locking read and an UPDATE: a client's message changes nothing
    else of the ticket's row."""
    opts = Ticket._meta
    quote = connection.ops.quote_name
    updated_at = opts.get_field("updated_at")
    table = quote(opts.db_table)
    sql = (
        f"UPDATE {table} SET {quote(updated_at.column)} = %s"
        f" WHERE {quote(opts.pk.column)} = %s RETURNING {_TICKET_COLUMNS.select(table)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [updated_at.get_db_prep_save(now, connection), pk])
        row = cursor.fetchone()
    if row is None:
        raise Ticket.DoesNotExist(f"Ticket {pk} does not exist.")
    ticket = cast(Ticket, _TICKET_COLUMNS.build(row))
    ticket_attach_reference(ticket)
    return ticket


_TICKET_COLUMNS = ModelColumns(Ticket)


def _differs(ticket: Ticket, name: str, value: Any) -> bool:
    """Whether setting `name` to `value` changes the ticket; a relation is compared by key,
    without reading the row it points to."""
    field = Ticket._meta.get_field(name)
    if isinstance(field, models.ForeignKey):
        return bool(getattr(ticket, field.attname) != getattr(value, "pk", None))
    return bool(getattr(ticket, name) != value)


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User | None, **changes: Any) -> list[str]:
    """Change plain fields of a ticket (see UPDATABLE_FIELDS); one event per changed field.
    Status and assignee have their own services. Returns the names of the fields that changed."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"ticket_update cannot change {sorted(unknown)}")
    ticket = _locked(ticket.pk)
    changed: list[str] = []
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()[:255]
        if not changes["title"]:
            raise ValidationError({"title": _("A subject is required.")})
    if CLIENT_SIDE_FIELDS & changes.keys():
        # Checked only when one of them changes: a priority or a team is set whatever became of
        # the ticket's contact since (and without reading the four rows).
        company = changes.get("company", ticket.company)
        contact = changes.get("contact", ticket.contact)
        site = changes.get("site", ticket.site)
        equipment = changes.get("equipment", ticket.equipment)
        if "contact" in changes and contact is not None and "company" not in changes and contact.company_id:
            company = contact.company
            changes["company"] = company
        _check_consistency(company=company, contact=contact, site=site, equipment=equipment, ticket=ticket)
    if COVERAGE_FIELDS & {name for name, value in changes.items() if _differs(ticket, name, value)}:
        changes["contract"] = _covering_contract(
            company=changes.get("company", ticket.company),
            site=changes.get("site", ticket.site),
            equipment=changes.get("equipment", ticket.equipment),
            category=changes.get("category", ticket.category),
        )
    for name, value in changes.items():
        if not _differs(ticket, name, value):
            continue
        old = getattr(ticket, name)
        setattr(ticket, name, value)
        changed.append(name)
        if name in ("title", "description"):
            data = {"field": name, "old": old, "new": value}
        else:
            data = {"field": name, "old": _ref(old), "new": _ref(value)}
        _record(ticket, EventKind.FIELD_CHANGED, actor=actor, data=data)
    if changed:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changed, "updated_at"])
        if {"title", "description", "contact", "company"} & set(changed):
            search.index_ticket(ticket.pk)
        if set(changed) - {"title", "description"}:
            _sla_refresh(ticket)
        hooks_run("updated", ticket=ticket, actor=actor, changed=changed)
    return changed


@transaction.atomic
def ticket_set_status(
    *, ticket: Ticket, actor: User | None, status: Status, delayed_until: datetime | None = None
) -> bool:
    """Move a ticket to `status`. A "delayed" status needs a future `delayed_until`; the
    reopen job brings the ticket back then. Returns False when nothing changed."""
    ticket = _locked(ticket.pk)
    if status.is_delay:
        if delayed_until is None or delayed_until <= timezone.now():
            raise ValidationError({"delayed_until": _("Choose a date and time in the future.")})
    else:
        delayed_until = None
    if ticket.status_id == status.pk and ticket.delayed_until == delayed_until:
        return False
    old = ticket.status
    now = timezone.now()
    ticket.status = status
    ticket.status_category = status.category
    ticket.delayed_until = delayed_until
    fields = ["status", "status_category", "delayed_until", "updated_at"]
    if status.category == StatusCategory.RESOLVED and ticket.resolved_at is None:
        ticket.resolved_at = now
        fields.append("resolved_at")
    if status.category == StatusCategory.CLOSED and ticket.closed_at is None:
        ticket.closed_at = now
        fields.append("closed_at")
    if status.category in (StatusCategory.NEW, StatusCategory.OPEN, StatusCategory.PENDING) and (
        ticket.resolved_at or ticket.closed_at
    ):
        ticket.resolved_at = ticket.closed_at = None
        fields += ["resolved_at", "closed_at"]
    ticket.updated_at = now
    ticket.save(update_fields=fields)
    _record(
        ticket,
        EventKind.STATUS_CHANGED,
        actor=actor,
        data={
            "old": _ref(old),
            "new": _ref(status),
            "delayed_until": delayed_until.isoformat() if delayed_until else None,
        },
    )
    _sla_refresh(ticket)
    # The client hears of it through the "updated" hook (notifications/delivery.py, ticket_updated).
    hooks_run("updated", ticket=ticket, actor=actor, changed=[name for name in fields if name != "updated_at"])
    return True


def _check_assignee(assignee: User | None) -> None:
    if assignee is not None and (not assignee.is_agent_side or not assignee.is_active):
        raise ValidationError({"assignee": _("Only active staff members can be assigned.")})


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    actor: User | None,
    assignee: User | None,
    team: Team | None = None,
    auto: dict[str, Any] | None = None,
) -> bool:
    """Assign a ticket to a person (and optionally a team). Only staff can be assignees.
    Assigning a "new" ticket moves it to the first "open" status. `auto`: how an automatic
    strategy chose the assignee (automation/assignment), kept in the event for the history."""
    _check_assignee(assignee)
    ticket = _locked(ticket.pk)
    changed: list[str] = []
    if team is not None and ticket.team_id != team.pk:
        old_team = ticket.team
        ticket.team = team
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["team", "updated_at"])
        _record(
            ticket,
            EventKind.FIELD_CHANGED,
            actor=actor,
            data={"field": "team", "old": _ref(old_team), "new": _ref(team)},
        )
        changed.append("team")
    if ticket.assignee_id != (assignee.pk if assignee else None):
        old = ticket.assignee
        ticket.assignee = assignee
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["assignee", "updated_at"])
        data: dict[str, Any] = {"old": _ref(old), "new": _ref(assignee)}
        if auto:
            data["auto"] = auto
        _record(ticket, EventKind.ASSIGNED, actor=actor, data=data)
        changed.append("assignee")
        if assignee is not None and ticket.status_category == StatusCategory.NEW:
            open_status = _first_open_status()
            if open_status is not None:
                ticket_set_status(ticket=ticket, actor=actor, status=open_status)
    if changed:
        _sla_refresh(ticket)
        hooks_run("updated", ticket=ticket, actor=actor, changed=changed)
    return bool(changed)


@service_atomic
def article_create(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    kind: str = ArticleKind.PUBLIC,
    author_contact: Contact | None = None,
    channel: str | None = None,
    received_at: datetime | None = None,
    attachments: Iterable[UploadedFileData] = (),
    email: ArticleEmail | None = None,
    reopens: bool = True,
) -> Article:
    """Add a reply or an internal note. Clients cannot write notes (a channel may file a contact's
    message as one: mail from a stranger to a thread, kept for the agents only). A client's reply
    to a pending/resolved ticket reopens it (unless `reopens` is False: an out-of-office answer);
    an agent's first public reply stamps first_response_at.
    `email`: what the article keeps of the mail it came from (channels/email/inbound.py)."""
    body = (body or "").strip()
    attachments = list(attachments)
    if not body and not attachments:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    from_client = (author is not None and author.is_client) or (author is None and author_contact is not None)
    if author is not None and author.is_client and kind != ArticleKind.PUBLIC:
        raise ValidationError({"kind": _("Clients cannot write internal notes.")})
    if author is not None and author.is_client:
        author_contact = author.contact
    # Only a person on staff answers; an automatic (system) message is not a first response.
    by_agent = author is not None and author.is_agent_side
    now = timezone.now()
    # A client's (or system) message changes only updated_at: written by the statement that locks.
    ticket = _locked(ticket.pk) if by_agent else _locked_touched(ticket.pk, now)
    article = Article(
        ticket=ticket,
        kind=kind,
        author_kind=AuthorKind.CONTACT if from_client else (AuthorKind.AGENT if author else AuthorKind.SYSTEM),
        author_user=author,
        author_contact=author_contact if from_client else None,
        channel=channel or (Channel.PORTAL if from_client else Channel.AGENT),
        body=body,
        received_at=received_at or now,
        created_at=now,
        **(email.article_fields() if email is not None else {}),
    )
    insert_model(article)
    stored = _store_attachments(ticket=ticket, article=article, files=attachments)
    if by_agent:
        fields = ["updated_at"]
        ticket.updated_at = now
        if kind == ArticleKind.PUBLIC and ticket.first_response_at is None:
            ticket.first_response_at = now
            fields.append("first_response_at")
        ticket.save(update_fields=fields)
    _record(
        ticket,
        EventKind.ARTICLE_ADDED,
        actor=author,
        actor_contact=author_contact if from_client else None,
        data={"article_id": article.pk, "kind": kind, "attachments": len(stored), "from_client": from_client},
    )
    if (
        from_client
        and reopens
        and kind == ArticleKind.PUBLIC
        and ticket.status_category
        in (
            StatusCategory.PENDING,
            StatusCategory.RESOLVED,
        )
    ):
        open_status = _first_open_status()
        if open_status is not None:
            ticket_set_status(ticket=ticket, actor=author, status=open_status)
    if kind == ArticleKind.PUBLIC:
        _sla_refresh(ticket)
    search.index_ticket(ticket.pk)
    hooks_run("article_added", ticket=ticket, actor=author, article=article)
    return article


@transaction.atomic
def article_edit_by_client(*, article: Article, body: str) -> bool:
    """The client edited their message in the channel (a Telegram edit): the article shows the new
    text, and the old one stays in the ticket's history (a FIELD_CHANGED event, field "article").
    Returns False when the text did not change."""
    body = (body or "").strip()
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not body or body == article.body:
        return False
    old = article.body
    article.body = body
    article.save(update_fields=["body"])
    ticket = Ticket.objects.get(pk=article.ticket_id)
    _record(
        ticket,
        EventKind.FIELD_CHANGED,
        actor_contact=article.author_contact,
        data={"field": "article", "article_id": article.pk, "old": old, "new": body},
    )
    search.index_ticket(ticket.pk)
    return True


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    kind: str = ArticleKind.PUBLIC,
    attachments: Iterable[UploadedFileData] = (),
    status: Status | None = None,
    channel: str | None = None,
) -> Article:
    """A reply or note written in Otklik (the ticket page, the API), optionally moving the ticket
    to `status` in the same transaction; the author is no longer shown as "writing a reply".
    A public reply by staff is delivered to the client (notifications/delivery.py; sent after
    commit). Mail and other channel messages come in through article_create instead."""
    article = article_create(
        ticket=ticket, author=author, body=body, kind=kind, attachments=attachments, channel=channel
    )
    from notifications.delivery import article_published, status_set_with_reply

    article_published(article=article)
    if status is not None:
        with status_set_with_reply(ticket) if kind == ArticleKind.PUBLIC else nullcontext():
            ticket_set_status(ticket=ticket, actor=author, status=status)
    TicketPresence.objects.filter(ticket=ticket, user=author).update(is_replying=False)
    return article


@transaction.atomic
def ticket_set_tags(*, ticket: Ticket, actor: User | None, tags: Iterable[str]) -> bool:
    ticket = _locked(ticket.pk)
    new = _tags(tags)
    old_names = sorted(ticket.tags.values_list("name", flat=True))
    new_names = sorted(t.name for t in new)
    if old_names == new_names:
        return False
    ticket.tags.set(new)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    _record(ticket, EventKind.TAGS_CHANGED, actor=actor, data={"old": old_names, "new": new_names})
    hooks_run("updated", ticket=ticket, actor=actor, changed=["tags"])
    return True


@transaction.atomic
def ticket_set_observers(*, ticket: Ticket, actor: User | None, observers: Iterable[User]) -> bool:
    ticket = _locked(ticket.pk)
    new = [u for u in observers if u.is_agent_side]
    old_ids = set(ticket.observers.values_list("id", flat=True))
    if old_ids == {u.pk for u in new}:
        return False
    ticket.observers.set(new)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    _record(ticket, EventKind.OBSERVERS_CHANGED, actor=actor, data={"new": [_ref(u) for u in new]})
    return True


@transaction.atomic
def ticket_link(*, ticket: Ticket, actor: User | None, other: Ticket) -> TicketLink:
    """Link two tickets as related (symmetric: stored once, shown on both)."""
    if other.pk == ticket.pk:
        raise ValidationError({"other": _("A ticket cannot be linked to itself.")})
    existing = TicketLink.objects.filter(source=other, target=ticket, kind=LinkKind.RELATED).first()
    if existing:
        return existing
    link, created = TicketLink.objects.get_or_create(source=ticket, target=other, kind=LinkKind.RELATED)
    if created:
        for a, b in ((ticket, other), (other, ticket)):
            _record(a, EventKind.LINK_ADDED, actor=actor, data={"kind": "related", "ticket": b.number})
    return link


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, actor: User | None, other: Ticket) -> bool:
    deleted, _count = TicketLink.objects.filter(source__in=[ticket, other], target__in=[ticket, other]).delete()
    if deleted:
        for a, b in ((ticket, other), (other, ticket)):
            _record(a, EventKind.LINK_REMOVED, actor=actor, data={"kind": "related", "ticket": b.number})
    return bool(deleted)


@transaction.atomic
def ticket_set_parent(*, ticket: Ticket, actor: User | None, parent: Ticket | None) -> bool:
    """Make `ticket` a child of `parent` (or detach it). Cycles are refused."""
    ticket = _locked(ticket.pk)
    if parent is not None:
        # Walk the ancestors as stored (not the caller's possibly stale objects).
        node_id: int | None = parent.pk
        seen: set[int] = set()
        while node_id is not None and node_id not in seen:
            if node_id == ticket.pk:
                raise ValidationError({"parent": _("This would make a ticket its own ancestor.")})
            seen.add(node_id)
            node_id = Ticket.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
    if ticket.parent_id == (parent.pk if parent else None):
        return False
    old = ticket.parent
    ticket.parent = parent
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["parent", "updated_at"])
    _record(
        ticket,
        EventKind.FIELD_CHANGED,
        actor=actor,
        data={
            "field": "parent",
            "old": {"number": old.number} if old else None,
            "new": {"number": parent.number} if parent else None,
        },
    )
    return True


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None) -> Ticket:
    """Merge `source` into `target`: source's articles move to target (kept in order), its tags
    and observers are added, and source is closed with a pointer to target. Irreversible."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    # Check the locked rows, not the caller's copies: those may predate an earlier merge.
    source = _locked(source.pk)
    target = _locked(target.pk)
    if source.merged_into_id:
        raise ValidationError({"source": _("This ticket was already merged.")})
    if target.merged_into_id:
        raise ValidationError({"target": _("The target ticket was merged into another one.")})
    moved = Article.objects.filter(ticket=source).update(ticket=target)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    target.tags.add(*source.tags.all())
    target.observers.add(*source.observers.all())
    closed = Status.objects.filter(category=StatusCategory.CLOSED, is_active=True).order_by("order").first()
    now = timezone.now()
    source.merged_into = target
    fields = ["merged_into", "updated_at"]
    if closed is not None:
        source.status = closed
        source.status_category = closed.category
        source.closed_at = now
        fields += ["status", "status_category", "closed_at"]
    source.updated_at = now
    source.save(update_fields=fields)
    target.updated_at = now
    target.save(update_fields=["updated_at"])
    _record(source, EventKind.MERGED_INTO, actor=actor, data={"ticket": target.number, "articles": moved})
    _record(target, EventKind.MERGED, actor=actor, data={"ticket": source.number, "articles": moved})
    search.index_ticket(source.pk)
    search.index_ticket(target.pk)
    _sla_refresh(source)
    _sla_refresh(target)
    return target


@transaction.atomic
def ticket_apply_properties(
    *,
    ticket: Ticket,
    actor: User | None,
    status: Status,
    delayed_until: datetime | None,
    priority: Priority,
    type: TicketType | None,
    category: ServiceCategory | None,
    team: Team | None,
    assignee: User | None,
    tags: Iterable[str],
    observers: Iterable[User],
    equipment: Equipment | object | None = ...,
) -> None:
    """Save the ticket page's properties panel in one transaction, one event per real change.
    The panel always posts a status; it is applied only when it differs from the stored one, so
    it does not undo what assigning a "new" ticket did (ticket_assign opens it)."""
    status_changed = status.pk != ticket.status_id or (status.is_delay and delayed_until != ticket.delayed_until)
    unit = {} if equipment is ... else {"equipment": equipment}
    ticket_update(ticket=ticket, actor=actor, priority=priority, type=type, category=category, **unit)
    ticket_assign(ticket=ticket, actor=actor, assignee=assignee, team=team)
    if team is None and Ticket.objects.filter(pk=ticket.pk, team__isnull=False).exists():
        ticket_update(ticket=ticket, actor=actor, team=None)
    if status_changed:
        ticket_set_status(ticket=ticket, actor=actor, status=status, delayed_until=delayed_until)
    ticket_set_tags(ticket=ticket, actor=actor, tags=tags)
    ticket_set_observers(ticket=ticket, actor=actor, observers=observers)


def ticket_record_work(*, ticket: Ticket, actor: User | None, work: Any, removed: bool = False) -> None:
    """History entry for work recorded on (or removed from) a ticket (contracts/services.py)."""
    _record(
        ticket,
        EventKind.WORK_REMOVED if removed else EventKind.WORK_ADDED,
        actor=actor,
        data={
            "name": work.name,
            "hours": str(work.hours),
            "quantity": str(work.quantity),
            "billable": work.is_billable,
            "total": str(work.total),
        },
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())


def ticket_reopen_delayed(*, now: datetime | None = None) -> int:
    """Reopen every ticket whose "delayed until" time has come. Idempotent: each ticket is
    locked and re-checked, so two workers never reopen one twice."""
    now = now or timezone.now()
    reopened = 0
    open_status = _first_open_status()
    if open_status is None:
        return 0
    due = Ticket.objects.filter(delayed_until__lte=now).values_list("pk", flat=True)[:500]
    for pk in list(due):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=pk, delayed_until__lte=now).first()
            if ticket is None:
                continue
            ticket.status = open_status
            ticket.status_category = open_status.category
            ticket.delayed_until = None
            ticket.updated_at = now
            ticket.save(update_fields=["status", "status_category", "delayed_until", "updated_at"])
            _record(ticket, EventKind.REOPENED, data={"new": _ref(open_status)})
            _sla_refresh(ticket)
            reopened += 1
    return reopened


def presence_touch(*, ticket: Ticket, user: User, is_replying: bool) -> None:
    """Mark `user` as looking at (or typing in) `ticket` now: one upsert, on every ticket page and
    every 2 s of its poll. On PostgreSQL without waiting for the WAL flush: a presence lost to a
    crash is redrawn by the next poll, and the page does not wait for the disk. (Inside a caller's
    transaction the setting would cover the caller's writes too: there the upsert is a plain one
    and commits with them.)"""
    # The upsert written out (PostgreSQL and SQLite alike): bulk_create's took more Python than the
    # page's history (bench/README.md, session 17).
    table, q = TicketPresence._meta.db_table, connection.ops.quote_name
    ticket_id, user_id = q("ticket_id"), q("user_id")
    replying, seen_at = q("is_replying"), q("seen_at")
    sql = (
        f"INSERT INTO {q(table)} ({ticket_id}, {user_id}, {replying}, {seen_at}) VALUES (%s, %s, %s, %s)"
        f" ON CONFLICT ({ticket_id}, {user_id}) DO UPDATE"
        f" SET {replying} = EXCLUDED.{replying}, {seen_at} = EXCLUDED.{seen_at}"
    )
    params = [ticket.pk, user.pk, is_replying, connection.ops.adapt_datetimefield_value(timezone.now())]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # One round trip, its own implicit transaction: the setting is made by the statement itself
        # (set_config local to the transaction, read at its commit), which works with parameters
        # bound by the server too — two statements in one string do not (was BEGIN, SET, INSERT,
        # COMMIT: four).
        sql = (
            f"INSERT INTO {q(table)} ({ticket_id}, {user_id}, {replying}, {seen_at})"
            " SELECT %s::bigint, %s::bigint, %s::boolean, %s::timestamptz"
            " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS setting"
            f" ON CONFLICT ({ticket_id}, {user_id}) DO UPDATE"
            f" SET {replying} = EXCLUDED.{replying}, {seen_at} = EXCLUDED.{seen_at}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


_UNCHANGED: Any = object()


def tickets_bulk_update(
    *,
    tickets: Iterable[Ticket],
    actor: User,
    assignee: User | Any | None = _UNCHANGED,
    status: Status | None = None,
    priority: Priority | None = None,
) -> tuple[int, list[str]]:
    """The queue's bulk action: each ticket in its own transaction, so one refusal (e.g. an
    inactive assignee) does not undo the others. `assignee=None` unassigns. Returns how many
    tickets changed and one message per refused ticket."""
    changed = 0
    errors: list[str] = []
    for ticket in tickets:
        try:
            with transaction.atomic():
                did = False
                if assignee is not _UNCHANGED:
                    did |= ticket_assign(ticket=ticket, actor=actor, assignee=assignee)
                if status is not None:
                    did |= ticket_set_status(ticket=ticket, actor=actor, status=status)
                if priority is not None:
                    did |= bool(ticket_update(ticket=ticket, actor=actor, priority=priority))
                changed += int(did)
        except ValidationError as exc:
            errors.append(f"#{ticket.number}: {'; '.join(exc.messages)}")
    return changed, errors


@transaction.atomic
def reference_data_saved(*, obj: object) -> None:
    """After an administrator saved a status or priority: at most one default of each, and the
    tickets' copy of a status's category follows the status."""
    if isinstance(obj, Status):
        if obj.is_default:
            Status.objects.exclude(pk=obj.pk).update(is_default=False)
        status_category_sync(status=obj)
    if isinstance(obj, Priority) and obj.is_default:
        Priority.objects.exclude(pk=obj.pk).update(is_default=False)


def status_category_sync(*, status: Status) -> int:
    """After an administrator moves a status to another category, update the tickets' copy."""
    return (
        Ticket.objects.filter(status=status)
        .exclude(status_category=status.category)
        .update(status_category=status.category)
    )


def attachment_orphans_sweep(*, older_than: timedelta = timedelta(hours=6)) -> int:
    """Delete stored files no Attachment row points to — left behind when the transaction that
    saved them rolled back (e.g. a second file of the same reply was too large). Files younger
    than `older_than` are kept: their transaction may still be open. Returns how many went."""
    storage = default_storage
    referenced = set(Attachment.objects.values_list("file", flat=True))
    cutoff = timezone.now() - older_than
    removed = 0

    def walk(folder: str) -> None:
        nonlocal removed
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            path = f"{folder}/{name}" if folder else name
            if path in referenced:
                continue
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                removed += 1
        for sub in folders:
            walk(f"{folder}/{sub}" if folder else sub)

    walk("")
    return removed
