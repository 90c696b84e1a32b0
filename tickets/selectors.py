"""Reads of tickets, always scoped to the person asking. See docs/architecture/visibility.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from tickets.choices import OPEN_CATEGORIES, ArticleKind, Sort
from tickets.models import Article, ServiceCategory, Tag, Ticket, TicketEvent

# What a ticket page, queue row or API representation shows of a ticket's related rows.
TICKET_RELATED = ("status", "priority", "type", "category", "company", "contact", "site", "team", "assignee")


def with_related(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """For lists: related rows prefetched (one small IN query each), not joined — with seven to
    nine joins over the ticket table PostgreSQL spent 20-40 ms *planning* a filtered, sorted
    page that runs in 1 ms (bench/README.md). A single ticket by key joins them instead
    (`with_related_joined`): one cheap-to-plan query beats nine round trips there."""
    return qs.prefetch_related(*TICKET_RELATED)


def with_related_joined(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related(*TICKET_RELATED)


def ticket_visibility_q(user: User) -> Q:
    """The tickets `user` may see. Returns an always-false Q for anyone without access."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role in (Role.ADMIN, Role.SUPERVISOR):
        return Q()
    if user.role == Role.CONTRACTOR:
        return Q(assignee=user)
    if user.role == Role.CLIENT:
        contact = user.contact
        if contact is None:
            return Q(pk__in=[])
        if contact.company is not None and contact.company.portal_contacts_see_all_tickets:
            return Q(company_id=contact.company_id)
        return Q(contact_id=contact.pk)
    team_ids = user.team_ids()
    observed = Ticket.observers.through.objects.filter(user_id=user.pk).values("ticket_id")
    q = Q(team_id__in=team_ids) | Q(assignee=user) | Q(pk__in=observed)
    if user.role == Role.AGENT:
        # Dispatchers triage what no team has been chosen for yet.
        q |= Q(team__isnull=True)
    return q


def _scoped(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(ticket_visibility_q(user))


def ticket_get_for_user(*, user: User, number: int) -> Ticket:
    """The ticket with this number if `user` may see it; Http404 otherwise (never 403, so ids
    of other companies cannot be probed)."""
    try:
        return with_related_joined(_scoped(user)).get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def ticket_get_by_id_for_user(*, user: User, ticket_id: int) -> Ticket:
    try:
        return with_related_joined(_scoped(user)).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


@dataclass
class TicketFilters:
    """Queue filters; every field optional. Built from query parameters by the view or API."""

    status_ids: list[int] = field(default_factory=list)
    status_categories: list[str] = field(default_factory=list)
    open_only: bool = False
    priority_ids: list[int] = field(default_factory=list)
    team_ids: list[int] = field(default_factory=list)
    my_teams: bool = False
    assignee_ids: list[int] = field(default_factory=list)
    unassigned: bool = False
    company_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    created_from: date | None = None
    created_to: date | None = None
    updated_since: datetime | None = None
    sort: str = Sort.UPDATED_DESC


SORT_FIELDS: dict[str, tuple[str, ...]] = {
    Sort.UPDATED_DESC: ("-updated_at", "-id"),
    Sort.UPDATED_ASC: ("updated_at", "id"),
    Sort.CREATED_DESC: ("-created_at", "-id"),
    Sort.CREATED_ASC: ("created_at", "id"),
    Sort.PRIORITY: ("priority__order", "-updated_at", "-id"),
}


def ticket_list_for_user(*, user: User, filters: TicketFilters | None = None) -> QuerySet[Ticket]:
    """Tickets `user` may see, filtered and sorted, with everything a queue row shows joined."""
    f = filters or TicketFilters()
    qs = _scoped(user)
    if f.open_only:
        qs = qs.filter(status_category__in=[c.value for c in OPEN_CATEGORIES])
    if f.status_categories:
        qs = qs.filter(status_category__in=f.status_categories)
    if f.status_ids:
        qs = qs.filter(status_id__in=f.status_ids)
    if f.priority_ids:
        qs = qs.filter(priority_id__in=f.priority_ids)
    if f.my_teams:
        qs = qs.filter(team_id__in=user.team_ids())
    if f.team_ids:
        qs = qs.filter(team_id__in=f.team_ids)
    if f.unassigned:
        qs = qs.filter(assignee__isnull=True)
    if f.assignee_ids:
        qs = qs.filter(assignee_id__in=f.assignee_ids)
    if f.company_ids:
        qs = qs.filter(company_id__in=f.company_ids)
    if f.contact_ids:
        qs = qs.filter(contact_id__in=f.contact_ids)
    if f.site_ids:
        qs = qs.filter(site_id__in=f.site_ids)
    if f.tags:
        qs = qs.filter(pk__in=Ticket.tags.through.objects.filter(tag__name__in=f.tags).values("ticket_id"))
    if f.channels:
        qs = qs.filter(channel__in=f.channels)
    tz = timezone.get_current_timezone()
    if f.created_from:
        qs = qs.filter(created_at__gte=datetime.combine(f.created_from, time.min, tzinfo=tz))
    if f.created_to:
        qs = qs.filter(created_at__lte=datetime.combine(f.created_to, time.max, tzinfo=tz))
    if f.updated_since:
        qs = qs.filter(updated_at__gte=f.updated_since)
    order = SORT_FIELDS.get(f.sort, SORT_FIELDS[Sort.UPDATED_DESC])
    return with_related(qs).order_by(*order)


def article_list_for_user(*, user: User, ticket: Ticket) -> QuerySet[Article]:
    """The conversation of a ticket the caller already fetched through a selector.
    Clients never see internal notes."""
    qs = ticket.articles.select_related("author_user", "author_contact").prefetch_related("attachments")
    if not user.is_agent_side:
        qs = qs.filter(kind=ArticleKind.PUBLIC)
    return qs.order_by("created_at", "id")


def event_list_for_ticket(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    qs = ticket.events.select_related("actor", "actor_contact").order_by("id")
    if not user.is_agent_side:
        qs = qs.none()
    return qs


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    if user.sees_all_queues:
        return Team.objects.filter(is_active=True)
    return user.teams.filter(is_active=True)


def latest_event_id() -> int:
    last = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def ticket_prefetch_tags(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.prefetch_related(Prefetch("tags"))


def ticket_search_for_user(*, user: User, query: str, number: int | None = None, limit: int = 50) -> list[Ticket]:
    """Full-text search (Russian and English morphology) over what `user` may see, best first.
    With `number`, the ticket with that number if visible (as a one-element list)."""
    from tickets import search

    visible = Ticket.objects.filter(ticket_visibility_q(user))
    if number is not None:
        return list(visible.filter(number=number)[:1])
    restrict = None
    if user.role not in (Role.ADMIN, Role.SUPERVISOR):
        sql, params = visible.values("id").query.sql_with_params()
        restrict = (sql, list(params))
    ids = search.search_ticket_ids(query, limit=limit, candidate_ids_sql=restrict)
    by_id = with_related(Ticket.objects.all()).in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def service_category_list_for_user(*, user: User) -> QuerySet[ServiceCategory]:
    """Staff see the whole catalogue; client contacts see the active entries shown in the portal."""
    qs = ServiceCategory.objects.all()
    if user.is_authenticated and user.is_agent_side:
        return qs
    return qs.filter(is_active=True, visible_in_portal=True)


def tag_list_for_user(*, user: User) -> QuerySet[Tag]:
    """Tags are internal labels: staff only."""
    if user.is_authenticated and user.is_agent_side:
        return Tag.objects.all()
    return Tag.objects.none()
