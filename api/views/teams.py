"""/api/v1/teams/ (read-only)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team
from api.serializers.accounts import TeamOutputSerializer
from api.views.base import ApiView
from tickets.selectors import team_list_for_user


class TeamListView(ApiView):
    pagination_class = None
    output_serializer_class = TeamOutputSerializer

    @extend_schema(
        tags=["users and teams"],
        summary="List teams",
        description="Active teams: every one for administrators and supervisors, one's own for everybody else. "
        "Not paginated.",
        responses=TeamOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        teams = team_list_for_user(user=self.viewer).prefetch_related("members").order_by("name_ru", "id")
        return Response(TeamOutputSerializer(teams, many=True, context=self.get_serializer_context()).data)


class TeamDetailView(ApiView):
    output_serializer_class = TeamOutputSerializer

    @extend_schema(tags=["users and teams"], summary="Read a team")
    def get(self, request: Request, team_id: int) -> Response:
        try:
            team = team_list_for_user(user=self.viewer).prefetch_related("members").get(pk=team_id)
        except Team.DoesNotExist as exc:
            raise Http404 from exc
        return self.output(team)
