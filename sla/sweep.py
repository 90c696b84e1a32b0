"""The SLA sweep: fire the warnings, breaches and escalation levels that fell due.

Tickets whose `sla_next_check` has come are taken in batches, locked (rows another worker holds
are skipped). For each, the moments of its policy (sla.services.trigger_moments, from the stored
deadlines) that are due are inserted into SlaFiring with INSERT … ON CONFLICT DO NOTHING
RETURNING: only a row this worker inserted is acted on, so a level fires exactly once per
ticket, target and episode however many workers run, and a worker that was down fires on its
next run whatever fell due meanwhile. Each firing is a ticket event; actions (notify, reassign,
raise priority) follow. `sla_next_check` moves to the next moment not fired yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from core.bulk import bulk_update_rows
from notifications.services import notify_many
from sla.business_time import BusinessClock
from sla.calendars import clock_for
from sla.clock import BREACHED, RUNNING, TargetClock
from sla.models import SlaEscalation, SlaFiring, TargetKind
from sla.policies import PolicyRule, Snapshot, snapshot
from sla.services import Moment, fired_keys, trigger_moments
from tickets.choices import EventKind
from tickets.hooks import hooks_run
from tickets.models import Ticket, TicketEvent

STATE_COLUMNS: dict[str, str] = {
    TargetKind.FIRST_RESPONSE: "sla_first_response_state",
    TargetKind.NEXT_RESPONSE: "sla_next_response_state",
    TargetKind.RESOLUTION: "sla_resolution_state",
}
SWEEP_COLUMNS = ["sla_next_check", "sla_breached", *STATE_COLUMNS.values()]


def stored_clocks(ticket: Ticket) -> dict[str, TargetClock]:
    """The ticket's clocks as stored by the last recomputation."""
    return {
        TargetKind.FIRST_RESPONSE: TargetClock(
            state=ticket.sla_first_response_state,
            due=ticket.sla_first_response_due,
            started=ticket.received_at,
            met_at=ticket.first_response_at,
        ),
        TargetKind.NEXT_RESPONSE: TargetClock(
            state=ticket.sla_next_response_state,
            due=ticket.sla_next_response_due,
            started=ticket.sla_next_response_started,
        ),
        TargetKind.RESOLUTION: TargetClock(
            state=ticket.sla_resolution_state, due=ticket.sla_resolution_due, started=ticket.received_at
        ),
    }


def _insert_firings(rows: list[tuple[int, Moment]], now: datetime) -> set[tuple[int, str, str, str]]:
    """Insert the firings; return the keys this call inserted (others were there already)."""
    if not rows:
        return set()
    table = SlaFiring._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for ticket_id, moment in rows:
        params += [ticket_id, moment.target, moment.level, moment.episode, now, getattr(moment.escalation, "pk", None)]
    sql = (
        f"INSERT INTO {table} (ticket_id, target, level, episode, fired_at, escalation_id) VALUES {values} "
        "ON CONFLICT (ticket_id, target, level, episode) DO NOTHING RETURNING ticket_id, target, level, episode"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(r[0], r[1], r[2], r[3]) for r in cursor.fetchall()}


def _target_label(target: str) -> str:
    return str(TargetKind(target).label)


def _event(ticket: Ticket, moment: Moment, actions: list[str]) -> TicketEvent:
    kind = {"warning": EventKind.SLA_WARNING, "breach": EventKind.SLA_BREACHED}.get(
        moment.level, EventKind.SLA_ESCALATED
    )
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        data={
            "target": moment.target,
            "level": moment.level,
            "due": getattr(stored_clocks(ticket)[moment.target].due, "isoformat", lambda: None)(),
            "escalation": getattr(moment.escalation, "pk", None),
            "actions": actions,
        },
        team_id_at_event=ticket.team_id,
    )


def _text(ticket: Ticket, moment: Moment) -> str:
    due = stored_clocks(ticket)[moment.target].due
    when = timezone.localtime(due).strftime("%d.%m.%Y %H:%M") if due else "—"
    what = _target_label(moment.target)
    if moment.level == "warning":
        return _("SLA at risk: %(what)s due %(when)s — %(title)s") % {"what": what, "when": when, "title": ticket.title}
    if moment.level == "breach":
        return _("SLA missed: %(what)s was due %(when)s — %(title)s") % {
            "what": what,
            "when": when,
            "title": ticket.title,
        }
    return _("SLA escalation: %(what)s due %(when)s — %(title)s") % {"what": what, "when": when, "title": ticket.title}


def _recipients(ticket: Ticket, moment: Moment, teams: dict[int, Team], users: dict[int, User]) -> list[User | None]:
    assignee = users.get(ticket.assignee_id) if ticket.assignee_id else None
    team = teams.get(ticket.team_id) if ticket.team_id else None
    supervisor = users.get(team.supervisor_id) if team is not None and team.supervisor_id else None
    escalation: SlaEscalation | None = moment.escalation
    if escalation is None:
        # Warnings and breaches: the assignee, or — nobody assigned — the team's supervisor.
        return [assignee] if assignee is not None else [supervisor]
    recipients: list[User | None] = []
    if escalation.notify_assignee:
        recipients.append(assignee)
    if escalation.notify_supervisor:
        recipients.append(supervisor)
    if escalation.notify_user_id:
        recipients.append(escalation.notify_user)
    return recipients


def _actions(ticket: Ticket, escalation: SlaEscalation) -> list[str]:
    """Reassign / raise priority through the ticket services (they record their own events and
    recompute the clocks)."""
    from tickets.services import ticket_assign, ticket_update

    done: list[str] = []
    if escalation.reassign_team_id or escalation.reassign_user_id:
        team = escalation.reassign_team if escalation.reassign_team_id else ticket.team
        assignee = (
            escalation.reassign_user
            if escalation.reassign_user_id
            else (None if escalation.reassign_team_id else ticket.assignee)
        )
        if ticket_assign(ticket=ticket, actor=None, assignee=assignee, team=team):
            done.append("reassigned")
    new_priority = escalation.raise_priority
    if new_priority is not None and new_priority.order < ticket.priority.order:
        ticket_update(ticket=ticket, actor=None, priority=new_priority)
        done.append("priority_raised")
    return done


def _business_clock(snap: Snapshot, rule: PolicyRule, ticket: Ticket) -> BusinessClock:
    return clock_for(snap.calendar_for(rule, ticket))


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 100) -> Counter[str]:
    """Fire what is due now. Returns counts by level (warning, breach, escalation) and tickets."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for _batch in range(max_batches):
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("site", "company", "priority")
                .filter(sla_next_check__lte=now)
                .order_by("sla_next_check", "id")[:batch_size]
            )
            if not tickets:
                break
            processed = _sweep_batch(tickets, now, counts)
            counts["tickets"] += processed
        if len(tickets) < batch_size:
            break
    return counts


def _sweep_batch(tickets: list[Ticket], now: datetime, counts: Counter[str]) -> int:
    snap = snapshot()
    rules = {rule.policy.pk: rule for rule in snap.rules}
    fired = fired_keys(t.pk for t in tickets)
    plans: dict[int, tuple[Ticket, PolicyRule | None, list[Moment]]] = {}
    to_insert: list[tuple[int, Moment]] = []
    for ticket in tickets:
        rule = rules.get(ticket.sla_policy_id) if ticket.sla_policy_id else None
        if rule is None:
            plans[ticket.pk] = (ticket, None, [])
            continue
        moments = trigger_moments(rule, ticket.priority_id, stored_clocks(ticket), _business_clock(snap, rule, ticket))
        plans[ticket.pk] = (ticket, rule, moments)
        done = fired.get(ticket.pk, set())
        to_insert += [(ticket.pk, m) for m in moments if m.at <= now and m.key not in done]
    inserted = _insert_firings(to_insert, now)
    # Users and teams the notifications need, in two queries.
    team_ids = {t.team_id for t in tickets if t.team_id}
    teams = {team.pk: team for team in Team.objects.filter(pk__in=team_ids)}
    user_ids = {t.assignee_id for t in tickets if t.assignee_id} | {
        t.supervisor_id for t in teams.values() if t.supervisor_id
    }
    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)}
    events: list[TicketEvent] = []
    notes: list[tuple[list[User | None], Callable[[], str], str, Ticket]] = []
    with_actions: list[tuple[Ticket, SlaEscalation]] = []
    updates: list[Ticket] = []
    for ticket_id, moment in to_insert:
        if (ticket_id, moment.target, moment.level, moment.episode) not in inserted:
            continue  # another worker fired it
        ticket = plans[ticket_id][0]
        level = "escalation" if moment.escalation is not None else moment.level
        counts[level] += 1
        actions = ["notified"]
        if moment.escalation is not None and (
            moment.escalation.reassign_team_id
            or moment.escalation.reassign_user_id
            or moment.escalation.raise_priority_id
        ):
            with_actions.append((ticket, moment.escalation))
        events.append(_event(ticket, moment, actions))
        notes.append(
            (_recipients(ticket, moment, teams, users), partial(_text, ticket, moment), f"sla_{level}", ticket)
        )
        if moment.level == "breach":
            state_column = STATE_COLUMNS[moment.target]
            if getattr(ticket, state_column) == RUNNING:
                setattr(ticket, state_column, BREACHED)
            ticket.sla_breached = True
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    notify_many(notes)
    new_by_ticket: dict[int, set[tuple[str, str, str]]] = {}
    for ticket_id, target, level, episode in inserted:
        new_by_ticket.setdefault(ticket_id, set()).add((target, level, episode))
    for ticket, _rule, moments in plans.values():
        done = fired.get(ticket.pk, set()) | new_by_ticket.get(ticket.pk, set())
        ticket.sla_next_check = min((m.at for m in moments if m.key not in done), default=None)
        updates.append(ticket)
    bulk_update_rows(Ticket, updates, SWEEP_COLUMNS)
    for ticket, escalation in with_actions:
        _actions(ticket, escalation)
    # Other apps hear of warnings and breaches (automation rules, tickets/hooks.py).
    for ticket_id, moment in to_insert:
        if (
            moment.level in ("warning", "breach")
            and (
                ticket_id,
                moment.target,
                moment.level,
                moment.episode,
            )
            in inserted
        ):
            hooks_run(f"sla_{moment.level}", ticket=plans[ticket_id][0], actor=None, changed={moment.target})
    return len(tickets)
