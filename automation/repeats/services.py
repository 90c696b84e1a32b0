"""Repeated complaints: detection on every new ticket and the supervisor's decisions.
See docs/architecture/assignment.md, "Repeated complaints"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from automation.choices import IncidentState
from automation.models import PotentialIncident
from automation.repeats.text import complaint_of, similar
from customers.models import Site
from tickets.choices import OPEN_CATEGORIES, ArticleKind
from tickets.models import Priority, Ticket, TicketType
from tickets.reference import reference
from tickets.services import ticket_create, ticket_link, ticket_reply, ticket_set_parent, ticket_update

# How many recent tickets of the site are compared with a new one at most.
CANDIDATE_LIMIT = 200
_detection_off: ContextVar[bool] = ContextVar("repeat_detection_off", default=False)


@contextmanager
def detection_off() -> Iterator[None]:
    """The parent incident is itself a new ticket at the site with the same words: it must not
    be taken for one more complaint."""
    token = _detection_off.set(True)
    try:
        yield
    finally:
        _detection_off.reset(token)


def _text(title: str, description: str) -> str:
    return f"{title}\n{description}"


def _raised(priority_id: int) -> Priority | None:
    """The next more urgent active priority (lower order), or None at the top."""
    priorities = reference().active_priorities
    current = next((p for p in priorities if p.pk == priority_id), None)
    if current is None:
        return None
    above = [p for p in priorities if p.order < current.order]
    return max(above, key=lambda p: (p.order, p.pk)) if above else None


def _raise_priority(ticket_id: int) -> None:
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.status_category not in OPEN_CATEGORIES:
        return
    higher = _raised(ticket.priority_id)
    if higher is not None:
        ticket_update(ticket=ticket, actor=None, priority=higher)


def ticket_detect_repeats(*, ticket: Ticket) -> PotentialIncident | None:
    """Compare a new ticket with the site's tickets of the last OTKLIK_REPEAT_WINDOW_HOURS
    (same equipment, or similar text at a compatible floor/room — repeats/text.py).

    - A similar ticket already in an incident: the new one joins it (linked, priority raised;
      when the parent incident exists, made its child and told the same as the others).
    - Otherwise, OTKLIK_REPEAT_MIN_TICKETS similar tickets (the new one included) make a new
      potential incident: all linked to the earliest, each open one raised one priority step.
    Returns the incident the ticket is in, or None.

    Concurrency: the site's row is locked (FOR NO KEY UPDATE, which does not wait for the key-share
    locks that inserting tickets of the site takes) before the site's tickets are read, and held
    until the creating transaction commits: complaints about one site arriving at once are
    compared one after the other, each seeing the ones before it — no incident missed, none made
    twice. Two queries (the lock, the candidates) when nothing is similar."""
    if ticket.site_id is None or _detection_off.get():
        return None
    if not connection.in_atomic_block:
        with transaction.atomic():
            return _detect(ticket=ticket, site_id=ticket.site_id)
    return _detect(ticket=ticket, site_id=ticket.site_id)


def _detect(*, ticket: Ticket, site_id: int) -> PotentialIncident | None:
    Site.objects.select_for_update(no_key=True).filter(pk=site_id).values_list("pk", flat=True).first()
    since = ticket.created_at - timedelta(hours=settings.OTKLIK_REPEAT_WINDOW_HOURS)
    rows = list(
        Ticket.objects.filter(site_id=site_id, created_at__gte=since, merged_into__isnull=True)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")
        .values_list("pk", "title", "description", "equipment_id")[:CANDIDATE_LIMIT]
    )
    if not rows:
        return None
    mine = complaint_of(_text(ticket.title, ticket.description))
    threshold = settings.OTKLIK_REPEAT_SIMILARITY
    matches = [
        pk
        for pk, title, description, equipment_id in rows
        if (ticket.equipment_id is not None and equipment_id == ticket.equipment_id)
        or similar(mine, complaint_of(_text(title, description)), threshold=threshold)
    ]
    if not matches:
        return None
    with transaction.atomic():
        return _incident_for(ticket=ticket, site_id=site_id, matches=matches)


def _incident_for(*, ticket: Ticket, site_id: int, matches: list[int]) -> PotentialIncident | None:
    incident = (
        PotentialIncident.objects.filter(site_id=site_id, tickets__in=matches).order_by("-created_at", "-id").first()
    )
    if incident is not None:
        _join(incident=incident, ticket=ticket)
        return incident
    if len(matches) + 1 < settings.OTKLIK_REPEAT_MIN_TICKETS:
        return None
    members = sorted([*matches, ticket.pk])
    now = timezone.now()
    incident = PotentialIncident.objects.create(
        site_id=site_id, summary=_summary(members[0]), created_at=now, updated_at=now
    )
    incident.tickets.set(members)
    anchor = Ticket.objects.get(pk=members[0])
    for pk in members[1:]:
        ticket_link(ticket=Ticket.objects.get(pk=pk), actor=None, other=anchor)
    for pk in members:
        _raise_priority(pk)
    return incident


def _summary(ticket_id: int) -> str:
    return Ticket.objects.filter(pk=ticket_id).values_list("title", flat=True).first() or ""


def _join(*, incident: PotentialIncident, ticket: Ticket) -> None:
    if incident.tickets.filter(pk=ticket.pk).exists():
        return
    anchor = incident.tickets.order_by("id").first()
    incident.tickets.add(ticket)
    incident.updated_at = timezone.now()
    incident.save(update_fields=["updated_at"])
    if anchor is not None:
        ticket_link(ticket=ticket, actor=None, other=anchor)
    if incident.state == IncidentState.DISMISSED:
        # A supervisor said these are not one incident: keep the link, raise nothing.
        return
    _raise_priority(ticket.pk)
    if incident.state == IncidentState.CONFIRMED and incident.parent_id and incident.decided_by_id:
        child = Ticket.objects.select_related("contact").get(pk=ticket.pk)
        ticket_set_parent(ticket=child, actor=None, parent=incident.parent)
        _tell_client(child=child, author=incident.decided_by, parent=incident.parent, notice=incident.notice)


def default_notice(*, parent: Ticket, language: str) -> str:
    with translation.override(language):
        return _(
            "We know about this problem: several requests about it came from your site, and we are "
            "working on it as one incident (#%(number)s). We will let you know when it is fixed."
        ) % {"number": parent.number}


def _tell_client(*, child: Ticket, author: User | None, parent: Ticket | None, notice: str) -> None:
    if author is None or parent is None or child.contact_id is None or child.status_category not in OPEN_CATEGORIES:
        return
    text = notice or default_notice(parent=parent, language=child.contact.language if child.contact else "ru")
    ticket_reply(ticket=child, author=author, body=text, kind=ArticleKind.PUBLIC)


@transaction.atomic
def incident_make_parent(*, incident: PotentialIncident, actor: User, title: str = "", notice: str = "") -> Ticket:
    """The supervisor's one click: a parent ticket for the incident, every complaint its child,
    and every affected client told at once — a public reply on each child, delivered on that
    client's channel (notifications/delivery.py). `notice` empty: the standard text, in each
    client's language. Raises ValidationError when the incident was decided already."""
    incident = PotentialIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.state != IncidentState.OPEN:
        raise ValidationError(_("This incident was already decided."))
    children = list(incident.tickets.select_related("contact", "company", "category", "team").order_by("id"))
    if not children:
        raise ValidationError(_("The incident has no tickets."))
    first = children[0]
    urgent = min((reference().priorities.get(c.priority_id) for c in children if c.priority_id), key=_order)
    title = (title or "").strip() or _("Incident: %(summary)s") % {"summary": incident.summary or first.title}
    description = "\n".join(f"#{c.number} {c.title}" for c in children)
    with detection_off():
        parent = ticket_create(
            actor=actor,
            title=title,
            description=description,
            site=incident.site,
            company=first.company,
            category=first.category,
            team=first.team,
            priority=urgent,
            type=TicketType.objects.filter(code="incident", is_active=True).first(),
        )
    notice = (notice or "").strip()
    for child in children:
        ticket_set_parent(ticket=child, actor=actor, parent=parent)
        _tell_client(child=child, author=actor, parent=parent, notice=notice)
    incident.state = IncidentState.CONFIRMED
    incident.parent = parent
    incident.decided_by = actor
    incident.notice = notice
    incident.updated_at = timezone.now()
    incident.save(update_fields=["state", "parent", "decided_by", "notice", "updated_at"])
    return parent


def _order(priority: Priority | None) -> tuple[int, int]:
    return (priority.order, priority.pk) if priority is not None else (10**9, 0)


@transaction.atomic
def incident_dismiss(*, incident: PotentialIncident, actor: User) -> None:
    """Not one incident after all: the tickets stay linked; later similar ones join it quietly."""
    incident = PotentialIncident.objects.select_for_update().get(pk=incident.pk)
    if incident.state != IncidentState.OPEN:
        raise ValidationError(_("This incident was already decided."))
    incident.state = IncidentState.DISMISSED
    incident.decided_by = actor
    incident.updated_at = timezone.now()
    incident.save(update_fields=["state", "decided_by", "updated_at"])
