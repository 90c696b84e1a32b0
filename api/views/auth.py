"""/api/v1/auth/token/: trade an email and password for an API token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.services import (
    LOGIN_FAILURE_WINDOW,
    api_token_get_or_create,
    login_failed,
    login_is_throttled,
    login_succeeded,
)
from api.serializers.auth import TokenInputSerializer, TokenOutputSerializer
from api.throttling import LoginRateThrottle
from api.views.base import ApiView


class TokenView(ApiView):
    # No session authentication here, so no CSRF check: a script posts JSON without a cookie.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    parser_classes = [JSONParser, FormParser]
    input_serializer_class = TokenInputSerializer
    output_serializer_class = TokenOutputSerializer

    @extend_schema(
        tags=["authentication"],
        summary="Get an API token",
        description="The same token every time until it is revoked. Too many failed attempts for one email or "
        "from one address lock logins for 15 minutes (429 with Retry-After), as on the web login page.",
        request=TokenInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: OpenApiResponse(description="Wrong email or password, or a missing field."),
            429: OpenApiResponse(description="Too many attempts; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated_input()
        email = data["username"].strip().lower()
        ip = request.META.get("REMOTE_ADDR", "")
        if login_is_throttled(email=email, ip=ip):
            raise exceptions.Throttled(
                wait=LOGIN_FAILURE_WINDOW, detail=_("Too many failed attempts. Wait 15 minutes and try again.")
            )
        user = authenticate(request, username=email, password=data["password"])
        if user is None:
            login_failed(email=email, ip=ip)
            raise exceptions.ValidationError({"non_field_errors": [_("Wrong email or password.")]})
        login_succeeded(email=email)
        return Response({"token": api_token_get_or_create(user=user).key})
