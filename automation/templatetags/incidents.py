"""The potential-incident banner on a ticket's page (a query only for a ticket linked to one)."""

from typing import Any

from django import template

from automation.assignment.selectors import can_manage_assignment
from automation.repeats.selectors import incident_for_ticket

register = template.Library()


@register.inclusion_tag("automation/_incident_banner.html", takes_context=True)
def incident_banner(context: dict[str, Any], ticket: Any, linked: list[int]) -> dict[str, Any]:
    """`linked`: the ids of the incidents the ticket is linked to (ticket_page_relations)."""
    user = context["request"].user
    return {
        "incident": incident_for_ticket(user=user, ticket=ticket, linked=linked),
        "can_decide": can_manage_assignment(user),
    }
