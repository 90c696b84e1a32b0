"""Reads of tickets, always scoped to the person asking. See docs/architecture/visibility.md."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import islice
from typing import Any, NamedTuple, cast

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, connections
from django.db.models import ForeignKey, Q, QuerySet
from django.db.models.query import ValuesListIterable
from django.http import Http404
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from assets.models import Equipment
from contracts.models import Contract
from core.db import ModelColumns, quoted_column
from customers.models import Company, Contact, Site
from tickets.choices import OPEN_CATEGORIES, ArticleKind, SlaFilter, Sort
from tickets.models import (
    Article,
    Attachment,
    Priority,
    SavedView,
    ServiceCategory,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketPresence,
)
from tickets.reference import TicketReferenceIterable, reference, team_ids_of, ticket_attach_reference

# A ticket page, queue row or API representation shows a ticket's related rows. The reference
# rows among them (status, priority, type, category, team, assignee) come from the per-process
# snapshot (tickets/reference.py); only the client-side ones below are read with the tickets.
TICKET_RELATED_CLIENT = ("company", "contact", "site")


def with_reference(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`qs` yielding tickets with status, priority, type, category, team and assignee attached
    from the reference snapshot instead of queried."""
    qs = qs.all()
    qs._iterable_class = TicketReferenceIterable
    return qs


# The rows a list shows by name, read in one small IN query per kind and attached to the tickets:
# relation -> (model, fields read).
LIST_NAMES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "company": (Company, ("id", "name")),
    "contact": (Contact, ("id", "full_name")),
    "site": (Site, ("id", "name")),
}
LIST_EXTRA_NAMES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "equipment": (Equipment, ("id", "name", "inventory_number")),
    "contract": (Contract, ("id", "number")),
}
LIST_CHUNK = 500


class TicketListIterable(TicketReferenceIterable):
    """Tickets of a list with the reference rows attached (`with_reference`), then, a chunk of
    rows at a time, the company, contact and site (plus the `extras`) read by name and set as
    each ticket's related objects, and with `tags` each ticket's `tag_names`, sorted. Django's
    prefetch_related does the same reads but builds a manager and a queryset per ticket and
    relation: 8 of the 13 ms a queue page's fifty rows cost (bench/README.md)."""

    extras: tuple[str, ...] = ()
    tags: bool = False

    def __iter__(self) -> Iterator[Any]:
        rows = super().__iter__()
        while chunk := list(islice(rows, LIST_CHUNK)):
            self._attach(chunk)  # type: ignore[arg-type]
            yield from chunk

    def _attach(self, tickets: list[Ticket]) -> None:
        for name in (*LIST_NAMES, *self.extras):
            model, fields = LIST_NAMES.get(name) or LIST_EXTRA_NAMES[name]
            field = cast(ForeignKey, Ticket._meta.get_field(name))
            keys = {getattr(t, field.attname) for t in tickets} - {None}
            if not keys:
                continue
            rows = model._base_manager.using(self.queryset.db).only(*fields).filter(pk__in=keys)
            found = {row.pk: row for row in rows}
            for t in tickets:
                row = found.get(getattr(t, field.attname))
                if row is not None:
                    field.set_cached_value(t, row)
        if self.tags:
            names: dict[int, list[str]] = {t.pk: [] for t in tickets}
            through = Ticket.tags.through.objects.using(self.queryset.db)
            for ticket_id, name in through.filter(ticket_id__in=list(names)).values_list("ticket_id", "tag__name"):
                names[ticket_id].append(name)
            for t in tickets:
                t.tag_names = sorted(names[t.pk])  # type: ignore[attr-defined]


@cache
def _list_iterable(extras: tuple[str, ...], tags: bool) -> type[TicketListIterable]:
    return type("TicketListIterable", (TicketListIterable,), {"extras": extras, "tags": tags})


def with_related(qs: QuerySet[Ticket], *, extras: tuple[str, ...] = (), tags: bool = False) -> QuerySet[Ticket]:
    """For lists: the client-side rows read by name after the tickets (`TicketListIterable`),
    not joined — with seven to nine joins over the ticket table PostgreSQL spent 20-40 ms
    *planning* a filtered, sorted page that runs in 1 ms (bench/README.md). A list shows their
    names only (the queue's rows, the company, contact and unit pages, the API's references), so
    only those are read: fifty full companies, contacts and sites cost more to build than the rows
    themselves. `extras` adds the unit and the contract, `tags` each ticket's `tag_names`.
    A single ticket by key joins them whole instead (`with_related_joined`): one cheap-to-plan
    query beats three round trips there."""
    qs = qs.all()
    qs._iterable_class = _list_iterable(tuple(sorted(extras)), tags)
    return qs


def list_extras(qs: QuerySet[Ticket], *, extras: tuple[str, ...] = (), tags: bool = False) -> QuerySet[Ticket]:
    """`qs` (from `ticket_list_for_user`) also reading the `extras` and tags of its tickets."""
    current = qs._iterable_class
    have = getattr(current, "extras", ())
    return with_related(qs, extras=tuple(set(have) | set(extras)), tags=tags or getattr(current, "tags", False))


# What a queue row shows of a ticket's own columns (tickets/templatetags/tickets_extras.py,
# queue_rows), the keys of its related rows among them.
ROW_COLUMNS = (
    "id",
    "number",
    "title",
    "channel",
    "created_at",
    "updated_at",
    "received_at",
    "status_id",
    "priority_id",
    "team_id",
    "assignee_id",
    "company_id",
    "contact_id",
    "site_id",
    "sla_policy_id",
    "sla_due",
    "sla_breached",
    "sla_first_response_due",
    "sla_first_response_state",
    "sla_next_response_due",
    "sla_next_response_state",
    "sla_resolution_due",
    "sla_resolution_state",
)
# Reference relation -> (its key among ROW_COLUMNS, the snapshot's rows, the model for a row the
# snapshot does not hold yet).
ROW_REFERENCE: dict[str, tuple[str, str, type[Any]]] = {
    "status": ("status_id", "statuses", Status),
    "priority": ("priority_id", "priorities", Priority),
    "team": ("team_id", "teams", Team),
    "assignee": ("assignee_id", "users", User),
}


class CompanyName(NamedTuple):
    pk: int
    name: str


class ContactName(NamedTuple):
    pk: int
    full_name: str


class SiteName(NamedTuple):
    pk: int
    name: str


ROW_NAMES: dict[str, tuple[str, type[Any], str, type[Any]]] = {
    "company": ("company_id", Company, "name", CompanyName),
    "contact": ("contact_id", Contact, "full_name", ContactName),
    "site": ("site_id", Site, "name", SiteName),
}


class TicketRow:
    """A ticket as a list row shows it — not a model instance: its ROW_COLUMNS as attributes,
    `pk`, the status, priority, team and assignee from the reference snapshot, the company,
    contact and site as (pk, name) pairs and `tag_names`, sorted. Fifty forty-field Ticket
    instances, and fifty of each related one, cost a queue page more CPU than reading, sorting
    and sending it (bench/README.md). Read-only: write through the services with the ticket."""

    id: int
    number: int
    title: str
    channel: str
    created_at: datetime
    updated_at: datetime
    received_at: datetime
    status_id: int
    priority_id: int
    team_id: int | None
    assignee_id: int | None
    company_id: int | None
    contact_id: int | None
    site_id: int | None
    sla_policy_id: int | None
    sla_due: datetime | None
    sla_breached: bool
    sla_first_response_due: datetime | None
    sla_first_response_state: str
    sla_next_response_due: datetime | None
    sla_next_response_state: str
    sla_resolution_due: datetime | None
    sla_resolution_state: str
    status: Status
    priority: Priority
    team: Team | None
    assignee: User | None
    company: CompanyName | None
    contact: ContactName | None
    site: SiteName | None
    tag_names: list[str]

    def __init__(self, columns: Iterable[tuple[str, Any]]) -> None:
        self.__dict__.update(columns)

    @property
    def pk(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"<TicketRow #{self.number}>"


class TicketRowIterable(ValuesListIterable):
    """Yields `TicketRow`s of the selected ROW_COLUMNS, the related rows attached a chunk at a
    time: reference rows from the snapshot (any it lacks read in one query per kind), names in
    one small query per kind, the tag names in one."""

    def __iter__(self) -> Iterator[Any]:
        names = list(self.queryset._fields)  # type: ignore[attr-defined]  # (set by values_list)
        values = super().__iter__()
        while chunk := list(islice(values, LIST_CHUNK)):
            rows = [TicketRow(zip(names, row, strict=True)) for row in chunk]
            _attach_to_rows(rows, self.queryset.db)
            yield from rows


def _numbers(keys: Iterable[Any]) -> str:
    """Primary keys as an SQL list of numbers: int() of each, so nothing but digits gets in."""
    return ", ".join(str(int(key)) for key in keys)


def _attach_to_rows(rows: list[TicketRow], db: str) -> None:
    ref = reference()
    for name, (key, attr, model) in ROW_REFERENCE.items():
        known: dict[int, Any] = getattr(ref, attr)
        missing = {getattr(r, key) for r in rows} - known.keys() - {None}
        found = {**known, **model._base_manager.using(db).in_bulk(missing)} if missing else known
        for r in rows:
            pk = getattr(r, key)
            setattr(r, name, found.get(pk) if pk is not None else None)
    # The names and the tags in one statement: a UNION ALL of one small IN-list read per kind
    # (four ORM queries cost a queue page more to build than PostgreSQL spends answering them).
    # The ids are written into the statement as numbers (int() of the rows' own keys): binding
    # two hundred parameters cost the client ten times the statement's run.
    parts: list[str] = []
    quote = connections[db].ops.quote_name
    for kind, (key, model, label, _pair) in enumerate(ROW_NAMES.values()):
        keys = sorted({getattr(r, key) for r in rows} - {None})
        if keys:
            pk = _column(model, "id")
            parts.append(
                f"SELECT {kind}, {pk}, {_column(model, label)} FROM {quote(model._meta.db_table)}"
                f" WHERE {pk} IN ({_numbers(keys)})"
            )
    through = Ticket.tags.through
    parts.append(
        f"SELECT {len(ROW_NAMES)}, tt.{_column(through, 'ticket')}, tg.{_column(Tag, 'name')}"
        f" FROM {quote(through._meta.db_table)} tt INNER JOIN {quote(Tag._meta.db_table)} tg"
        f" ON tg.{_column(Tag, 'id')} = tt.{_column(through, 'tag')}"
        f" WHERE tt.{_column(through, 'ticket')} IN ({_numbers(r.id for r in rows)})"
    )
    labels: list[dict[int, str]] = [{} for _ in ROW_NAMES]
    tags: dict[int, list[str]] = {r.id: [] for r in rows}
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        for kind, pk, text in cursor.fetchall():
            if kind == len(ROW_NAMES):
                tags[pk].append(text)
            else:
                labels[kind][pk] = text
    for kind, (name, (key, _model, _label, pair)) in enumerate(ROW_NAMES.items()):
        for r in rows:
            pk = getattr(r, key)
            setattr(r, name, pair(pk, labels[kind][pk]) if pk in labels[kind] else None)
    for r in rows:
        r.tag_names = sorted(tags[r.id])


def ticket_rows(qs: QuerySet[Ticket]) -> QuerySet[Any]:
    """`qs` (from `ticket_list_for_user`, filtered and sorted) yielding `TicketRow`s: what the
    queue shows, without model instances."""
    rows = qs.values_list(*ROW_COLUMNS)
    rows._iterable_class = TicketRowIterable
    return rows


def ticket_tag_names(ticket: Ticket, *, fresh: bool = False) -> list[str]:
    """A ticket's tag names, sorted: as read with its list (`with_related(tags=True)`), or
    queried — always when `fresh` (after a write that may have changed them)."""
    names = None if fresh else getattr(ticket, "tag_names", None)
    return names if names is not None else sorted(ticket.tags.values_list("name", flat=True))


def with_related_joined(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return with_reference(qs.select_related(*TICKET_RELATED_CLIENT, "equipment", "contract"))


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
    team_ids = team_ids_of(user)
    observed = Ticket.observers.through.objects.filter(user_id=user.pk).values("ticket_id")
    q = Q(team_id__in=team_ids) | Q(assignee=user) | Q(pk__in=observed)
    if user.role == Role.AGENT:
        # Dispatchers triage what no team has been chosen for yet.
        q |= Q(team__isnull=True)
    return q


# A staff member's visible tickets as an unevaluated queryset, kept per process under everything
# the rule reads for them (role and teams): building the rule (an IN list, a subquery, four
# alternatives) cost every list and ticket page more Python than cloning it. Only clones leave
# here (`.all()`), so the kept one is never evaluated. A client's rule also reads their company's
# setting, so theirs is built each time.
_SCOPED_KEPT = 512
_scoped_kept: dict[tuple[int, str, tuple[int, ...]], QuerySet[Ticket]] = {}


def _scoped(user: User) -> QuerySet[Ticket]:
    if user.is_authenticated and user.is_active and user.role in (Role.AGENT, Role.ENGINEER):
        key = (user.pk, user.role, tuple(team_ids_of(user)))
        kept = _scoped_kept.get(key)
        if kept is None:
            if len(_scoped_kept) >= _SCOPED_KEPT:
                _scoped_kept.clear()
            kept = _scoped_kept[key] = Ticket.objects.filter(ticket_visibility_q(user))
        return kept.all()
    return Ticket.objects.filter(ticket_visibility_q(user))


# (pk, role, team ids) → the rule compiled (see `visibility_sql`); the same keys as `_scoped_kept`.
_visibility_kept: dict[tuple[int, str, tuple[int, ...]], tuple[str, tuple[Any, ...]] | None] = {}


def visibility_sql(user: User) -> tuple[str, tuple[Any, ...]] | None:
    """The tickets `user` may see as a WHERE fragment over the ticket table named by its own name
    (`FROM tickets_ticket`, not aliased) and its parameters, for hand-written reads; "" when
    `user` sees every ticket, None when they see none. Compiled from `ticket_visibility_q` — the
    one definition of the rule — and kept like `_scoped`'s queryset for agents and engineers."""
    key = None
    if user.is_authenticated and user.is_active and user.role in (Role.AGENT, Role.ENGINEER):
        key = (user.pk, user.role, tuple(team_ids_of(user)))
        if key in _visibility_kept:
            return _visibility_kept[key]
    query = _scoped(user).query
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
        compiled: tuple[str, tuple[Any, ...]] | None = (sql, tuple(params))
    except EmptyResultSet:
        compiled = None
    except FullResultSet:
        compiled = ("", ())
    if key is not None:
        if len(_visibility_kept) >= _SCOPED_KEPT:
            _visibility_kept.clear()
        _visibility_kept[key] = compiled
    return compiled


def ticket_get_for_user(*, user: User, number: int) -> Ticket:
    """The ticket with this number if `user` may see it; Http404 otherwise (never 403, so ids
    of other companies cannot be probed)."""
    try:
        return with_related_joined(_scoped(user)).get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


# What the ticket page reads of the ticket's client-side rows: the names and links, the unit's label
# and who maintains it (the coverage panel). Read whole, these rows cost more to build than the rest
# of the page's reads together.
TICKET_COLUMNS = ModelColumns(Ticket)
PAGE_UNIT_FIELDS = (
    "id", "name", "inventory_number", "serial_number", "company", "site", "responsible", "contractor_name",
    "warranty_until",
)  # fmt: skip
TICKET_PAGE_RELATED: tuple[tuple[str, ModelColumns], ...] = (
    ("company", ModelColumns(Company, ("id", "name"))),
    ("contact", ModelColumns(Contact, ("id", "full_name"))),
    ("site", ModelColumns(Site, ("id", "name", "address"))),
    ("equipment", ModelColumns(Equipment, PAGE_UNIT_FIELDS)),
)


def _storable_number(number: int) -> bool:
    """Whether a ticket number from a URL fits the column (a bigint): SQLite refuses to bind a
    larger one, where the ORM's lookup answered "no such ticket"."""
    return 0 < number < 2**63


@dataclass(frozen=True)
class TicketPageParts:
    """Whether the ticket's page has anything to read for its side panel's parts: the company's
    active units (the unit choice), its contracts but drafts (the coverage), the ticket's works."""

    units: bool
    contracts: bool
    works: bool


def ticket_get_for_page(*, user: User, number: int) -> Ticket:
    """`ticket_get_for_user` for the ticket's page: the ticket's own columns, of its company,
    contact, site and unit what the page uses (any other field of theirs is read when first used),
    the reference rows from the snapshot, and as `page_parts` (TicketPageParts) which side-panel
    reads would find anything — a ticket without them costs no statement for them. One
    hand-written statement with the visibility rule compiled once (`visibility_sql`): the ORM's
    six-table read cost five times its run, and PostgreSQL spends more per statement than per
    EXISTS."""
    from contracts.models import ContractStatus, TicketWork

    rule = visibility_sql(user)
    if rule is None or not _storable_number(number):
        raise Http404
    q = connection.ops.quote_name
    table = q(Ticket._meta.db_table)
    selects = [TICKET_COLUMNS.select(table)]
    joins = []
    for i, (name, columns) in enumerate(TICKET_PAGE_RELATED):
        alias = f"r{i}"
        model = columns.model
        selects.append(columns.select(alias))
        joins.append(
            f" LEFT OUTER JOIN {q(model._meta.db_table)} {alias}"
            f" ON {alias}.{q(model._meta.pk.column)} = {table}.{_column(Ticket, name)}"  # type: ignore[union-attr]
        )
    company = f"{table}.{_column(Ticket, 'company')}"
    selects.append(
        f"EXISTS (SELECT 1 FROM {q(Equipment._meta.db_table)} u WHERE u.{_column(Equipment, 'company')} = {company}"
        f" AND u.{_column(Equipment, 'is_active')}),"
        f" EXISTS (SELECT 1 FROM {q(Contract._meta.db_table)} k WHERE k.{_column(Contract, 'company')} = {company}"
        f" AND NOT (k.{_column(Contract, 'status')} = %s)),"
        f" EXISTS (SELECT 1 FROM {q(TicketWork._meta.db_table)} w"
        f" WHERE w.{_column(TicketWork, 'ticket')} = {table}.{_column(Ticket, 'id')})"
    )
    where, params = rule
    sql = (
        f"SELECT {', '.join(selects)} FROM {table}{''.join(joins)}"
        f" WHERE {table}.{_column(Ticket, 'number')} = %s{f' AND ({where})' if where else ''}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ContractStatus.DRAFT.value, number, *params])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    ticket = cast(Ticket, TICKET_COLUMNS.build(row[: TICKET_COLUMNS.width]))
    at = TICKET_COLUMNS.width
    for name, columns in TICKET_PAGE_RELATED:
        field = Ticket._meta.get_field(name)
        if row[at] is not None:
            field.set_cached_value(ticket, columns.build(row[at : at + columns.width]))  # type: ignore[union-attr]
        elif getattr(ticket, field.attname) is None:  # type: ignore[union-attr]
            field.set_cached_value(ticket, None)  # type: ignore[union-attr]
        at += columns.width
    ticket.page_parts = TicketPageParts(*(bool(flag) for flag in row[at : at + 3]))  # type: ignore[attr-defined]
    ticket_attach_reference(ticket)
    return ticket


def ticket_live_state(*, user: User, number: int) -> tuple[Ticket, int]:
    """For the ticket page's poll (every 2 s while it is open): the ticket `user` may see, with
    only its id and number read, and its newest event's id (0 without any) — one hand-written
    statement; the page is read whole only when something happened (`ticket_get_for_page`)."""
    rule = visibility_sql(user)
    if rule is None or not _storable_number(number):
        raise Http404
    q = connection.ops.quote_name
    table = q(Ticket._meta.db_table)
    where, params = rule
    sql = (
        f"SELECT {LIVE_COLUMNS.select(table)}, (SELECT MAX(e.{_column(TicketEvent, 'id')})"
        f" FROM {q(TicketEvent._meta.db_table)} e"
        f" WHERE e.{_column(TicketEvent, 'ticket')} = {table}.{_column(Ticket, 'id')})"
        f" FROM {table} WHERE {table}.{_column(Ticket, 'number')} = %s{f' AND ({where})' if where else ''}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [number, *params])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return cast(Ticket, LIVE_COLUMNS.build(row[: LIVE_COLUMNS.width])), int(row[-1] or 0)


LIVE_COLUMNS = ModelColumns(Ticket, ("id", "number"))


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
    # With my_teams: tickets no team has yet count as the user's too (theirs to triage).
    no_team_too: bool = False
    assignee_ids: list[int] = field(default_factory=list)
    unassigned: bool = False
    company_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    equipment_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    sla: list[str] = field(default_factory=list)  # SlaFilter values, any of them
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
    # Only tickets with a running clock have a deadline (the list is limited to them).
    Sort.SLA_DUE: ("sla_due", "id"),
}
AT_RISK_WINDOW = timedelta(hours=1)


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
        mine = Q(team_id__in=team_ids_of(user))
        qs = qs.filter(mine | Q(team__isnull=True) if f.no_team_too else mine)
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
    if f.equipment_ids:
        qs = qs.filter(equipment_id__in=f.equipment_ids)
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
    if f.sla:
        now = timezone.now()
        sla_q = Q()
        if SlaFilter.BREACHED in f.sla:
            sla_q |= Q(sla_breached=True)
        if SlaFilter.AT_RISK in f.sla:
            sla_q |= Q(sla_due__gt=now, sla_due__lte=now + AT_RISK_WINDOW)
        if SlaFilter.RUNNING in f.sla:
            sla_q |= Q(sla_due__isnull=False)
        qs = qs.filter(sla_q)
    if f.sort == Sort.SLA_DUE:
        qs = qs.filter(sla_due__isnull=False)
    order = SORT_FIELDS.get(f.sort, SORT_FIELDS[Sort.UPDATED_DESC])
    return with_related(qs).order_by(*order)


def article_list_for_user(*, user: User, ticket: Ticket) -> QuerySet[Article]:
    """The conversation of a ticket the caller already fetched through a selector.
    Clients never see internal notes."""
    qs = ticket.articles.select_related("author_user", "author_contact").prefetch_related("attachments")
    if not user.is_agent_side:
        qs = qs.filter(kind=ArticleKind.PUBLIC)
    return qs.order_by("created_at", "id")


@dataclass(frozen=True)
class TicketPageRelations:
    tag_names: list[str]  # sorted by the database, as the tags' default order
    observer_ids: list[int]
    related_ids: set[int]  # the tickets linked to this one as related, either way
    child_ids: set[int]  # the tickets whose parent this one is
    # With a viewer: colleagues who had the page open lately — (writing a reply?, name), by name —
    # and the incidents the ticket is linked to (any state; automation.repeats decides which to show).
    present: list[tuple[bool, str]] = field(default_factory=list)
    incident_ids: list[int] = field(default_factory=list)


# A colleague counts as present for this long after their page's last poll (every 2 s).
PRESENCE_WINDOW = timedelta(seconds=12)


def _column(model: Any, name: str) -> str:
    return quoted_column(model, name)


def _present_from(ticket: Ticket, viewer: User) -> tuple[str, list[Any]]:
    """FROM and WHERE of the colleagues other than `viewer` who had `ticket`'s page open within
    PRESENCE_WINDOW (their presence rows `p`, joined to their users `u`), and its parameters."""
    q = connection.ops.quote_name
    since = connection.ops.adapt_datetimefield_value(timezone.now() - PRESENCE_WINDOW)
    sql = (
        f" FROM {q(TicketPresence._meta.db_table)} p"
        f" INNER JOIN {q(User._meta.db_table)} u ON u.{_column(User, 'id')} = p.{_column(TicketPresence, 'user')}"
        f" WHERE p.{_column(TicketPresence, 'ticket')} = %s AND p.{_column(TicketPresence, 'seen_at')} >= %s"
        f" AND p.{_column(TicketPresence, 'user')} <> %s"
    )
    return sql, [ticket.pk, since, viewer.pk]


def colleagues_present(*, ticket: Ticket, viewer: User) -> list[tuple[bool, str]]:
    """(writing a reply?, name) of each colleague who had the ticket's page open lately, by name —
    written out: the page's poll asks every 2 s, and the ORM's read cost ten times this. (The page
    itself gets them with its relations: `ticket_page_relations`.)"""
    present_from, params = _present_from(ticket, viewer)
    sql = (
        f"SELECT p.{_column(TicketPresence, 'is_replying')}, u.{_column(User, 'full_name')}{present_from}"
        f" ORDER BY u.{_column(User, 'full_name')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(bool(replying), name) for replying, name in cursor.fetchall()]


def ticket_page_relations(ticket: Ticket, *, viewer: User | None = None) -> TicketPageRelations:
    """A ticket's tag names, observers' ids, related tickets' and children's ids — what its page
    shows of them — and, for a `viewer`, the colleagues present and the incident links, in one
    statement. Separate ORM reads cost ~0.5 ms of Python each for a fraction of that in the
    database (bench/README.md, sessions 17 and 18); the caller checks who may see the ticket, and
    the related tickets are read again within what the viewer may see."""
    from automation.models import PotentialIncident

    tags, observers, link = Ticket.tags.through, Ticket.observers.through, TicketLink
    q = connection.ops.quote_name
    sql = (
        f"SELECT 1, tag.{_column(Tag, 'name')}, NULL FROM {q(tags._meta.db_table)} tt"
        f" INNER JOIN {q(Tag._meta.db_table)} tag ON tag.{_column(Tag, 'id')} = tt.{_column(tags, 'tag')}"
        f" WHERE tt.{_column(tags, 'ticket')} = %s"
        f" UNION ALL SELECT 2, NULL, o.{_column(observers, 'user')} FROM {q(observers._meta.db_table)} o"
        f" WHERE o.{_column(observers, 'ticket')} = %s"
        f" UNION ALL SELECT 3, NULL, CASE WHEN l.{_column(link, 'source')} = %s THEN l.{_column(link, 'target')}"
        f" ELSE l.{_column(link, 'source')} END FROM {q(link._meta.db_table)} l"
        f" WHERE l.{_column(link, 'source')} = %s OR l.{_column(link, 'target')} = %s"
        f" UNION ALL SELECT 4, NULL, c.{_column(Ticket, 'id')} FROM {q(Ticket._meta.db_table)} c"
        f" WHERE c.{_column(Ticket, 'parent')} = %s"
    )
    params: list[Any] = [ticket.pk] * 6
    if viewer is not None:
        incidents = PotentialIncident.tickets.through
        present_from, present_params = _present_from(ticket, viewer)
        sql += (
            f" UNION ALL SELECT 5, u.{_column(User, 'full_name')},"
            f" CASE WHEN p.{_column(TicketPresence, 'is_replying')} THEN 1 ELSE 0 END{present_from}"
            f" UNION ALL SELECT 6, NULL, i.{_column(incidents, 'potentialincident')}"
            f" FROM {q(incidents._meta.db_table)} i WHERE i.{_column(incidents, 'ticket')} = %s"
        )
        params += [*present_params, ticket.pk]
    sql += " ORDER BY 1, 2"
    result = TicketPageRelations(tag_names=[], observer_ids=[], related_ids=set(), child_ids=set())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, name, key in cursor.fetchall():
            if kind == 1:
                result.tag_names.append(name)
            elif kind == 2:
                result.observer_ids.append(key)
            elif kind == 3:
                result.related_ids.add(key)
            elif kind == 4:
                result.child_ids.add(key)
            elif kind == 5:
                result.present.append((bool(key), name))
            else:
                result.incident_ids.append(key)
    return result


SAVED_VIEW_COLUMNS = ModelColumns(SavedView, ("id", "owner", "name", "is_shared"))


def saved_view_list_for_user(*, user: User) -> list[SavedView]:
    """The queue's saved views `user` may pick (their own and the shared ones), by name, with what
    the sidebar shows of them: read by hand, every queue page asks."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {SAVED_VIEW_COLUMNS.select('v')} FROM {q(SavedView._meta.db_table)} v"
            f" WHERE v.{_column(SavedView, 'owner')} = %s OR v.{_column(SavedView, 'is_shared')}"
            f" ORDER BY v.{_column(SavedView, 'name')}, v.{_column(SavedView, 'id')}",
            [user.pk],
        )
        return [cast(SavedView, SAVED_VIEW_COLUMNS.build(row)) for row in cursor.fetchall()]


LINKED_COLUMNS = ModelColumns(Ticket, ("id", "number", "title", "parent"))


def linked_tickets_for_user(*, user: User, ids: Iterable[int]) -> list[Ticket]:
    """Of the tickets `ids` (a ticket page's related, children, parent, merge target), those `user`
    may see, by number, with only their number, title and parent read — no query without ids."""
    wanted = sorted(set(ids))
    rule = visibility_sql(user)
    if not wanted or rule is None:
        return []
    where, params = rule
    table = connection.ops.quote_name(Ticket._meta.db_table)
    marks = ", ".join(["%s"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {LINKED_COLUMNS.select(table)} FROM {table} WHERE {table}.{_column(Ticket, 'id')} IN ({marks})"
            f"{f' AND ({where})' if where else ''} ORDER BY {table}.{_column(Ticket, 'number')}",
            [*wanted, *params],
        )
        return [cast(Ticket, LINKED_COLUMNS.build(row)) for row in cursor.fetchall()]


# What the conversation reads: every column of the articles, of their authors the names.
ARTICLE_COLUMNS = ModelColumns(Article)
AUTHOR_USER_COLUMNS = ModelColumns(User, ("id", "full_name", "email"))
AUTHOR_CONTACT_COLUMNS = ModelColumns(Contact, ("id", "full_name"))
ATTACHMENT_COLUMNS = ModelColumns(Attachment)
# What the conversation shows of a reply's outgoing messages (not their payload bytes).
DELIVERY_FIELDS = (
    "id", "article_id", "channel", "route", "subject", "recipient", "status", "last_error", "attempts",
    "next_attempt_at", "sent_at",
)  # fmt: skip


@cache
def _delivery_columns() -> ModelColumns:
    from notifications.models import OutboxMessage

    return ModelColumns(OutboxMessage, DELIVERY_FIELDS)


def article_thread_for_user(*, user: User, ticket: Ticket) -> list[Article]:
    """The conversation as the ticket page shows it: the articles `article_list_for_user` gives
    (clients never see notes), each with its author's name, its `files` (attachments) and its
    `deliveries` (the outbox rows of a reply, without the payload bytes).

    Hand-written: the articles with their authors' names and whether each has files and
    deliveries in one statement, then the files and the deliveries of the articles that have any
    — one statement for a ticket without either. The ORM's reads cost several times the
    database's time to build (bench/README.md, sessions 16 and 18)."""
    from notifications.models import OutboxKind, OutboxMessage

    q = connection.ops.quote_name
    a_table, f_table = q(Article._meta.db_table), q(Attachment._meta.db_table)
    o_table = q(OutboxMessage._meta.db_table)
    params: list[Any] = [OutboxKind.REPLY.value, ticket.pk]
    notes = ""
    if not user.is_agent_side:
        notes = f" AND a.{_column(Article, 'kind')} = %s"
        params.append(ArticleKind.PUBLIC.value)
    sql = (
        f"SELECT {ARTICLE_COLUMNS.select('a')}, {AUTHOR_USER_COLUMNS.select('u')},"
        f" {AUTHOR_CONTACT_COLUMNS.select('c')},"
        f" EXISTS (SELECT 1 FROM {f_table} f WHERE f.{_column(Attachment, 'article')} = a.{_column(Article, 'id')}),"
        f" EXISTS (SELECT 1 FROM {o_table} o WHERE o.{_column(OutboxMessage, 'article')} = a.{_column(Article, 'id')}"
        f" AND o.{_column(OutboxMessage, 'kind')} = %s)"
        f" FROM {a_table} a"
        f" LEFT OUTER JOIN {q(User._meta.db_table)} u ON u.{_column(User, 'id')} = a.{_column(Article, 'author_user')}"
        f" LEFT OUTER JOIN {q(Contact._meta.db_table)} c"
        f" ON c.{_column(Contact, 'id')} = a.{_column(Article, 'author_contact')}"
        f" WHERE a.{_column(Article, 'ticket')} = %s{notes}"
        f" ORDER BY a.{_column(Article, 'created_at')}, a.{_column(Article, 'id')}"
    )
    user_at = ARTICLE_COLUMNS.width
    contact_at = user_at + AUTHOR_USER_COLUMNS.width
    flags_at = contact_at + AUTHOR_CONTACT_COLUMNS.width
    author_user, author_contact = Article._meta.get_field("author_user"), Article._meta.get_field("author_contact")
    articles: list[Article] = []
    with_files: list[int] = []
    with_deliveries: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            article = cast(Article, ARTICLE_COLUMNS.build(row[:user_at]))
            if row[user_at] is not None:
                author_user.set_cached_value(article, AUTHOR_USER_COLUMNS.build(row[user_at:contact_at]))
            elif article.author_user_id is None:
                author_user.set_cached_value(article, None)
            if row[contact_at] is not None:
                author_contact.set_cached_value(article, AUTHOR_CONTACT_COLUMNS.build(row[contact_at:flags_at]))
            elif article.author_contact_id is None:
                author_contact.set_cached_value(article, None)
            article.files = []  # type: ignore[attr-defined]
            article.deliveries = []  # type: ignore[attr-defined]
            articles.append(article)
            if row[flags_at]:
                with_files.append(article.pk)
            if row[flags_at + 1]:
                with_deliveries.append(article.pk)
        by_pk = {a.pk: a for a in articles}
        if with_files:
            marks = ", ".join(["%s"] * len(with_files))
            cursor.execute(
                f"SELECT {ATTACHMENT_COLUMNS.select('f')} FROM {f_table} f"
                f" WHERE f.{_column(Attachment, 'article')} IN ({marks}) ORDER BY f.{_column(Attachment, 'id')}",
                with_files,
            )
            for row in cursor.fetchall():
                attachment = cast(Attachment, ATTACHMENT_COLUMNS.build(row))
                by_pk[attachment.article_id].files.append(attachment)  # type: ignore[attr-defined]
        if with_deliveries:
            columns = _delivery_columns()
            marks = ", ".join(["%s"] * len(with_deliveries))
            cursor.execute(
                f"SELECT {columns.select('o')} FROM {o_table} o WHERE o.{_column(OutboxMessage, 'kind')} = %s"
                f" AND o.{_column(OutboxMessage, 'article')} IN ({marks}) ORDER BY o.{_column(OutboxMessage, 'id')}",
                [OutboxKind.REPLY.value, *with_deliveries],
            )
            for row in cursor.fetchall():
                delivery = cast(OutboxMessage, columns.build(row))
                by_pk[delivery.article_id].deliveries.append(delivery)  # type: ignore[attr-defined,index]
    return articles


EVENT_COLUMNS = ModelColumns(TicketEvent)
ACTOR_USER_COLUMNS = ModelColumns(User, ("id", "full_name"))


def event_list_for_ticket(*, user: User, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's history, oldest first, for staff (clients see none): every event with only
    its actor's name (a colleague's or a contact's) — read by hand, in one statement."""
    if not user.is_agent_side:
        return []
    q = connection.ops.quote_name
    sql = (
        f"SELECT {EVENT_COLUMNS.select('e')}, {ACTOR_USER_COLUMNS.select('u')}, {AUTHOR_CONTACT_COLUMNS.select('c')}"
        f" FROM {q(TicketEvent._meta.db_table)} e"
        f" LEFT OUTER JOIN {q(User._meta.db_table)} u ON u.{_column(User, 'id')} = e.{_column(TicketEvent, 'actor')}"
        f" LEFT OUTER JOIN {q(Contact._meta.db_table)} c"
        f" ON c.{_column(Contact, 'id')} = e.{_column(TicketEvent, 'actor_contact')}"
        f" WHERE e.{_column(TicketEvent, 'ticket')} = %s ORDER BY e.{_column(TicketEvent, 'id')}"
    )
    user_at = EVENT_COLUMNS.width
    contact_at = user_at + ACTOR_USER_COLUMNS.width
    actor, actor_contact = TicketEvent._meta.get_field("actor"), TicketEvent._meta.get_field("actor_contact")
    events = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket.pk])
        for row in cursor.fetchall():
            event = cast(TicketEvent, EVENT_COLUMNS.build(row[:user_at]))
            actor.set_cached_value(event, ACTOR_USER_COLUMNS.build(row[user_at:contact_at]) if row[user_at] else None)  # type: ignore[union-attr]
            actor_contact.set_cached_value(  # type: ignore[union-attr]
                event, AUTHOR_CONTACT_COLUMNS.build(row[contact_at:]) if row[contact_at] else None
            )
            events.append(event)
    return events


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    if user.sees_all_queues:
        return Team.objects.filter(is_active=True)
    return user.teams.filter(is_active=True)


def latest_event_id() -> int:
    """The newest ticket event's id (0 without any): the live lists' cursor, asked by every queue
    page and poll — written out, the ORM's query took ten times PostgreSQL's time to build."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(TicketEvent._meta.db_table)}")
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def ticket_counts_capped(querysets: list[QuerySet[Ticket]], *, cap: int) -> list[int]:
    """How many rows each queryset has, counting no further than cap + 1 — all in one statement
    (a SELECT of sub-selects: one round trip for the queue's view counters, not one per view).
    A queryset that can match nothing (a filter on no teams at all) is 0 without asking."""
    parts: list[str] = []
    params: list[Any] = []
    for index, qs in enumerate(querysets):
        try:
            sql, qs_params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{index})")
        params.extend(qs_params)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(n) for n in cursor.fetchone()]


VIEW_COUNTS_CACHE_SECONDS = 10


def ticket_view_counts(*, user: User, views: dict[str, TicketFilters], cap: int, event_cursor: int) -> dict[str, int]:
    """How many tickets `user` sees in each of `views` (`ticket_counts_capped`: at most cap + 1).

    Kept in the cache under everything they depend on: the views asked, who asks (role and teams),
    the reference data (a status moved to another category changes what is open) and the newest
    ticket event, `event_cursor` — every change of a ticket's status, team, assignee or
    observers, and every new ticket, writes one. So a page loaded again before anything happened
    costs no count; the expiry only bounds the rare case of an event committed after a later one
    was already seen."""
    asked = hashlib.sha256(repr(sorted(views.items())).encode()).hexdigest()[:16]
    teams = ",".join(map(str, sorted(team_ids_of(user))))
    key = f"ticket-view-counts:{asked}:{cap}:{user.pk}:{user.role}:{teams}:{reference().version}:{event_cursor}"
    counts: dict[str, int] | None = caches["default"].get(key)
    if counts is None:
        querysets = [ticket_list_for_user(user=user, filters=filters) for filters in views.values()]
        counts = dict(zip(views, ticket_counts_capped(querysets, cap=cap), strict=True))
        caches["default"].set(key, counts, timeout=VIEW_COUNTS_CACHE_SECONDS)
    return counts


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
    # Only what a result line shows, in one query (two joins on fifty keys plan in no time).
    results = with_reference(Ticket.objects.select_related("company", "contact").only(*SEARCH_RESULT_FIELDS)).in_bulk(
        ids
    )
    return [results[i] for i in ids if i in results]


# The reference columns are read when the snapshot's rows are attached (tickets/reference.py).
SEARCH_RESULT_FIELDS = (
    "id", "number", "title", "description", "updated_at", "company__name", "contact__full_name",
    "status_id", "priority_id", "type_id", "category_id", "team_id", "assignee_id",
)  # fmt: skip


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


@dataclass
class IntakePanel:
    company: Any = None
    sites: list[Any] = field(default_factory=list)
    site: Any = None
    units: list[Any] = field(default_factory=list)
    unit: Any = None
    coverage: Any = None
    history: list[Ticket] = field(default_factory=list)


INTAKE_UNITS_MAX = 500


def intake_panel_for_user(
    *,
    user: User,
    contact_id: int | None,
    new_contact_company_id: int | None,
    site_id: int | None,
    unit_id: int | None,
    category_id: int | None,
) -> IntakePanel:
    """Phone intake's "where and what": the caller's company (from the chosen contact, the new
    contact's company, or the unit), its sites and units (following the chosen site), whether the
    request is covered, and the unit's latest tickets — all within what `user` may see."""
    from assets.selectors import equipment_list_for_user
    from contracts.coverage import coverage_for
    from customers.selectors import company_list_for_user, contact_list_for_user, site_list_for_user
    from tickets.reference import reference

    panel = IntakePanel()
    units_visible = equipment_list_for_user(user=user)
    unit = units_visible.filter(pk=unit_id).first() if unit_id else None
    company = None
    if contact_id:
        contact = contact_list_for_user(user=user).filter(pk=contact_id).first()
        company = contact.company if contact else None
    elif new_contact_company_id:
        company = company_list_for_user(user=user).filter(pk=new_contact_company_id).first()
    if company is None and unit is not None:
        company = unit.company
    if unit is not None and company is not None and unit.company_id != company.pk:
        unit = None  # picked for another company before the caller changed
    if company is None:
        return panel
    panel.company, panel.unit = company, unit
    panel.sites = list(site_list_for_user(user=user).filter(company=company, is_active=True))
    panel.site = next((s for s in panel.sites if s.pk == site_id), None)
    if panel.site is None and unit is not None and unit.site_id:
        panel.site = next((s for s in panel.sites if s.pk == unit.site_id), None)
    units = units_visible.filter(company=company, is_active=True)
    if panel.site is not None:
        units = units.filter(site=panel.site)
    panel.units = list(units.order_by("name", "id")[:INTAKE_UNITS_MAX])
    if unit is not None and unit not in panel.units:
        panel.units.insert(0, unit)
    category = reference().categories.get(category_id) if category_id else None
    panel.coverage = coverage_for(company=company, site=panel.site, equipment=unit, category=category)
    if unit is not None:
        # A repeat failure is worth knowing before the engineer goes.
        panel.history = list(ticket_list_for_user(user=user).filter(equipment=unit).order_by("-created_at", "-id")[:5])
    return panel
