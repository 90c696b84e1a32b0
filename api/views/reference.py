"""Reference data: /statuses/, /priorities/, /types/, /service-categories/, /company-categories/,
/equipment-kinds/ (small, not paginated) and /tags/ (paginated by name)."""

from __future__ import annotations

import abc

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.pagination import NameCursorPagination
from api.permissions import IsStaff, ManagesCustomers
from api.serializers.assets import EquipmentKindOutputSerializer
from api.serializers.customers import CompanyCategoryOutputSerializer
from api.serializers.reference import (
    PriorityOutputSerializer,
    ServiceCategoryOutputSerializer,
    StatusOutputSerializer,
    TagListParamsSerializer,
    TagOutputSerializer,
    TicketTypeOutputSerializer,
)
from api.views.base import ApiView
from assets.models import EquipmentKind
from core.db import icontains_q
from customers.models import CompanyCategory
from tickets.models import Priority, Status, TicketType
from tickets.selectors import service_category_list_for_user, tag_list_for_user


class _ReferenceListView(ApiView, abc.ABC):
    """Everything at once, in the configured order, inactive entries included (old tickets use them)."""

    pagination_class = None

    @abc.abstractmethod
    def rows(self, user: User) -> QuerySet:
        """The entries `user` may see; each endpoint says which."""

    def get(self, request: Request) -> Response:
        assert self.output_serializer_class is not None
        rows = self.rows(self.viewer)
        return Response(self.output_serializer_class(rows, many=True, context=self.get_serializer_context()).data)


@extend_schema(tags=["reference data"], summary="List statuses", responses=StatusOutputSerializer(many=True))
class StatusListView(_ReferenceListView):
    output_serializer_class = StatusOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return Status.objects.order_by("order", "id")


@extend_schema(tags=["reference data"], summary="List priorities", responses=PriorityOutputSerializer(many=True))
class PriorityListView(_ReferenceListView):
    output_serializer_class = PriorityOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return Priority.objects.order_by("order", "id")


@extend_schema(tags=["reference data"], summary="List ticket types", responses=TicketTypeOutputSerializer(many=True))
class TicketTypeListView(_ReferenceListView):
    output_serializer_class = TicketTypeOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return TicketType.objects.order_by("order", "id")


@extend_schema(
    tags=["reference data"],
    summary="List the service catalogue",
    description="Client contacts see only the active entries shown in the portal.",
    responses=ServiceCategoryOutputSerializer(many=True),
)
class ServiceCategoryListView(_ReferenceListView):
    output_serializer_class = ServiceCategoryOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return service_category_list_for_user(user=user).order_by("order", "name_ru", "id")


@extend_schema(
    tags=["reference data"],
    summary="List company categories (staff)",
    description="Classes of clients (VIP, key account, …) that SLA policies and rules match on. An internal "
    "classification: not for client contacts or contractors.",
    responses=CompanyCategoryOutputSerializer(many=True),
)
class CompanyCategoryListView(_ReferenceListView):
    permission_classes = [IsAuthenticated, ManagesCustomers]
    output_serializer_class = CompanyCategoryOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return CompanyCategory.objects.order_by("order", "id")


@extend_schema(
    tags=["reference data"],
    summary="List equipment kinds",
    description="With the parameters a unit of each kind records (the keys of a unit's `parameters`).",
    responses=EquipmentKindOutputSerializer(many=True),
)
class EquipmentKindListView(_ReferenceListView):
    output_serializer_class = EquipmentKindOutputSerializer

    def rows(self, user: User) -> QuerySet:
        return EquipmentKind.objects.order_by("order", "name_ru", "id")


class TagListView(ApiView):
    permission_classes = [IsAuthenticated, IsStaff]
    pagination_class = NameCursorPagination
    output_serializer_class = TagOutputSerializer

    @extend_schema(
        tags=["reference data"],
        summary="List tags (staff)",
        description="Alphabetical, 50 a page; follow `next`.",
        parameters=[TagListParamsSerializer],
        responses=TagOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=TagListParamsSerializer)
        tags = tag_list_for_user(user=self.viewer)
        if params.get("search", "").strip():
            tags = tags.filter(icontains_q("name", params["search"]))
        return self.paginated_output(tags)
