"""Reference data — statuses, priorities, types, the service catalogue, teams and staff — held
per process as one immutable snapshot.

Every queue row, ticket page and API representation shows these rows, and every form offers
them; read from the database they were a third of a queue page's queries and most of its
object construction (bench/README.md). They change a few times a month, by an administrator.

Freshness: a save or delete of any of them bumps a version number in the shared cache after
the transaction commits (and drops this process's snapshot at once). Each process re-reads the
version at most once every `RECHECK_SECONDS` and reloads when it moved, and reloads every
`MAX_AGE_SECONDS` whatever happens — so another process's edit shows within about a second.
A row missing from the snapshot (created a moment ago elsewhere) is simply not attached, and
Django loads it from the database as usual.

The snapshot's objects are shared between threads and requests: read them, never change them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import ForeignKey, Model
from django.db.models.query import ModelIterable
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from tickets.models import Priority, ServiceCategory, Status, Ticket, TicketType

VERSION_KEY = "otklik:reference-version"
RECHECK_SECONDS = 1.0
MAX_AGE_SECONDS = 60.0

# Ticket foreign keys the snapshot can fill, and the snapshot attribute holding their rows.
TICKET_FIELDS = {
    "status": "statuses",
    "priority": "priorities",
    "type": "types",
    "category": "categories",
    "team": "teams",
    "assignee": "users",
}


@dataclass(frozen=True)
class Reference:
    version: str
    loaded_at: float
    statuses: dict[int, Status]
    priorities: dict[int, Priority]
    types: dict[int, TicketType]
    categories: dict[int, ServiceCategory]
    teams: dict[int, Team]
    users: dict[int, User]  # every staff member, active or not (old tickets keep their assignee)
    # Team ids of each member, in the teams' order: which queues a person sees (ticket visibility).
    memberships: dict[int, list[int]]

    # The lists below are built once per snapshot: the same object every time, so the option lists
    # written from them are kept too (core/templatetags/fast_forms.py). Never change them in place.
    @cached_property
    def active_statuses(self) -> list[Status]:
        return [s for s in self.statuses.values() if s.is_active]

    @cached_property
    def settable_statuses(self) -> list[Status]:
        """Statuses offered where no "delayed until" date can be given (reply box, bulk bar). One
        list per snapshot, like `staff`, so the option lists written from it are kept too."""
        return [s for s in self.statuses.values() if s.is_active and not s.is_delay]

    @cached_property
    def active_priorities(self) -> list[Priority]:
        return [p for p in self.priorities.values() if p.is_active]

    @cached_property
    def all_priorities(self) -> list[Priority]:
        """Active or not, in their order (a queue filter finds old tickets by a retired priority)."""
        return list(self.priorities.values())

    @cached_property
    def active_types(self) -> list[TicketType]:
        return [t for t in self.types.values() if t.is_active]

    @cached_property
    def active_categories(self) -> list[ServiceCategory]:
        return [c for c in self.categories.values() if c.is_active]

    @cached_property
    def active_teams(self) -> list[Team]:
        return [t for t in self.teams.values() if t.is_active]

    @cached_property
    def staff(self) -> list[User]:
        """Active people tickets can be assigned to, by name (the assignee and observer lists).
        One list per snapshot, so the option lists built from it can be kept with it (fast_select)."""
        return [u for u in self.users.values() if u.is_active and u.role in ASSIGNABLE_ROLES]


_lock = threading.Lock()
_snapshot: Reference | None = None
_checked_at = 0.0


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or "unversioned"
    return str(version)


def _load(version: str) -> Reference:
    def by_pk(rows: Iterable[Any]) -> dict[int, Any]:
        return {row.pk: row for row in rows}

    teams = by_pk(Team.objects.order_by("name_ru"))
    position = {pk: index for index, pk in enumerate(teams)}
    memberships: dict[int, list[int]] = {}
    for user_id, team_id in Team.members.through.objects.values_list("user_id", "team_id"):
        memberships.setdefault(user_id, []).append(team_id)
    for team_ids in memberships.values():
        team_ids.sort(key=lambda pk: position.get(pk, len(position)))
    return Reference(
        version=version,
        loaded_at=time.monotonic(),
        statuses=by_pk(Status.objects.order_by("order", "id")),
        priorities=by_pk(Priority.objects.order_by("order", "id")),
        types=by_pk(TicketType.objects.order_by("order", "id")),
        categories=by_pk(ServiceCategory.objects.order_by("order", "name_ru")),
        teams=teams,
        users=by_pk(User.objects.filter(role__in=list(ASSIGNABLE_ROLES)).order_by("full_name", "id")),
        memberships=memberships,
    )


def reference() -> Reference:
    """The current snapshot (loading or refreshing it when due)."""
    global _snapshot, _checked_at
    snapshot, now = _snapshot, time.monotonic()
    if snapshot is not None and now - _checked_at < RECHECK_SECONDS:
        return snapshot
    with _lock:
        snapshot = _snapshot
        if snapshot is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
            return snapshot
        version = _current_version()
        if snapshot is None or snapshot.version != version or now - snapshot.loaded_at > MAX_AGE_SECONDS:
            snapshot = _load(version)
            _snapshot = snapshot
        _checked_at = time.monotonic()
        return snapshot


def reference_reset() -> None:
    """Forget this process's snapshot (the next `reference()` reloads it)."""
    global _snapshot, _checked_at
    with _lock:
        _snapshot, _checked_at = None, 0.0


def reference_changed() -> None:
    """Reference data was written: drop the local snapshot now, tell other processes on commit."""
    reference_reset()
    transaction.on_commit(_publish_change)


def _publish_change() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    reference_reset()


def team_ids_of(user: User) -> list[int]:
    """Ids of the user's teams, in the teams' order, from the snapshot and kept on the User object
    (i.e. for the request): the visibility rule and the queue's views all ask. A membership changed
    anywhere renews the snapshot (the m2m signal below), so another process follows within about
    a second."""
    cached: list[int] | None = getattr(user, "_team_ids", None)
    if cached is None:
        cached = list(reference().memberships.get(user.pk, ()))
        user._team_ids = cached  # type: ignore[attr-defined]
    return cached


def _field_rows(ref: Reference) -> list[tuple[Any, dict[int, Any]]]:
    return [(Ticket._meta.get_field(name), getattr(ref, attr)) for name, attr in TICKET_FIELDS.items()]


def _attach(ticket: Ticket, pairs: list[tuple[Any, dict[int, Any]]]) -> None:
    for field, rows in pairs:
        key = getattr(ticket, field.attname)
        if key is not None and key in rows:
            field.set_cached_value(ticket, rows[key])


def ticket_attach_reference(ticket: Ticket) -> None:
    """Attach the ticket's status, priority, type, category, team and assignee from the snapshot
    (for a ticket read by raw SQL; querysets do it through `with_reference`)."""
    _attach(ticket, _field_rows(reference()))


def ticket_refresh(ticket: Ticket) -> None:
    """`ticket.refresh_from_db()` that keeps the related rows it had loaded whose keys did not
    change (the contact, the company…) and attaches reference rows from the snapshot, instead of
    reading each again when next used."""
    related = [f for f in Ticket._meta.concrete_fields if isinstance(f, ForeignKey)]
    kept = {f: (getattr(ticket, f.attname), f.get_cached_value(ticket)) for f in related if f.is_cached(ticket)}
    ticket.refresh_from_db()
    for f, (key, row) in kept.items():
        if getattr(ticket, f.attname) == key and not f.is_cached(ticket):
            f.set_cached_value(ticket, row)
    _attach(ticket, _field_rows(reference()))


class TicketReferenceIterable(ModelIterable):
    """Yields tickets with their reference rows attached (see `with_reference`)."""

    def __iter__(self) -> Iterator[Model]:
        pairs = _field_rows(reference())
        for ticket in super().__iter__():
            _attach(ticket, pairs)  # type: ignore[arg-type]
            yield ticket


def _saved(sender: type[Model], instance: Model, update_fields: frozenset[str] | None = None, **kwargs: Any) -> None:
    if sender is User:
        # Logins write last_login (and password upgrades the hash) on every sign-in: not reference.
        if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
            return
        if kwargs.get("created") and getattr(instance, "role", None) not in ASSIGNABLE_ROLES:
            return
    reference_changed()


def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    reference_changed()


def _members_changed(action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        reference_changed()


m2m_changed.connect(_members_changed, sender=Team.members.through, dispatch_uid="reference-team-members")

for _model in (Status, Priority, TicketType, ServiceCategory, Team, User):
    post_save.connect(_saved, sender=_model, dispatch_uid=f"reference-saved-{_model.__name__}")
    post_delete.connect(_deleted, sender=_model, dispatch_uid=f"reference-deleted-{_model.__name__}")
