"""The choice of an assignee for one ticket under a team's strategy. Pure choice: callers pass
the candidates (team members at work now) and get a person and the reason, which goes into the
ticket's history. See docs/architecture/assignment.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count

from accounts.models import User
from automation.choices import Strategy
from automation.models import AgentProfile, TeamAssignment
from tickets.choices import OPEN_CATEGORIES
from tickets.models import Priority, Ticket

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Choice:
    user: User
    # Stored in the ASSIGNED event as data["auto"]: {"strategy": …, "why": …, …}.
    reason: dict[str, Any] = field(default_factory=dict)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def weighted_loads(*, users: list[User], weights: dict[str, Any]) -> dict[int, float]:
    """Open tickets per user, each weighing its priority's weight (1 when not set). One query
    (plus the priorities, a handful of rows, when weights are set)."""
    loads: dict[int, float] = {u.pk: 0.0 for u in users}
    rows = (
        Ticket.objects.filter(assignee_id__in=list(loads), status_category__in=list(OPEN_CATEGORIES))
        .values_list("assignee_id", "priority_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    codes = dict(Priority.objects.values_list("pk", "code")) if weights else {}
    for assignee_id, priority_id, n in rows:
        weight = _weight(weights.get(codes.get(priority_id, ""), 1))
        loads[assignee_id] += weight * n
    return loads


def _weight(value: Any) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        return 1.0
    return weight if weight >= 0 else 1.0


def _least_loaded(
    users: list[User], weights: dict[str, Any], strategy: str, extra: dict[str, Any] | None = None
) -> Choice | None:
    if not users:
        return None
    loads = weighted_loads(users=users, weights=weights)
    # Ties go to the member who joined the service desk first (lowest id): stable and testable.
    user = min(users, key=lambda u: (loads[u.pk], u.pk))
    return Choice(
        user=user,
        reason={"strategy": strategy, "why": "least_loaded", "load": round(loads[user.pk], 2), **(extra or {})},
    )


def choose(*, setting: TeamAssignment, ticket: Ticket, candidates: list[User]) -> Choice | None:
    """The assignee for `ticket` among `candidates` (sorted by id), or None to leave it for a person."""
    strategy = setting.strategy
    weights = setting.priority_weights or {}
    if strategy == Strategy.ROUND_ROBIN:
        if not candidates:
            return None
        last = setting.last_assignee_id or 0
        following = [u for u in candidates if u.pk > last]
        user = (following or candidates)[0]
        return Choice(user=user, reason={"strategy": strategy, "why": "next_in_turn", "of": len(candidates)})
    if strategy == Strategy.LEAST_LOADED:
        return _least_loaded(candidates, weights, strategy)
    if strategy == Strategy.SKILL:
        service = ticket.category
        if service is None:
            return None
        category_ids = {service.pk}
        if service.parent_id:
            category_ids.add(service.parent_id)
        skilled = set(
            AgentProfile.categories.through.objects.filter(
                agentprofile__user_id__in=[u.pk for u in candidates], servicecategory_id__in=category_ids
            ).values_list("agentprofile__user_id", flat=True)
        )
        category = {"id": service.pk, "name_ru": service.name_ru, "name_en": service.name_en}
        return _least_loaded([u for u in candidates if u.pk in skilled], weights, strategy, {"category": category})
    if strategy == Strategy.SITE:
        return _by_site(ticket=ticket, candidates=candidates)
    return None


def _by_site(*, ticket: Ticket, candidates: list[User]) -> Choice | None:
    site = ticket.site
    if site is None:
        return None
    engineer_id = site.default_engineer_id
    for user in candidates:
        if user.pk == engineer_id:
            return Choice(user=user, reason={"strategy": Strategy.SITE, "why": "site_engineer", "site": site.name})
    if site.latitude is None or site.longitude is None:
        return None
    homes = {
        user_id: (float(lat or 0), float(lon or 0))
        for user_id, lat, lon in AgentProfile.objects.filter(
            user_id__in=[u.pk for u in candidates], home_latitude__isnull=False, home_longitude__isnull=False
        ).values_list("user_id", "home_latitude", "home_longitude")
    }
    if not homes:
        return None
    here = (float(site.latitude), float(site.longitude))
    distances = {user_id: haversine_km(*here, *home) for user_id, home in homes.items()}
    by_id = {u.pk: u for u in candidates}
    user_id = min(distances, key=lambda pk: (distances[pk], pk))
    return Choice(
        user=by_id[user_id],
        reason={
            "strategy": Strategy.SITE,
            "why": "nearest",
            "site": site.name,
            "km": float(round(Decimal(distances[user_id]), 1)),
            "engineer_away": engineer_id is not None,
        },
    )
