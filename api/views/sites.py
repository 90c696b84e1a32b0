"""/api/v1/sites/"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import IdCursorPagination
from api.permissions import ReadOnlyOrManagesCustomers
from api.serializers.customers import (
    ExternalIdListParamsSerializer,
    SiteCreateInputSerializer,
    SiteOutputSerializer,
    SiteUpdateInputSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from customers.selectors import site_get_for_user, site_list_for_user
from customers.services import site_create, site_update


class SiteListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    pagination_class = IdCursorPagination
    input_serializer_class = SiteCreateInputSerializer
    output_serializer_class = SiteOutputSerializer

    @extend_schema(
        tags=["customers"],
        summary="List sites",
        description=LIST_DESCRIPTION.format(what="Serviced sites (a client contact: their company's)"),
        parameters=[ExternalIdListParamsSerializer],
        responses=SiteOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=ExternalIdListParamsSerializer)
        sites = filter_customer_list(
            site_list_for_user(user=self.viewer).select_related("default_team", "default_engineer"),
            params,
            name_field="name",
        )
        return self.paginated_output(sites, by_updated=params.get("updated_since") is not None)

    @extend_schema(tags=["customers"], summary="Create a site (staff)", responses={201: SiteOutputSerializer})
    def post(self, request: Request) -> Response:
        site = site_create(**self.validated_input())
        return self.output(site, status=201)


class SiteDetailView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    input_serializer_class = SiteUpdateInputSerializer
    output_serializer_class = SiteOutputSerializer

    @extend_schema(tags=["customers"], summary="Read a site")
    def get(self, request: Request, site_id: int) -> Response:
        return self.output(site_get_for_user(user=self.viewer, site_id=site_id))

    @extend_schema(tags=["customers"], summary="Change a site (staff)", responses=SiteOutputSerializer)
    def patch(self, request: Request, site_id: int) -> Response:
        site = site_get_for_user(user=self.viewer, site_id=site_id)
        data = self.validated_input()
        if data:
            site = site_update(site=site, **data)
        return self.output(site)
