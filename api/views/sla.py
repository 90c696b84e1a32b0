"""/api/v1/sla/policies/ (staff read; administrators and supervisors write). Calendars:
api/views/calendars.py."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import ReadsOrManagesSla
from api.serializers.sla import (
    SlaPolicyInputSerializer,
    SlaPolicyOutputSerializer,
    SlaPolicyUpdateInputSerializer,
)
from api.views.base import ApiView
from sla.models import SlaPolicy
from sla.policy_selectors import sla_policy_get, sla_policy_list
from sla.policy_services import CONDITION_FIELDS, TargetInput, sla_policy_delete, sla_policy_save

PLAIN_FIELDS = ("name", "order", "is_active", "vip_only", "channels", "calendar", "use_site_calendar", "warn_percent")
POLICY_DESCRIPTION = """The first active policy, by `order`, whose conditions all match a ticket applies to it; an
empty condition list matches anything. `targets` give the deadlines per priority in minutes, each in business
(`*_business` true, on the policy's calendar) or calendar time. Each escalation level needs at least one action.
Saving, reordering or deleting a policy recalculates the open tickets' deadlines in the background."""


def _save(policy: SlaPolicy, data: dict[str, Any], actor: Any) -> SlaPolicy:
    for name in PLAIN_FIELDS:
        if name in data and not (name == "order" and policy.pk is None):
            setattr(policy, name, data[name])
    targets = data.get("targets")
    return sla_policy_save(
        policy=policy,
        actor=actor,
        conditions={name: data[name] for name in CONDITION_FIELDS if name in data},
        targets=[TargetInput(**row) for row in targets] if targets is not None else None,
        escalations=data.get("escalations"),
    )


class SlaPolicyListCreateView(ApiView):
    permission_classes = [IsAuthenticated, ReadsOrManagesSla]
    pagination_class = None
    input_serializer_class = SlaPolicyInputSerializer
    output_serializer_class = SlaPolicyOutputSerializer

    @extend_schema(
        tags=["sla"],
        summary="List SLA policies (staff)",
        description="Every policy in the order they are tried, with targets and escalation levels. Not paginated.",
        responses=SlaPolicyOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        policies = sla_policy_list().order_by("order", "id")
        return Response(SlaPolicyOutputSerializer(policies, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        tags=["sla"],
        summary="Create an SLA policy (administrators, supervisors)",
        description=POLICY_DESCRIPTION,
        responses={201: SlaPolicyOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        policy = _save(SlaPolicy(), dict(self.validated_input()), self.viewer)
        return self.output(sla_policy_get(policy_id=policy.pk), status=201)


class SlaPolicyDetailView(ApiView):
    permission_classes = [IsAuthenticated, ReadsOrManagesSla]
    input_serializer_class = SlaPolicyUpdateInputSerializer
    output_serializer_class = SlaPolicyOutputSerializer

    @extend_schema(tags=["sla"], summary="Read an SLA policy (staff)")
    def get(self, request: Request, policy_id: int) -> Response:
        return self.output(sla_policy_get(policy_id=policy_id))

    @extend_schema(
        tags=["sla"],
        summary="Change an SLA policy (administrators, supervisors)",
        description="Every field optional; `targets`, `escalations` and condition lists, when given, replace "
        "what the policy had (send an escalation level's `id` to keep it). " + POLICY_DESCRIPTION,
        responses=SlaPolicyOutputSerializer,
    )
    def patch(self, request: Request, policy_id: int) -> Response:
        policy = sla_policy_get(policy_id=policy_id)
        data = dict(self.validated_input())
        if data:
            _save(policy, data, self.viewer)
        return self.output(sla_policy_get(policy_id=policy_id))

    @extend_schema(tags=["sla"], summary="Delete an SLA policy (administrators, supervisors)", responses={204: None})
    def delete(self, request: Request, policy_id: int) -> Response:
        sla_policy_delete(policy=sla_policy_get(policy_id=policy_id), actor=self.viewer)
        return Response(status=204)
