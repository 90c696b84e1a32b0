"""Reads for potential incidents, scoped to who is asking."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from automation.assignment.selectors import can_manage_assignment
from automation.choices import IncidentState
from automation.models import PotentialIncident
from tickets.models import Ticket


def incident_list_for_user(*, user: User, state: str | None = None) -> QuerySet[PotentialIncident]:
    """Supervisors and administrators decide on incidents; others see none. Open ones first."""
    if not can_manage_assignment(user):
        return PotentialIncident.objects.none()
    qs = PotentialIncident.objects.select_related("site", "site__company", "parent", "decided_by").prefetch_related(
        Prefetch(
            "tickets",
            queryset=Ticket.objects.only("pk", "number", "title", "contact_id", "created_at").order_by("id"),
        )
    )
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-updated_at", "-id")


def incident_get_for_user(*, user: User, incident_id: int) -> PotentialIncident:
    try:
        return incident_list_for_user(user=user).get(pk=incident_id)
    except PotentialIncident.DoesNotExist as exc:
        raise Http404 from exc


def incident_counts_for_user(*, user: User) -> dict[str, int]:
    if not can_manage_assignment(user):
        return {}
    return PotentialIncident.objects.aggregate(
        **{state: Count("id", filter=Q(state=state)) for state in IncidentState.values}
    )


def incident_for_ticket(*, user: User, ticket: Ticket, linked: list[int]) -> PotentialIncident | None:
    """The open or confirmed incident a ticket belongs to, for the banner on its page (staff who
    can open the ticket see it; only supervisors get the button). `linked`: the ids of the
    incidents the ticket is linked to, which the page reads with its relations
    (tickets.selectors.ticket_page_relations) — most tickets have none, and then nothing is read."""
    if not (user.is_authenticated and user.is_agent_side):
        return None
    if not linked:
        return None
    incident = (
        PotentialIncident.objects.filter(pk__in=linked, state__in=[IncidentState.OPEN, IncidentState.CONFIRMED])
        .select_related("parent")
        .order_by("-id")
        .first()
    )
    if incident is not None:
        # Counted apart: the filter above joins the tickets, so a count there would be 1.
        incident.size = incident.tickets.count()  # type: ignore[attr-defined]
    return incident
