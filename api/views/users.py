"""/api/v1/users/ (read-only)."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_get_for_user, user_list_for_user
from api.pagination import IdCursorPagination
from api.serializers.accounts import UserListParamsSerializer, UserOutputSerializer
from api.views.base import ApiView
from core.db import icontains_q


class UserListView(ApiView):
    pagination_class = IdCursorPagination
    output_serializer_class = UserOutputSerializer

    @extend_schema(
        tags=["users and teams"],
        summary="List users",
        description="Staff (but contractors) see every user, e.g. to pick an assignee; a contractor or a client "
        "contact sees only themselves. Newest first, 50 a page; follow `next`.",
        parameters=[UserListParamsSerializer],
        responses=UserOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = self.validated_input(data=request.query_params, serializer_class=UserListParamsSerializer)
        users = user_list_for_user(user=self.viewer)
        if params.get("search", "").strip():
            text = params["search"].strip()
            users = users.filter(icontains_q("full_name", text) | Q(email__icontains=text))
        if params.get("role"):
            users = users.filter(role=params["role"])
        if params.get("team") is not None:
            users = users.filter(teams=params["team"])
        if params.get("is_active") is not None:
            users = users.filter(is_active=params["is_active"])
        return self.paginated_output(users)


class UserMeView(ApiView):
    output_serializer_class = UserOutputSerializer

    @extend_schema(tags=["users and teams"], summary="The caller")
    def get(self, request: Request) -> Response:
        return self.output(user_get_for_user(user=self.viewer, user_id=self.viewer.pk))


class UserDetailView(ApiView):
    output_serializer_class = UserOutputSerializer

    @extend_schema(tags=["users and teams"], summary="Read a user")
    def get(self, request: Request, user_id: int) -> Response:
        return self.output(user_get_for_user(user=self.viewer, user_id=user_id))
