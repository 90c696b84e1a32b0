"""Writes of SLA policies (with their targets and escalation levels), and the background
recalculation of every open ticket's clocks that follows any change of the SLA set-up.

A policy edit changes which policy applies and which deadlines a ticket has, so after every
save, reorder, activation or deletion — and after a calendar changes (the calendar services call
`sla_recalculation_request`) — one `SlaRecalculation` is queued. A Huey worker (sla/tasks.py)
walks the open tickets in id order, 500 at a time, committing its progress with each batch; the
reconciler re-queues it when its worker stopped. A newer request supersedes an unfinished one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.bulk import bulk_update_rows
from sla.models import (
    ACTIVE_RECALCULATION_STATUSES,
    RecalculationStatus,
    SlaEscalation,
    SlaPolicy,
    SlaRecalculation,
    SlaTarget,
)
from sla.policies import snapshot, snapshot_reset
from sla.services import (
    CLOCK_FIELDS,
    clock_fields,
    fired_keys,
    ticket_history_rows,
    ticket_sla_evaluate,
    timeline_from_rows,
)
from tickets.choices import OPEN_CATEGORIES
from tickets.models import Priority, Ticket

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A worker that has not written a heartbeat for this long is presumed dead; its run is re-queued.
STALE_AFTER = timedelta(minutes=3)

CONDITION_FIELDS = (
    "companies",
    "company_categories",
    "contracts",
    "sites",
    "priorities",
    "types",
    "categories",
    "teams",
)
POLICY_FIELDS = ("name", "is_active", "vip_only", "channels", "calendar", "use_site_calendar", "warn_percent")
ESCALATION_FIELDS = (
    "target",
    "trigger",
    "minutes",
    "priority",
    "notify_assignee",
    "notify_supervisor",
    "notify_user",
    "reassign_team",
    "reassign_user",
    "raise_priority",
)
ESCALATION_ACTIONS = (
    "notify_assignee",
    "notify_supervisor",
    "notify_user",
    "reassign_team",
    "reassign_user",
    "raise_priority",
)
TARGET_KINDS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class TargetInput:
    """A policy's deadlines for one priority, in minutes (None: no such target)."""

    priority: Priority
    first_response_minutes: int | None = None
    first_response_business: bool = True
    next_response_minutes: int | None = None
    next_response_business: bool = True
    resolution_minutes: int | None = None
    resolution_business: bool = True

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f"{kind}_minutes") is None for kind in TARGET_KINDS)


def escalation_has_action(values: Mapping[str, Any]) -> bool:
    return any(values.get(name) for name in ESCALATION_ACTIONS)


# --- policies ------------------------------------------------------------------------------------


@transaction.atomic
def sla_policy_save(
    *,
    policy: SlaPolicy,
    actor: User | None,
    conditions: Mapping[str, Iterable[Model]] | None = None,
    targets: Sequence[TargetInput] | None = None,
    escalations: Sequence[Mapping[str, Any]] | None = None,
) -> SlaPolicy:
    """Create or change `policy` (its plain fields already set on it), then queue the
    recalculation of open tickets. `conditions` (by field name), `targets` and `escalations`
    replace what the policy had when given; left out, they stay. A new policy goes last.
    Escalation levels are matched by "id" so a kept level keeps its history of firings.
    Raises ValidationError for a warn % outside 1–99, a negative duration, two targets for one
    priority or an escalation level without an action; nothing is written then."""
    if policy.pk is None:
        policy.order = _next_order()
    if not 1 <= (policy.warn_percent or 0) <= 99:
        raise ValidationError({"warn_percent": _("Give a percentage from 1 to 99.")})
    policy.full_clean(exclude=["order"])
    _check_targets(targets or [])
    _check_escalations(escalations or [])
    policy.save()
    for name, values in (conditions or {}).items():
        if name not in CONDITION_FIELDS:
            raise ValueError(f"{name} is not a policy condition")
        getattr(policy, name).set(list(values))
    if targets is not None:
        _replace_targets(policy, targets)
    if escalations is not None:
        _replace_escalations(policy, escalations)
    sla_recalculation_request(reason=_("Policy “%(name)s” saved") % {"name": policy.name}, actor=actor)
    return policy


def _next_order() -> int:
    return (SlaPolicy.objects.aggregate(top=Max("order"))["top"] or 0) + 10


def _check_targets(targets: Sequence[TargetInput]) -> None:
    seen: set[int] = set()
    for target in targets:
        if target.priority.pk in seen:
            raise ValidationError(
                _("Two rows of targets for the priority %(priority)s.") % {"priority": target.priority}
            )
        seen.add(target.priority.pk)
        for kind in TARGET_KINDS:
            minutes = getattr(target, f"{kind}_minutes")
            if minutes is not None and minutes < 0:
                raise ValidationError(_("A duration cannot be negative."))


def _check_escalations(escalations: Sequence[Mapping[str, Any]]) -> None:
    for values in escalations:
        if (values.get("minutes") or 0) < 0:
            raise ValidationError(_("A duration cannot be negative."))
        if not escalation_has_action(values):
            raise ValidationError(_("Each escalation level needs at least one action."))


def _replace_targets(policy: SlaPolicy, targets: Sequence[TargetInput]) -> None:
    kept = [t for t in targets if not t.is_empty]
    existing = {t.priority_id: t for t in policy.targets.all()}
    policy.targets.exclude(priority_id__in=[t.priority.pk for t in kept]).delete()
    for target in kept:
        row = existing.get(target.priority.pk) or SlaTarget(policy=policy, priority=target.priority)
        for kind in TARGET_KINDS:
            setattr(row, f"{kind}_minutes", getattr(target, f"{kind}_minutes"))
            setattr(row, f"{kind}_business", getattr(target, f"{kind}_business"))
        row.save()


def _replace_escalations(policy: SlaPolicy, escalations: Sequence[Mapping[str, Any]]) -> None:
    existing = {e.pk: e for e in policy.escalations.all()}
    kept: list[int] = []
    rows: list[SlaEscalation] = []
    for index, values in enumerate(escalations):
        row = existing.get(values.get("id") or 0) or SlaEscalation(policy=policy)
        for name in ESCALATION_FIELDS:
            setattr(row, name, values.get(name))
        row.minutes = row.minutes or 0
        row.notify_assignee = bool(row.notify_assignee)
        row.notify_supervisor = bool(row.notify_supervisor)
        row.order = index
        rows.append(row)
        if row.pk:
            kept.append(row.pk)
    policy.escalations.exclude(pk__in=kept).delete()
    for row in rows:
        row.full_clean(exclude=["policy"])
        row.save()


@transaction.atomic
def sla_policy_move(*, policy: SlaPolicy, offset: int, actor: User | None) -> None:
    """Move `policy` `offset` places up (negative) or down the list; orders are renumbered
    10, 20, 30… Queues a recalculation when anything moved."""
    policies = list(SlaPolicy.objects.select_for_update().order_by("order", "id"))
    index = next(i for i, p in enumerate(policies) if p.pk == policy.pk)
    target = max(0, min(len(policies) - 1, index + offset))
    if target == index:
        return
    policies.insert(target, policies.pop(index))
    for position, row in enumerate(policies, start=1):
        if row.order != position * 10:
            row.order = position * 10
            row.save(update_fields=["order", "updated_at"])
    sla_recalculation_request(reason=_("Policy “%(name)s” moved") % {"name": policy.name}, actor=actor)


@transaction.atomic
def sla_policy_set_active(*, policy: SlaPolicy, active: bool, actor: User | None) -> SlaPolicy:
    if policy.is_active == active:
        return policy
    policy.is_active = active
    policy.save(update_fields=["is_active", "updated_at"])
    message = _("Policy “%(name)s” switched on") if active else _("Policy “%(name)s” switched off")
    sla_recalculation_request(reason=message % {"name": policy.name}, actor=actor)
    return policy


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy, actor: User | None) -> None:
    """Delete `policy` with its targets and levels; its tickets lose it until the recalculation
    finds them their new policy."""
    name = policy.name
    policy.delete()
    sla_recalculation_request(reason=_("Policy “%(name)s” deleted") % {"name": name}, actor=actor)


# --- recalculation -------------------------------------------------------------------------------


class Superseded(Exception):
    """Another worker took the run over, or a newer request replaced it: stop without writing."""


def sla_recalculation_request(*, reason: str, actor: User | None = None) -> SlaRecalculation:
    """Queue the recomputation of every open ticket's clocks (after commit). A run that has not
    started yet is reused — it will see this change too; a running one is superseded."""
    with transaction.atomic():
        now = timezone.now()
        active = list(SlaRecalculation.objects.select_for_update().filter(status__in=ACTIVE_RECALCULATION_STATUSES))
        for run in active:
            if run.status == RecalculationStatus.QUEUED and not run.run_token:
                run.reason = reason
                run.requested_by = actor
                run.save(update_fields=["reason", "requested_by"])
                _enqueue(run.pk)
                return run
        for run in active:
            run.status, run.finished_at = RecalculationStatus.SUPERSEDED, now
            run.save(update_fields=["status", "finished_at"])
        run = SlaRecalculation.objects.create(reason=reason[:200], requested_by=actor, heartbeat_at=now)
        _enqueue(run.pk)
        return run


def _enqueue(recalculation_id: int) -> None:
    from sla.tasks import sla_recalculation_task

    transaction.on_commit(lambda: sla_recalculation_task(recalculation_id))


def _claim(recalculation_id: int) -> tuple[SlaRecalculation, str] | None:
    """Take the run for this worker unless another live worker has it (or holds its row now)."""
    with transaction.atomic():
        run = (
            SlaRecalculation.objects.select_for_update(skip_locked=True)
            .filter(pk=recalculation_id, status__in=ACTIVE_RECALCULATION_STATUSES)
            .first()
        )
        if run is None:
            return None
        now = timezone.now()
        if run.run_token and run.heartbeat_at and run.heartbeat_at > now - STALE_AFTER:
            return None
        token = uuid.uuid4().hex
        run.run_token, run.heartbeat_at, run.attempts = token, now, run.attempts + 1
        fields = ["run_token", "heartbeat_at", "attempts"]
        if run.status == RecalculationStatus.QUEUED:
            run.status, run.started_at = RecalculationStatus.RUNNING, now
            run.total = Ticket.objects.filter(status_category__in=[c.value for c in OPEN_CATEGORIES]).count()
            fields += ["status", "started_at", "total"]
        run.save(update_fields=fields)
    return run, token


def _locked(recalculation_id: int, token: str) -> SlaRecalculation:
    run = SlaRecalculation.objects.select_for_update().get(pk=recalculation_id)
    if run.run_token != token or run.status != RecalculationStatus.RUNNING:
        raise Superseded
    return run


def sla_recalculation_process(*, recalculation_id: int, batch_size: int = BATCH_SIZE) -> None:
    """The worker's part: recompute the open tickets after the last committed batch, batch by
    batch, each batch with its progress in one transaction. Safe to call any number of times."""
    claimed = _claim(recalculation_id)
    if claimed is None:
        return
    _run, token = claimed
    snapshot_reset()  # the change that queued us may be younger than this process's snapshot
    open_categories = [c.value for c in OPEN_CATEGORIES]
    try:
        while True:
            with transaction.atomic():
                run = _locked(recalculation_id, token)
                ids = list(
                    Ticket.objects.filter(status_category__in=open_categories, pk__gt=run.last_ticket_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not ids:
                    run.status, run.finished_at = RecalculationStatus.DONE, timezone.now()
                    run.run_token = ""
                    run.save(update_fields=["status", "finished_at", "run_token"])
                    return
                # Locked so that a ticket changed meanwhile is stored by whoever comes last.
                tickets = list(
                    Ticket.objects.select_for_update(of=("self",))
                    .select_related("company", "site")
                    .filter(pk__in=ids)
                    .order_by("pk")
                )
                run.changed += tickets_sla_refresh_batch(tickets)
                run.done += len(ids)
                run.last_ticket_id = ids[-1]
                run.heartbeat_at = timezone.now()
                run.save(update_fields=["done", "changed", "last_ticket_id", "heartbeat_at"])
    except Superseded:
        return
    except Exception as exc:
        logger.exception("SLA recalculation %s failed", recalculation_id)
        with transaction.atomic():
            run = SlaRecalculation.objects.select_for_update().get(pk=recalculation_id)
            if run.run_token == token:
                run.status, run.error, run.finished_at = RecalculationStatus.FAILED, str(exc)[:2000], timezone.now()
                run.save(update_fields=["status", "error", "finished_at"])


def sla_recalculations_reconcile(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Re-queue runs whose worker stopped writing heartbeats (killed, restarted) or that were
    never picked up. A run resumes after its last committed batch. Returns how many."""
    cutoff = timezone.now() - stale_after
    requeued = 0
    for run_id in SlaRecalculation.objects.filter(
        status__in=ACTIVE_RECALCULATION_STATUSES, heartbeat_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            run = SlaRecalculation.objects.select_for_update().get(pk=run_id)
            if run.status not in ACTIVE_RECALCULATION_STATUSES or (run.heartbeat_at and run.heartbeat_at >= cutoff):
                continue
            run.run_token, run.heartbeat_at = "", timezone.now()
            run.save(update_fields=["run_token", "heartbeat_at"])
            _enqueue(run_id)
        requeued += 1
        logger.warning("SLA recalculation %s re-queued after its worker stopped", run_id)
    return requeued


# --- many tickets at once ------------------------------------------------------------------------


def tickets_sla_refresh_batch(tickets: Sequence[Ticket], *, now: datetime | None = None) -> int:
    """What `sla.services.ticket_sla_refresh` does, for many tickets with a fixed number of
    queries: their history (status events, public articles) and fired levels read for the whole
    batch, the clocks computed by the same pieces, and only the tickets whose clock columns
    changed written back. Tickets need `company` and `site` loaded. Returns how many changed."""
    now = now or timezone.now()
    snap = snapshot()
    with_rule = [t.pk for t in tickets if (rule := snap.policy_for(t)) is not None and t.priority_id in rule.targets]
    history = ticket_history_rows(with_rule)
    fired = fired_keys(with_rule) if with_rule else {}
    changed: list[Ticket] = []
    for ticket in tickets:
        events, articles = history.get(ticket.pk, ([], []))
        rule, result, moments = ticket_sla_evaluate(
            ticket, now=now, timeline=timeline_from_rows(ticket, events, articles)
        )
        fields = clock_fields(rule, result, moments, fired.get(ticket.pk, set()))
        if _differs(ticket, fields):
            for name, value in fields.items():
                setattr(ticket, name, value)
            changed.append(ticket)
    if changed:
        # One UPDATE … FROM (VALUES …) per batch: bulk_update's CASE WHEN trees cost ~5 ms a row.
        bulk_update_rows(Ticket, changed, CLOCK_FIELDS)
    return len(changed)


def _differs(ticket: Ticket, fields: Mapping[str, Any]) -> bool:
    for name, value in fields.items():
        if name == "sla_policy":
            if ticket.sla_policy_id != (value.pk if value is not None else None):
                return True
        elif getattr(ticket, name) != value:
            return True
    return False
