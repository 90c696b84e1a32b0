"""Reference data: statuses, priorities, ticket types, the service catalogue, tags."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from tickets.choices import StatusCategory


class _BilingualSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable across installations; accepted wherever an id is.")
    name = serializers.CharField(help_text="In the request's language.")
    name_ru = serializers.CharField()
    name_en = serializers.CharField()
    order = serializers.IntegerField()
    is_active = serializers.BooleanField()


@extend_schema_serializer(component_name="Status")
class StatusOutputSerializer(_BilingualSerializer):
    category = serializers.ChoiceField(choices=StatusCategory.choices)
    colour = serializers.CharField()
    is_default = serializers.BooleanField(help_text="Given to new tickets.")
    is_delay = serializers.BooleanField(help_text="Needs `delayed_until`; the ticket reopens by itself then.")


@extend_schema_serializer(component_name="Priority")
class PriorityOutputSerializer(_BilingualSerializer):
    colour = serializers.CharField()
    is_default = serializers.BooleanField()


@extend_schema_serializer(component_name="TicketType")
class TicketTypeOutputSerializer(_BilingualSerializer):
    pass


@extend_schema_serializer(component_name="ServiceCategory")
class ServiceCategoryOutputSerializer(_BilingualSerializer):
    parent_id = serializers.IntegerField(allow_null=True)
    default_team_id = serializers.IntegerField(allow_null=True, help_text="New tickets in this category go to it.")
    visible_in_portal = serializers.BooleanField()


@extend_schema_serializer(component_name="Tag")
class TagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TagListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text="Name contains this.")
