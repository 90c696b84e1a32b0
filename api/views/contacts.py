"""/api/v1/contacts/"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import IdCursorPagination
from api.permissions import ReadOnlyOrManagesCustomers
from api.serializers.customers import (
    ContactCreateInputSerializer,
    ContactOutputSerializer,
    ContactUpdateInputSerializer,
    ExternalIdListParamsSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from customers.selectors import contact_get_for_user, contact_list_for_user
from customers.services import contact_create, contact_update


class ContactListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    pagination_class = IdCursorPagination
    input_serializer_class = ContactCreateInputSerializer
    output_serializer_class = ContactOutputSerializer

    @extend_schema(
        tags=["customers"],
        summary="List contacts",
        description=LIST_DESCRIPTION.format(
            what="Contacts (a client contact: their company's, or only themselves when the company keeps tickets "
            "private to each contact)"
        ),
        parameters=[ExternalIdListParamsSerializer],
        responses=ContactOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=ExternalIdListParamsSerializer)
        contacts = filter_customer_list(contact_list_for_user(user=self.viewer), params, name_field="full_name")
        return self.paginated_output(contacts, by_updated=params.get("updated_since") is not None)

    @extend_schema(tags=["customers"], summary="Create a contact (staff)", responses={201: ContactOutputSerializer})
    def post(self, request: Request) -> Response:
        contact = contact_create(**self.validated_input())
        return self.output(contact_get_for_user(user=self.viewer, contact_id=contact.pk), status=201)


class ContactDetailView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    input_serializer_class = ContactUpdateInputSerializer
    output_serializer_class = ContactOutputSerializer

    @extend_schema(tags=["customers"], summary="Read a contact")
    def get(self, request: Request, contact_id: int) -> Response:
        return self.output(contact_get_for_user(user=self.viewer, contact_id=contact_id))

    @extend_schema(tags=["customers"], summary="Change a contact (staff)", responses=ContactOutputSerializer)
    def patch(self, request: Request, contact_id: int) -> Response:
        contact = contact_get_for_user(user=self.viewer, contact_id=contact_id)
        contact_update(contact=contact, **self.validated_input())
        return self.output(contact_get_for_user(user=self.viewer, contact_id=contact.pk))
