"""/api/v1/coverage/: is a request covered by a contract (contracts/coverage.py), for staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import ManagesCustomers
from api.serializers.contracts import CoverageOutputSerializer, CoverageParamsSerializer
from api.views.base import ApiView
from contracts.coverage import coverage_for


class CoverageView(ApiView):
    permission_classes = [IsAuthenticated, ManagesCustomers]
    output_serializer_class = CoverageOutputSerializer

    @extend_schema(
        tags=["contracts"],
        summary="Check coverage (staff)",
        description="Which contract covers a request about a company, site, unit and service on a day: of the "
        "contracts in force whose scope takes it, the most specific (listing the unit, then the site, then every "
        "site), among equals the newest. With what the person registering it must know: debt, included hours "
        "left, a lapsed contract, a unit maintained by someone else, a warranty. Give at least one of `company`, "
        "`site`, `equipment`; the company defaults to the site's or unit's.",
        parameters=[CoverageParamsSerializer],
        responses=CoverageOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=CoverageParamsSerializer)
        coverage = coverage_for(
            company=params["company"],
            site=params.get("site"),
            equipment=params.get("equipment"),
            category=params.get("category"),
            day=params.get("on"),
        )
        return self.output(coverage)
