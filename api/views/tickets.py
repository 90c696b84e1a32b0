"""/api/v1/tickets/ and /api/v1/tickets/{number}/."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.filters import ticket_filters_from_params, ticket_order_from_params
from api.pagination import KeysetCursorPagination
from api.permissions import CanCreateTickets, is_staff_viewer
from api.serializers.tickets import (
    SEARCH_LIMIT,
    TicketCreateInputSerializer,
    TicketListParamsSerializer,
    TicketOutputSerializer,
    TicketUpdateInputSerializer,
)
from api.uploads import uploaded_files
from api.views.base import ApiView
from sla.policy_selectors import ticket_sla_state_q
from tickets import search
from tickets.choices import Channel
from tickets.models import Ticket
from tickets.reference import ticket_refresh
from tickets.selectors import list_extras, ticket_get_for_user, ticket_list_for_user, ticket_tag_names
from tickets.services import (
    UPDATABLE_FIELDS,
    ticket_assign,
    ticket_create,
    ticket_set_status,
    ticket_set_tags,
    ticket_update,
)

LIST_DESCRIPTION = f"""Tickets the caller may see (a client contact: their company's or their own; a contractor:
those assigned to them; staff: their teams' queues), newest first, 50 a page (`page_size` up to 200).
Follow `next` to walk the pages.

With `updated_since` the order is most recently updated first, so a sync client can walk all changes
since its last sync; use the time it *started* the walk as its next `updated_since`.

`ordering=sla_due` puts the nearest SLA deadline first and the tickets without one last; `-updated`,
`updated`, `-created` and `created` sort by those times. Ties go by id: the cursor carries the sort key
with the id, so tickets with equal keys, or without a deadline, are neither skipped nor repeated (a ticket
whose key changes during the walk may be, as with any cursor).

With `search` the answer holds at most {SEARCH_LIMIT} best matches in relevance order, all in one page
(`next` is null); the other filters still apply."""

UPDATE_DESCRIPTION = """Change any of the fields; `null` clears an optional one. `status` (with `delayed_until`
for a delay status), `assignee` and `tags` are separate changes in the ticket's history; all of them are
applied together or not at all. A client contact may change only `title` and `description`."""


def _search(tickets: QuerySet[Ticket], query: str) -> list[Ticket]:
    """Full-text matches among `tickets` (already scoped to the viewer and filtered), best first."""
    try:
        sql, params = tickets.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # the viewer may see nothing at all
        return []
    ids = search.search_ticket_ids(query, limit=SEARCH_LIMIT, candidate_ids_sql=(sql, list(params)))
    found = tickets.in_bulk(ids)
    return [found[ticket_id] for ticket_id in ids if ticket_id in found]


def _ticket_after_write(ticket: Ticket) -> Ticket:
    """The ticket as stored after the write — hooks (rules, assignment, SLA) may have changed it.

    Read by id alone on purpose: the caller was allowed this ticket when the request began and
    has just written it; a change of team may have taken it out of their queues, and the answer
    still shows the result of their own write. One single-table read (`ticket_refresh`: the
    related rows the written instance holds are kept while their keys still match — five joins
    cost PostgreSQL more to plan than the row costs to read), and the tags' names."""
    ticket_refresh(ticket)
    ticket.tag_names = ticket_tag_names(ticket, fresh=True)  # type: ignore[attr-defined]
    return ticket


def _ticket_url(ticket: Ticket) -> str:
    return reverse("api:ticket-detail", kwargs={"number": ticket.number})


class TicketListCreateView(ApiView):
    parser_classes = [JSONParser, MultiPartParser]
    permission_classes = [IsAuthenticated, CanCreateTickets]
    pagination_class = KeysetCursorPagination
    input_serializer_class = TicketCreateInputSerializer
    output_serializer_class = TicketOutputSerializer

    @extend_schema(
        tags=["tickets"],
        summary="List or search tickets",
        description=LIST_DESCRIPTION,
        parameters=[TicketListParamsSerializer],
        responses=TicketOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=TicketListParamsSerializer)
        filters = ticket_filters_from_params(user=self.viewer, params=params)
        # The unit and contract rows are prefetched like the company, contact and site (not joined).
        tickets = list_extras(
            ticket_list_for_user(user=self.viewer, filters=filters), extras=("equipment", "contract"), tags=True
        )
        if params.get("sla_state"):
            states = [ticket_sla_state_q(state) for state in params["sla_state"]]
            tickets = tickets.filter(reduce(operator.or_, states))
        if params.get("search", "").strip():
            return self.unpaginated_output(_search(tickets, params["search"]))
        return self.paginated_output(tickets, order=ticket_order_from_params(params))

    @extend_schema(
        tags=["tickets"],
        summary="Create a ticket",
        description="A client contact creates tickets for themselves (channel `api`): only `title`, `description`, "
        "`priority`, `type`, `category` (those visible in the portal), `site`, `equipment` (their company's) "
        "and `attachments`. "
        "Send JSON, or multipart/form-data to attach files.",
        request=TicketCreateInputSerializer,
        responses={201: TicketOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = dict(self.validated_input())
        user = self.viewer
        data["attachments"] = uploaded_files(data.pop("attachments", []))
        data.setdefault("channel", Channel.API)
        if not is_staff_viewer(user):
            data["contact"] = user.contact
        ticket = ticket_create(actor=user, **data)
        # Not read back: the ticket handed to the "created" hooks is kept as stored by the hooks that
        # change it (tickets/hooks.py) — only the tags, which rules may add, are read.
        ticket.tag_names = ticket_tag_names(ticket, fresh=True)  # type: ignore[attr-defined]
        return self.output(ticket, status=201, headers={"Location": _ticket_url(ticket)})


class TicketDetailView(ApiView):
    input_serializer_class = TicketUpdateInputSerializer
    output_serializer_class = TicketOutputSerializer

    @extend_schema(
        tags=["tickets"],
        summary="Read a ticket",
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH, description="The ticket's number.")],
    )
    def get(self, request: Request, number: int) -> Response:
        return self.output(ticket_get_for_user(user=self.viewer, number=number))

    @extend_schema(
        tags=["tickets"],
        summary="Change a ticket",
        description=UPDATE_DESCRIPTION,
        parameters=[OpenApiParameter("number", int, OpenApiParameter.PATH, description="The ticket's number.")],
        request=TicketUpdateInputSerializer,
        responses=TicketOutputSerializer,
    )
    def patch(self, request: Request, number: int) -> Response:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        _ticket_change(ticket=ticket, actor=self.viewer, changes=self.validated_input())
        return self.output(_ticket_after_write(ticket))


@transaction.atomic
def _ticket_change(*, ticket: Ticket, actor: User, changes: dict[str, Any]) -> None:
    """Apply a PATCH through the services that own each kind of change, all or nothing."""
    plain = {name: changes[name] for name in UPDATABLE_FIELDS if name in changes}
    if plain:
        ticket_update(ticket=ticket, actor=actor, **plain)
    if "assignee" in changes:
        ticket_assign(ticket=ticket, actor=actor, assignee=changes["assignee"])
    if "status" in changes or "delayed_until" in changes:
        status = changes.get("status") or Ticket.objects.select_related("status").get(pk=ticket.pk).status
        ticket_set_status(ticket=ticket, actor=actor, status=status, delayed_until=changes.get("delayed_until"))
    if "tags" in changes:
        ticket_set_tags(ticket=ticket, actor=actor, tags=changes["tags"])
