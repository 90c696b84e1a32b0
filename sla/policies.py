"""Which SLA policy applies to a ticket: the first active one, by order, whose conditions all
match. Policies, their targets and escalation levels, and the calendars are held per process as
one snapshot (like tickets/reference.py), versioned through the cache: an edit anywhere bumps
the version after commit, and every process reloads within a second."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from customers.models import CompanyCategory
from sla.models import BusinessCalendar, CalendarDay, SlaEscalation, SlaPolicy, SlaTarget, WorkingInterval

VERSION_KEY = "otklik:sla-version"
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class PolicyRule:
    policy: SlaPolicy
    companies: frozenset[int]
    company_categories: frozenset[int]
    contracts: frozenset[int]
    sites: frozenset[int]
    priorities: frozenset[int]
    types: frozenset[int]
    categories: frozenset[int]
    teams: frozenset[int]
    channels: frozenset[str]
    targets: dict[int, SlaTarget]  # by priority id
    escalations: tuple[SlaEscalation, ...]

    def matches(self, ticket: Any, vip_categories: frozenset[int]) -> bool:
        company_category = _company_category_id(ticket)
        checks = (
            (self.companies, ticket.company_id),
            (self.company_categories, company_category),
            (self.contracts, ticket.contract_id),
            (self.sites, ticket.site_id),
            (self.priorities, ticket.priority_id),
            (self.types, ticket.type_id),
            (self.categories, ticket.category_id),
            (self.teams, ticket.team_id),
            (self.channels, ticket.channel),
        )
        if any(allowed and value not in allowed for allowed, value in checks):
            return False
        return not self.policy.vip_only or company_category in vip_categories


def _company_category_id(ticket: Any) -> int | None:
    if not ticket.company_id:
        return None
    company = ticket.company  # loaded with the ticket (select_related) or passed to ticket_create
    return company.category_id if company is not None else None


@dataclass(frozen=True)
class Snapshot:
    version: str
    rules: tuple[PolicyRule, ...]
    calendars: dict[int, BusinessCalendar]
    vip_categories: frozenset[int]
    default_calendar: BusinessCalendar | None
    loaded_at: float = field(default_factory=time.monotonic)

    def policy_for(self, ticket: Any) -> PolicyRule | None:
        return next((rule for rule in self.rules if rule.matches(ticket, self.vip_categories)), None)

    def calendar_for(self, rule: PolicyRule, ticket: Any) -> BusinessCalendar | None:
        """The policy's calendar — the site's own when the policy says so and it has one — else
        the default calendar (None: round the clock)."""
        if rule.policy.use_site_calendar and ticket.site_id:
            site_calendar = getattr(ticket.site, "calendar_id", None) if ticket.site is not None else None
            if site_calendar and site_calendar in self.calendars:
                return self.calendars[site_calendar]
        if rule.policy.calendar_id and rule.policy.calendar_id in self.calendars:
            return self.calendars[rule.policy.calendar_id]
        return self.default_calendar


def _ids(manager: Any) -> frozenset[int]:
    return frozenset(obj.pk for obj in manager.all())


def _load(version: str) -> Snapshot:
    policies = list(
        SlaPolicy.objects.filter(is_active=True)
        .prefetch_related(
            "companies", "company_categories", "contracts", "sites", "priorities", "types", "categories", "teams"
        )
        .order_by("order", "id")
    )
    targets: dict[int, dict[int, SlaTarget]] = {}
    for target in SlaTarget.objects.filter(policy__in=policies):
        targets.setdefault(target.policy_id, {})[target.priority_id] = target
    escalations: dict[int, list[SlaEscalation]] = {}
    for escalation in SlaEscalation.objects.filter(policy__in=policies).select_related("notify_user"):
        escalations.setdefault(escalation.policy_id, []).append(escalation)
    rules = tuple(
        PolicyRule(
            policy=p,
            companies=_ids(p.companies),
            company_categories=_ids(p.company_categories),
            contracts=_ids(p.contracts),
            sites=_ids(p.sites),
            priorities=_ids(p.priorities),
            types=_ids(p.types),
            categories=_ids(p.categories),
            teams=_ids(p.teams),
            channels=frozenset(p.channels or []),
            targets=targets.get(p.pk, {}),
            escalations=tuple(escalations.get(p.pk, [])),
        )
        for p in policies
    )
    calendars = {c.pk: c for c in BusinessCalendar.objects.prefetch_related("intervals", "days")}
    default = next((c for c in calendars.values() if c.is_default and c.is_active), None) or next(
        (c for c in sorted(calendars.values(), key=lambda c: c.pk) if c.is_active and not c.is_24x7), None
    )
    vip = frozenset(CompanyCategory.objects.filter(is_vip=True).values_list("pk", flat=True))
    return Snapshot(version=version, rules=rules, calendars=calendars, vip_categories=vip, default_calendar=default)


_lock = threading.Lock()
_snapshot: Snapshot | None = None
_checked_at = 0.0


def snapshot() -> Snapshot:
    global _snapshot, _checked_at
    current, now = _snapshot, time.monotonic()
    if current is not None and now - _checked_at < RECHECK_SECONDS:
        return current
    with _lock:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY) or "unversioned"
        if _snapshot is None or _snapshot.version != version or now - _snapshot.loaded_at > 60:
            _snapshot = _load(str(version))
        _checked_at = time.monotonic()
        return _snapshot


def snapshot_reset() -> None:
    global _snapshot, _checked_at
    with _lock:
        _snapshot, _checked_at = None, 0.0


def _publish() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    snapshot_reset()


def sla_setup_changed(**kwargs: Any) -> None:
    """A policy, target, escalation level, calendar (or its hours/days) or client category
    changed: drop this process's snapshot now, tell the others after commit."""
    snapshot_reset()
    transaction.on_commit(_publish)


for _model in (SlaPolicy, SlaTarget, SlaEscalation, BusinessCalendar, WorkingInterval, CalendarDay, CompanyCategory):
    post_save.connect(sla_setup_changed, sender=_model, dispatch_uid=f"sla-saved-{_model.__name__}")
    post_delete.connect(sla_setup_changed, sender=_model, dispatch_uid=f"sla-deleted-{_model.__name__}")
for _field in ("companies", "company_categories", "contracts", "sites", "priorities", "types", "categories", "teams"):
    m2m_changed.connect(sla_setup_changed, sender=getattr(SlaPolicy, _field).through, dispatch_uid=f"sla-m2m-{_field}")
