"""/api/v1/companies/"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.filters import ids_for
from api.pagination import IdCursorPagination
from api.permissions import ReadOnlyOrManagesCustomers
from api.serializers.customers import (
    CompanyInputSerializer,
    CompanyListParamsSerializer,
    CompanyOutputSerializer,
    CompanyUpdateInputSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from customers.models import Company, CompanyCategory
from customers.selectors import company_get_for_user, company_list_for_user
from customers.services import company_create, company_update


def _with_refs(companies: QuerySet[Company]) -> QuerySet[Company]:
    return companies.select_related("category", "account_manager")


class CompanyListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    pagination_class = IdCursorPagination
    input_serializer_class = CompanyInputSerializer
    output_serializer_class = CompanyOutputSerializer

    @extend_schema(
        tags=["customers"],
        summary="List companies",
        description=LIST_DESCRIPTION.format(what="Companies (a client contact: their own)"),
        parameters=[CompanyListParamsSerializer],
        responses=CompanyOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=CompanyListParamsSerializer)
        companies = filter_customer_list(_with_refs(company_list_for_user(user=self.viewer)), params, name_field="name")
        if params.get("category"):
            companies = companies.filter(
                category_id__in=ids_for(CompanyCategory, [params["category"]], param="category")
            )
        if params.get("inn"):
            companies = companies.filter(inn=params["inn"].strip())
        return self.paginated_output(companies, by_updated=params.get("updated_since") is not None)

    @extend_schema(tags=["customers"], summary="Create a company (staff)", responses={201: CompanyOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.validated_input()
        company = company_create(**data)
        return self.output(company_get_for_user(user=self.viewer, company_id=company.pk), status=201)


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
