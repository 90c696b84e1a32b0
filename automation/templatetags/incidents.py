"""The potential-incident banner on a ticket's page (one query)."""

from typing import Any

from django import template

from automation.assignment.selectors import can_manage_assignment
from automation.repeats.selectors import incident_for_ticket

register = template.Library()


@register.inclusion_tag("automation/_incident_banner.html", takes_context=True)
def incident_banner(context: dict[str, Any], ticket: Any, linked: list[int] | None = None) -> dict[str, Any]:
    """`linked`: the ids of the incidents the ticket is linked to, when the page has them."""
    user = context["request"].user
    return {
        "incident": incident_for_ticket(user=user, ticket=ticket, linked=linked),
        "can_decide": can_manage_assignment(user),
    }
