"""/api/v1/tickets/{number}/works/: work recorded on a ticket (staff only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import IdCursorPagination
from api.permissions import IsStaff, ReadOnlyOrManagesCustomers
from api.serializers.contracts import TicketWorkInputSerializer, TicketWorkOutputSerializer
from api.views.base import ApiView
from contracts.selectors import ticket_work_get_for_user, ticket_work_list_for_user
from contracts.services import ticket_work_add, ticket_work_delete
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_user

NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="The ticket's number.")


class WorkCursorPagination(IdCursorPagination):
    """In the order the work was done."""

    ordering = ("performed_on", "id")  # type: ignore[assignment]  # DRF takes a tuple; the stub says str


class TicketWorkListCreateView(ApiView):
    # Any staff member who may see the ticket reads its works; contractors do not record them (as
    # in the UI), client contacts see none of it.
    permission_classes = [IsAuthenticated, IsStaff, ReadOnlyOrManagesCustomers]
    pagination_class = WorkCursorPagination
    input_serializer_class = TicketWorkInputSerializer
    output_serializer_class = TicketWorkOutputSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        # A work from the price list is chosen from the list of the ticket's contract.
        ticket: Ticket | None = getattr(self, "ticket", None)
        contract = ticket.contract if ticket is not None else None
        return {**super().get_serializer_context(), "price_list": contract.price_list if contract else None}

    @extend_schema(
        tags=["works"],
        summary="A ticket's works (staff)",
        description="In the order the work was done, 50 a page; follow `next`.",
        parameters=[NUMBER],
        responses=TicketWorkOutputSerializer(many=True),
    )
    def get(self, request: Request, number: int) -> Response:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        return self.paginated_output(ticket_work_list_for_user(user=self.viewer, ticket=ticket))

    @extend_schema(
        tags=["works"],
        summary="Record work on a ticket (staff)",
        description="Under the ticket's contract. A price list item fills name, unit and price and makes the work "
        "billed separately; labour without one is covered by the contract (counted against its included hours).",
        parameters=[NUMBER],
        request=TicketWorkInputSerializer,
        responses={201: TicketWorkOutputSerializer},
    )
    def post(self, request: Request, number: int) -> Response:
        self.ticket = ticket_get_for_user(user=self.viewer, number=number)
        data = {key: value for key, value in self.validated_input().items() if value is not None}
        work = ticket_work_add(ticket=self.ticket, actor=self.viewer, **data)
        return self.output(ticket_work_get_for_user(user=self.viewer, ticket=self.ticket, work_id=work.pk), status=201)


class TicketWorkDetailView(ApiView):
    permission_classes = [IsAuthenticated, IsStaff, ReadOnlyOrManagesCustomers]
    output_serializer_class = TicketWorkOutputSerializer

    @extend_schema(
        tags=["works"],
        summary="Remove work from a ticket (staff)",
        description="The ticket's history records the removal.",
        parameters=[NUMBER],
        responses={204: None},
    )
    def delete(self, request: Request, number: int, work_id: int) -> Response:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        work = ticket_work_get_for_user(user=self.viewer, ticket=ticket, work_id=work_id)
        ticket_work_delete(work=work, actor=self.viewer)
        return Response(status=204)
