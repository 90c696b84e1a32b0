"""The base every API view builds on: separate input and output serializers, selector-scoped
querysets handed in by the view, and the list orders (by id, by last update for sync, or any
keyset order a view chooses)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from api.pagination import KeysetCursorPagination, UpdatedCursorPagination
from api.renderers import BrowsableAPIRenderer


class ApiView(GenericAPIView):
    # `input_serializer_class` parses what a POST/PATCH sends, `output_serializer_class` is what
    # every answer shows. No queryset lives on the view: each handler asks a selector. (A comment,
    # not a docstring: the schema would show a docstring as every operation's description.)

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    # JSON bodies; the views that take files add MultiPartParser.
    parser_classes = [JSONParser]
    input_serializer_class: type[serializers.Serializer] | None = None
    output_serializer_class: type[serializers.Serializer] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # A token is only checked here, after UserLanguageMiddleware saw an anonymous request: give
        # token clients the UI's behaviour too. An explicit Accept-Language still wins.
        user = request.user
        if isinstance(user, User):
            if "HTTP_ACCEPT_LANGUAGE" not in request.META:
                translation.activate(user.language)
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()

    @property
    def viewer(self) -> User:
        """The caller. Every view but the token one requires authentication, so this is a user."""
        user = self.request.user
        assert isinstance(user, User)
        return user

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        # Used by the browsable API to draw its forms.
        if self.request.method in ("POST", "PATCH", "PUT") and self.input_serializer_class is not None:
            return self.input_serializer_class
        assert self.output_serializer_class is not None
        return self.output_serializer_class

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.BaseSerializer:
        # Only the browsable API calls this, to draw its forms. An input serializer describes what
        # may be sent and cannot represent a model instance, so its forms start empty.
        if args or "instance" in kwargs:
            kwargs.pop("instance", None)
            args = ()
        return super().get_serializer(*args, **kwargs)

    def validated_input(self, *, data: Any = None, serializer_class: type[serializers.Serializer] | None = None) -> Any:
        serializer_class = serializer_class or self.input_serializer_class
        assert serializer_class is not None
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def output(self, instance: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        assert self.output_serializer_class is not None
        data = self.output_serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status, headers=headers)

    def paginated_output(
        self, queryset: Any, *, by_updated: bool = False, order: Sequence[str] | None = None
    ) -> Response:
        """One page of `queryset` by id, newest first, or, when the client asked for
        `updated_since`, by last update (see UpdatedCursorPagination); with `order`, by that
        order's keyset (KeysetCursorPagination)."""
        assert self.output_serializer_class is not None
        paginator: BasePagination | None
        if order is not None:
            paginator = KeysetCursorPagination(order=order)
        else:
            paginator = UpdatedCursorPagination() if by_updated else self.paginator
        assert paginator is not None
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = self.output_serializer_class(page, many=True, context=self.get_serializer_context()).data
        return paginator.get_paginated_response(data)

    def unpaginated_output(self, rows: Iterable[Any]) -> Response:
        """A paginated-shaped answer holding everything at once (search results)."""
        assert self.output_serializer_class is not None
        data = self.output_serializer_class(list(rows), many=True, context=self.get_serializer_context()).data
        return Response({"next": None, "previous": None, "results": data})
