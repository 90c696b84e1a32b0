"""Automatic assignment: writes. See docs/architecture/assignment.md."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from automation.assignment.schedules import availability
from automation.assignment.strategies import choose
from automation.choices import AbsenceKind, Strategy
from automation.models import Absence, AgentProfile, TeamAssignment, WorkShift
from tickets.models import ServiceCategory, Ticket
from tickets.reference import reference
from tickets.services import ticket_assign


def ticket_auto_assign(*, ticket: Ticket) -> User | None:
    """Give an unassigned ticket of a team with an automatic strategy to the member the strategy
    chooses among those at work now (schedules.py); the ASSIGNED event carries the reason.

    The team's strategy row is locked first, so choices for one team are made one at a time
    across processes: a round-robin turn is never handed out twice, and least-loaded sees the
    previous choice's ticket. Returns the assignee, or None when the ticket is assigned already,
    has no team, the strategy is manual, or nobody fits (the ticket waits for a person).
    Runs on every new ticket: when there is nothing to do it costs no query — `ticket` is the row
    as the hooks before this one left it (tickets/hooks.py), and which teams assign by themselves
    is known per reference snapshot (`automatic_team_ids`); the locked choice re-reads both."""
    if ticket.team_id is None or ticket.assignee_id is not None:
        return None
    if ticket.team_id not in automatic_team_ids():
        return None
    with transaction.atomic():
        return _choose_and_assign(ticket_id=ticket.pk, team_id=ticket.team_id)


_automatic: tuple[Any, frozenset[int]] | None = None


def automatic_team_ids() -> frozenset[int]:
    """Teams whose strategy is not manual, read once per reference snapshot (tickets/reference.py):
    a strategy saved anywhere renews the snapshot (automation/apps.py), so another process sees
    it within about a second. A team switched to manual in that second is caught by the locked
    re-read in `_choose_and_assign`; a team switched to automatic may leave a ticket of that
    second unassigned, as if it had arrived just before."""
    global _automatic
    snapshot, known = reference(), _automatic
    if known is not None and known[0] is snapshot:
        return known[1]
    teams = frozenset(TeamAssignment.objects.exclude(strategy=Strategy.MANUAL).values_list("team_id", flat=True))
    _automatic = (snapshot, teams)
    return teams


def _choose_and_assign(*, ticket_id: int, team_id: int) -> User | None:
    setting = (
        TeamAssignment.objects.select_for_update()
        .filter(team_id=team_id)
        .exclude(strategy=Strategy.MANUAL)
        .select_related("team")
        .first()
    )
    if setting is None:
        return None
    fresh = Ticket.objects.select_related("category", "site").get(pk=ticket_id)
    if fresh.assignee_id is not None or fresh.team_id != team_id:
        return None
    members = list(setting.team.members.filter(is_active=True, role__in=list(ASSIGNABLE_ROLES)).order_by("id"))
    site_engineer_id = fresh.site.default_engineer_id if fresh.site is not None else None
    if setting.strategy == Strategy.SITE and site_engineer_id and all(u.pk != site_engineer_id for u in members):
        # The site's own engineer counts even when they are not a member of the team.
        engineer = User.objects.filter(pk=site_engineer_id, is_active=True, role__in=list(ASSIGNABLE_ROLES)).first()
        if engineer is not None:
            members.append(engineer)
    away = availability(users=members, at=timezone.now())
    candidates = sorted((u for u in members if not away[u.pk]), key=lambda u: u.pk)
    choice = choose(setting=setting, ticket=fresh, candidates=candidates)
    if choice is None:
        return None
    ticket_assign(ticket=fresh, actor=None, assignee=choice.user, auto=choice.reason)
    if setting.strategy == Strategy.ROUND_ROBIN:
        setting.last_assignee = choice.user
        setting.save(update_fields=["last_assignee", "updated_at"])
    return choice.user


@transaction.atomic
def team_assignment_set(*, team: Team, strategy: str, priority_weights: dict[str, Any]) -> TeamAssignment:
    """Set a team's strategy and least-loaded weights (non-negative numbers per priority code)."""
    if strategy not in Strategy.values:
        raise ValidationError({"strategy": _("Unknown strategy.")})
    clean: dict[str, float] = {}
    for code, value in priority_weights.items():
        try:
            weight = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"priority_weights": _("A weight is a number.")}) from None
        if weight < 0 or weight > 1000:
            raise ValidationError({"priority_weights": _("A weight is between 0 and 1000.")})
        clean[str(code)] = weight
    setting, _created = TeamAssignment.objects.select_for_update().get_or_create(team=team)
    setting.strategy = strategy
    setting.priority_weights = clean
    setting.save(update_fields=["strategy", "priority_weights", "updated_at"])
    return setting


@transaction.atomic
def agent_profile_set(
    *,
    user: User,
    categories: Iterable[ServiceCategory],
    home_latitude: Any | None,
    home_longitude: Any | None,
) -> AgentProfile:
    """Skills (service categories) and home base of a staff member. Both coordinates or neither."""
    if (home_latitude is None) != (home_longitude is None):
        raise ValidationError({"home_latitude": _("Give both the latitude and the longitude, or neither.")})
    if home_latitude is not None and not (-90 <= float(home_latitude) <= 90):
        raise ValidationError({"home_latitude": _("Latitude is between -90 and 90.")})
    if home_longitude is not None and not (-180 <= float(home_longitude) <= 180):
        raise ValidationError({"home_longitude": _("Longitude is between -180 and 180.")})
    profile, _created = AgentProfile.objects.get_or_create(user=user)
    profile.home_latitude = home_latitude
    profile.home_longitude = home_longitude
    profile.save(update_fields=["home_latitude", "home_longitude"])
    profile.categories.set(list(categories))
    return profile


@transaction.atomic
def work_shifts_set(*, user: User, shifts: Iterable[tuple[int, time, time]]) -> list[WorkShift]:
    """Replace the weekly schedule of `user` with `shifts` (weekday 0=Monday, start, end).
    An empty schedule means "always on shift"."""
    rows = []
    seen: set[tuple[int, time]] = set()
    for weekday, start, end in shifts:
        if not 0 <= weekday <= 6:
            raise ValidationError({"shifts": _("The weekday is 0 (Monday) to 6 (Sunday).")})
        if (weekday, start) in seen:
            raise ValidationError({"shifts": _("Two shifts start at the same time on one day.")})
        seen.add((weekday, start))
        rows.append(WorkShift(user=user, weekday=weekday, start=start, end=end))
    WorkShift.objects.filter(user=user).delete()
    return WorkShift.objects.bulk_create(rows)


@transaction.atomic
def absence_create(*, user: User, kind: str, start_date: date, end_date: date, note: str = "") -> Absence:
    if kind not in AbsenceKind.values:
        raise ValidationError({"kind": _("Unknown kind of absence.")})
    if end_date < start_date:
        raise ValidationError({"end_date": _("The absence ends before it starts.")})
    return Absence.objects.create(user=user, kind=kind, start_date=start_date, end_date=end_date, note=note[:200])


@transaction.atomic
def absence_delete(*, absence: Absence) -> None:
    absence.delete()
