"""/api/v1/contracts/ and /api/v1/price-lists/ (staff who work with the customer base)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import IdCursorPagination
from api.permissions import ManagesCustomers
from api.serializers.contracts import (
    ContractCreateInputSerializer,
    ContractListParamsSerializer,
    ContractOutputSerializer,
    ContractUpdateInputSerializer,
    PriceListListParamsSerializer,
    PriceListOutputSerializer,
)
from api.views.base import ApiView
from api.views.customers import LIST_DESCRIPTION, filter_customer_list
from contracts.models import Contract
from contracts.selectors import (
    contract_get_for_user,
    contract_in_force_q,
    contract_list_for_user,
    contract_with_debt_q,
    price_list_list_for_user,
)
from contracts.services import contract_save
from core.db import icontains_q

SCOPE_FIELDS = ("sites", "equipment", "services")
SCOPE_DESCRIPTION = """Covered sites and units must belong to the contract's company; with `all_sites` false, list
the covered sites or units. With `payment_state` `debt`, give the `debt_amount`."""


def _with_scope(contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    return contracts.prefetch_related("sites", "equipment", "services")


def _filter(contracts: QuerySet[Contract], params: dict[str, Any]) -> QuerySet[Contract]:
    contracts = filter_customer_list(contracts, {**params, "search": ""}, name_field="number")
    text = params.get("search", "").strip()
    if text:
        contracts = contracts.filter(
            icontains_q("number", text) | icontains_q("title", text) | icontains_q("company__name", text)
        )
    if params.get("status"):
        contracts = contracts.filter(status=params["status"])
    if params.get("in_force_on") is not None:
        contracts = contracts.filter(contract_in_force_q(params["in_force_on"]))
    if params.get("debt") is True:
        contracts = contracts.filter(contract_with_debt_q())
    elif params.get("debt") is False:
        contracts = contracts.exclude(contract_with_debt_q())
    return contracts


class _ContractView(ApiView):
    permission_classes = [IsAuthenticated, ManagesCustomers]

    def get_serializer_context(self) -> dict[str, Any]:
        # `in_force` is as of today in the caller's time zone.
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class ContractListCreateView(_ContractView):
    pagination_class = IdCursorPagination
    input_serializer_class = ContractCreateInputSerializer
    output_serializer_class = ContractOutputSerializer

    @extend_schema(
        tags=["contracts"],
        summary="List contracts (staff)",
        description=LIST_DESCRIPTION.format(what="Service contracts"),
        parameters=[ContractListParamsSerializer],
        responses=ContractOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=ContractListParamsSerializer)
        contracts = _filter(_with_scope(contract_list_for_user(user=self.viewer)), params)
        return self.paginated_output(contracts, by_updated=params.get("updated_since") is not None)

    @extend_schema(
        tags=["contracts"],
        summary="Create a contract (staff)",
        description=SCOPE_DESCRIPTION,
        responses={201: ContractOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = dict(self.validated_input())
        scope = {name: data.pop(name, []) for name in SCOPE_FIELDS}
        contract = contract_save(contract=Contract(**data), **scope)
        return self.output(contract_get_for_user(user=self.viewer, contract_id=contract.pk), status=201)


class ContractDetailView(_ContractView):
    input_serializer_class = ContractUpdateInputSerializer
    output_serializer_class = ContractOutputSerializer

    @extend_schema(tags=["contracts"], summary="Read a contract (staff)")
    def get(self, request: Request, contract_id: int) -> Response:
        return self.output(contract_get_for_user(user=self.viewer, contract_id=contract_id))

    @extend_schema(
        tags=["contracts"],
        summary="Change a contract (staff)",
        description="Every field optional; `sites`, `equipment` and `services`, when given, replace the list. "
        + SCOPE_DESCRIPTION,
        responses=ContractOutputSerializer,
    )
    def patch(self, request: Request, contract_id: int) -> Response:
        contract = contract_get_for_user(user=self.viewer, contract_id=contract_id)
        data = dict(self.validated_input())
        if data:
            # contract_save replaces the whole scope: what the caller did not send stays as it is.
            scope = {
                name: data.pop(name) if name in data else list(getattr(contract, name).all()) for name in SCOPE_FIELDS
            }
            for name, value in data.items():
                setattr(contract, name, value)
            contract_save(contract=contract, **scope)
        return self.output(contract_get_for_user(user=self.viewer, contract_id=contract_id))


class PriceListListView(ApiView):
    permission_classes = [IsAuthenticated, ManagesCustomers]
    pagination_class = IdCursorPagination
    output_serializer_class = PriceListOutputSerializer

    @extend_schema(
        tags=["contracts"],
        summary="List price lists with their items (staff)",
        description=LIST_DESCRIPTION.format(what="Price lists of extra work (each with all its items)"),
        parameters=[PriceListListParamsSerializer],
        responses=PriceListOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=PriceListListParamsSerializer)
        price_lists = filter_customer_list(
            price_list_list_for_user(user=self.viewer).prefetch_related("items"), params, name_field="name"
        )
        return self.paginated_output(price_lists, by_updated=params.get("updated_since") is not None)
