"""Turning validated query parameters into the selectors' filter objects and sort orders."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import Team, User
from core.http import parse_id
from tickets.choices import Sort
from tickets.models import Priority, Status
from tickets.selectors import SORT_FIELDS, TicketFilters

# The ticket list's `ordering` values: the queue's sorts (tickets.selectors.SORT_FIELDS), each
# ending in the id. Unlike the queue, `sla_due` keeps the tickets without a deadline, last.
TICKET_ORDERINGS: dict[str, Sort] = {
    "-updated": Sort.UPDATED_DESC,
    "updated": Sort.UPDATED_ASC,
    "-created": Sort.CREATED_DESC,
    "created": Sort.CREATED_ASC,
    "sla_due": Sort.SLA_DUE,
}
NEWEST_FIRST = ("-id",)


def ids_for(model: type[Model], values: list[str], *, param: str) -> list[int]:
    """Ids of `model` rows named by id or code; a value naming nothing is a 400 for `param`."""
    keys: dict[str, Any] = {v: (parse_id(v) if v.isdecimal() else v) for v in values}
    ids = {key for key in keys.values() if isinstance(key, int)}
    codes = {key for key in keys.values() if isinstance(key, str)}
    found = dict(model._default_manager.filter(pk__in=ids).values_list("pk", "pk"))
    found.update(model._default_manager.filter(code__in=codes).values_list("code", "pk"))
    unknown = [v for v in values if keys[v] is None or keys[v] not in found]
    if unknown:
        raise serializers.ValidationError(
            {param: [_("Unknown id or code: %(values)s.") % {"values": ", ".join(unknown)}]}
        )
    return sorted({found[keys[v]] for v in values})


def ticket_filters_from_params(*, user: User, params: dict[str, Any]) -> TicketFilters:
    """TicketFilters from TicketListParamsSerializer.validated_data."""
    assignee_ids: list[int] = []
    unassigned = False
    for value in params.get("assignee", []):
        if value == "me":
            assignee_ids.append(user.pk)
        elif value == "none":
            unassigned = True
        elif parse_id(value) is not None:
            assignee_ids.append(parse_id(value))  # type: ignore[arg-type]
        else:
            raise serializers.ValidationError({"assignee": [_('Give a user id, "me" or "none".')]})
    if unassigned and assignee_ids:
        raise serializers.ValidationError({"assignee": [_('"none" cannot be combined with users.')]})
    return TicketFilters(
        status_ids=ids_for(Status, params.get("status", []), param="status"),
        status_categories=params.get("status_category", []),
        open_only=bool(params.get("open")),
        priority_ids=ids_for(Priority, params.get("priority", []), param="priority"),
        team_ids=ids_for(Team, params.get("team", []), param="team"),
        assignee_ids=assignee_ids,
        unassigned=unassigned,
        company_ids=params.get("company", []),
        contact_ids=params.get("contact", []),
        site_ids=params.get("site", []),
        equipment_ids=params.get("equipment", []),
        tags=params.get("tag", []),
        channels=params.get("channel", []),
        created_from=params.get("created_from"),
        created_to=params.get("created_to"),
        updated_since=params.get("updated_since"),
    )


def ticket_order_from_params(params: dict[str, Any]) -> tuple[str, ...]:
    """The ticket list's sort order: `ordering`, else most recently updated first for a sync
    (`updated_since`), else newest first."""
    if params.get("ordering"):
        return SORT_FIELDS[TICKET_ORDERINGS[params["ordering"]]]
    if params.get("updated_since"):
        return SORT_FIELDS[Sort.UPDATED_DESC]
    return NEWEST_FIRST
