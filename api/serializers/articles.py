"""Conversation articles (replies, internal notes) and their attachments."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from tickets.choices import ArticleKind, AuthorKind, Channel


@extend_schema_serializer(component_name="Attachment")
class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Download address (same authentication as the API).")

    def get_url(self, attachment: Any) -> str:
        path = reverse(
            "api:ticket-attachment",
            kwargs={"number": self.context["ticket_number"], "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_serializer(component_name="Article")
class ArticleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ArticleKind.choices, help_text="`note` articles are never shown to clients.")
    author_kind = serializers.ChoiceField(choices=AuthorKind.choices)
    author_name = serializers.CharField()
    author_user_id = serializers.IntegerField(allow_null=True, help_text="Set when a user (staff or client) wrote it.")
    author_contact_id = serializers.IntegerField(allow_null=True, help_text="Set when a client contact wrote it.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    body = serializers.CharField()
    received_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOutputSerializer(many=True)


@extend_schema_serializer(component_name="ArticleCreate")
class ArticleCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200_000)
    kind = serializers.ChoiceField(
        choices=ArticleKind.choices,
        default=ArticleKind.PUBLIC,
        help_text="`public` reply (default) or internal `note` (staff only).",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        max_length=20,
        help_text="Files, sent as multipart/form-data (repeat the `attachments` part for several).",
    )
