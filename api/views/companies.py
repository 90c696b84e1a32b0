"""/api/v1/companies/"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import IdCursorPagination
from api.permissions import ReadOnlyOrManagesCustomers
from api.serializers.customers import (
    CompanyInputSerializer,
    CompanyOutputSerializer,
    CompanyUpdateInputSerializer,
    CustomerListParamsSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from customers.selectors import company_get_for_user, company_list_for_user
from customers.services import company_create, company_update


class CompanyListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    pagination_class = IdCursorPagination
    input_serializer_class = CompanyInputSerializer
    output_serializer_class = CompanyOutputSerializer

    @extend_schema(
        tags=["customers"],
        summary="List companies",
        description=LIST_DESCRIPTION.format(what="Companies (a client contact: their own)"),
        parameters=[CustomerListParamsSerializer],
        responses=CompanyOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=CustomerListParamsSerializer)
        companies = filter_customer_list(company_list_for_user(user=self.viewer), params, name_field="name")
        return self.paginated_output(companies, by_updated=params.get("updated_since") is not None)

    @extend_schema(tags=["customers"], summary="Create a company (staff)", responses={201: CompanyOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.validated_input()
        return self.output(company_create(**data), status=201)


class CompanyDetailView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    input_serializer_class = CompanyUpdateInputSerializer
    output_serializer_class = CompanyOutputSerializer

    @extend_schema(tags=["customers"], summary="Read a company")
    def get(self, request: Request, company_id: int) -> Response:
        return self.output(company_get_for_user(user=self.viewer, company_id=company_id))

    @extend_schema(tags=["customers"], summary="Change a company (staff)", responses=CompanyOutputSerializer)
    def patch(self, request: Request, company_id: int) -> Response:
        company = company_get_for_user(user=self.viewer, company_id=company_id)
        data = self.validated_input()
        if data:
            company = company_update(company=company, **data)
        return self.output(company)
