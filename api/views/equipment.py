"""/api/v1/equipment/"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.filters import ids_for
from api.pagination import IdCursorPagination
from api.permissions import ReadOnlyOrManagesCustomers
from api.serializers.assets import (
    EquipmentCreateInputSerializer,
    EquipmentListParamsSerializer,
    EquipmentOutputSerializer,
    EquipmentUpdateInputSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from assets.models import Equipment, EquipmentKind
from assets.selectors import equipment_get_for_user, equipment_list_for_user, equipment_search_q
from assets.services import equipment_create, equipment_update
from core.http import parse_id

PARAM_PREFIX = "param_"


def _with_refs(units: QuerySet[Equipment]) -> QuerySet[Equipment]:
    return units.select_related("parent")


def _filter(units: QuerySet[Equipment], params: dict[str, Any]) -> QuerySet[Equipment]:
    units = filter_customer_list(units, {**params, "search": ""}, name_field="name")
    if params.get("search", "").strip():
        units = units.filter(equipment_search_q(params["search"]))
    if params.get("site") is not None:
        units = units.filter(site_id=params["site"])
    if params.get("kind"):
        units = units.filter(kind_id__in=ids_for(EquipmentKind, [params["kind"]], param="kind"))
    if params.get("parent") == "none":
        units = units.filter(parent__isnull=True)
    elif params.get("parent"):
        units = units.filter(parent_id=parse_id(params["parent"]))
    for exact in ("serial_number", "inventory_number"):
        if params.get(exact):
            units = units.filter(**{exact: params[exact]})
    if params.get("is_active") is not None:
        units = units.filter(is_active=params["is_active"])
    return units


@contextmanager
def _parameter_errors_under_parameters() -> Iterator[None]:
    """assets.services names a bad parameter value `param_<code>` (the UI form's field); the API
    reports it inside the field the caller sent: {"parameters": {"<code>": ["…"]}}."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict") or not any(name.startswith(PARAM_PREFIX) for name in exc.error_dict):
            raise
        detail: dict[str, Any] = {}
        for name, errors in exc.error_dict.items():
            messages = [str(m) for error in errors for m in error.messages]
            if name.startswith(PARAM_PREFIX):
                detail.setdefault("parameters", {})[name.removeprefix(PARAM_PREFIX)] = messages
            else:
                detail[name] = messages
        raise serializers.ValidationError(detail) from exc


class EquipmentListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    pagination_class = IdCursorPagination
    input_serializer_class = EquipmentCreateInputSerializer
    output_serializer_class = EquipmentOutputSerializer

    @extend_schema(
        tags=["equipment"],
        summary="List equipment",
        description=LIST_DESCRIPTION.format(
            what="Equipment units (a client contact: their company's active units; contractors: none)"
        ),
        parameters=[EquipmentListParamsSerializer],
        responses=EquipmentOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=EquipmentListParamsSerializer)
        units = _filter(_with_refs(equipment_list_for_user(user=self.viewer)), params)
        return self.paginated_output(units, by_updated=params.get("updated_since") is not None)

    @extend_schema(
        tags=["equipment"],
        summary="Create a unit (staff)",
        description="Give the `company`, a `site` (the company defaults to the site's) or both. "
        "The site and the parent unit must belong to the same company.",
        responses={201: EquipmentOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = dict(self.validated_input())
        with _parameter_errors_under_parameters():
            unit = equipment_create(**data)
        return self.output(equipment_get_for_user(user=self.viewer, equipment_id=unit.pk), status=201)


class EquipmentDetailView(ApiView):
    permission_classes = [IsAuthenticated, ReadOnlyOrManagesCustomers]
    input_serializer_class = EquipmentUpdateInputSerializer
    output_serializer_class = EquipmentOutputSerializer

    @extend_schema(tags=["equipment"], summary="Read a unit")
    def get(self, request: Request, equipment_id: int) -> Response:
        return self.output(equipment_get_for_user(user=self.viewer, equipment_id=equipment_id))

    @extend_schema(
        tags=["equipment"],
        summary="Change a unit (staff)",
        description="Every field optional; `null` clears an optional one. The unit stays with its company. "
        "`parameters`, when given, replace the whole set; a change of `kind` keeps only the new kind's parameters.",
        responses=EquipmentOutputSerializer,
    )
    def patch(self, request: Request, equipment_id: int) -> Response:
        unit = equipment_get_for_user(user=self.viewer, equipment_id=equipment_id)
        self.unit = unit
        data = self.validated_input()
        if data:
            with _parameter_errors_under_parameters():
                equipment_update(unit=unit, **data)
        return self.output(equipment_get_for_user(user=self.viewer, equipment_id=unit.pk))

    def get_serializer_context(self) -> dict[str, Any]:
        # The unit's kind tells the input which parameter codes exist.
        return {**super().get_serializer_context(), "unit": getattr(self, "unit", None)}
