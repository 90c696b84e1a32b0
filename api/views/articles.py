"""/api/v1/tickets/{number}/articles/ and the attachments' downloads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import ArticleCursorPagination
from api.serializers.articles import ArticleCreateInputSerializer, ArticleOutputSerializer
from api.uploads import uploaded_files
from api.views.base import ApiView
from tickets.choices import Channel
from tickets.selectors import article_list_for_user, ticket_get_for_user
from tickets.services import ticket_reply

NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="The ticket's number.")


class TicketArticleListCreateView(ApiView):
    parser_classes = [JSONParser, MultiPartParser]
    pagination_class = ArticleCursorPagination
    input_serializer_class = ArticleCreateInputSerializer
    output_serializer_class = ArticleOutputSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "ticket_number": self.kwargs["number"]}

    @extend_schema(
        tags=["articles"],
        summary="A ticket's conversation",
        description="Oldest first. Client contacts never see internal notes.",
        parameters=[NUMBER],
        responses=ArticleOutputSerializer(many=True),
    )
    def get(self, request: Request, number: int) -> Response:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        return self.paginated_output(article_list_for_user(user=self.viewer, ticket=ticket))

    @extend_schema(
        tags=["articles"],
        summary="Reply or add an internal note",
        description="A public reply (client contacts and staff) or an internal `note` (staff only). "
        "Send JSON, or multipart/form-data to attach files. A client's reply reopens a pending or resolved ticket.",
        parameters=[NUMBER],
        request=ArticleCreateInputSerializer,
        responses={201: ArticleOutputSerializer},
    )
    def post(self, request: Request, number: int) -> Response:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        data = self.validated_input()
        article = ticket_reply(
            ticket=ticket,
            author=self.viewer,
            body=data.get("body", ""),
            kind=data["kind"],
            channel=Channel.API,
            attachments=uploaded_files(data.get("attachments", [])),
        )
        return self.output(article_list_for_user(user=self.viewer, ticket=ticket).get(pk=article.pk), status=201)


class _AnyContentNegotiation(BaseContentNegotiation):
    """A download answers whatever the client says it accepts; errors are still JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class TicketAttachmentView(ApiView):
    content_negotiation_class = _AnyContentNegotiation

    @extend_schema(
        tags=["articles"],
        summary="Download an attachment",
        description="The file, if the caller may see the article it belongs to.",
        parameters=[NUMBER],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, number: int, attachment_id: int) -> FileResponse:
        ticket = ticket_get_for_user(user=self.viewer, number=number)
        visible_articles = article_list_for_user(user=self.viewer, ticket=ticket).order_by().values("id")
        attachment = get_object_or_404(ticket.attachments.filter(article_id__in=visible_articles), pk=attachment_id)
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
