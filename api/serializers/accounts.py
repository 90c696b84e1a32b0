"""Users and teams (read-only in the API)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.choices import Language, Role
from core.http import MAX_ID


@extend_schema_serializer(component_name="User")
class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    phone = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    time_zone = serializers.CharField()
    is_active = serializers.BooleanField()
    contact_id = serializers.IntegerField(allow_null=True, help_text="For client contacts: their contact card.")
    team_ids = serializers.SerializerMethodField()

    def get_team_ids(self, user: Any) -> list[int]:
        return sorted(team.pk for team in user.teams.all())


class UserListParamsSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Name or email contains this."
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="Team id.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


@extend_schema_serializer(component_name="Team")
class TeamOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    name_ru = serializers.CharField()
    name_en = serializers.CharField()
    email = serializers.CharField()
    supervisor_id = serializers.IntegerField(allow_null=True)
    member_ids = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()

    def get_member_ids(self, team: Any) -> list[int]:
        return sorted(member.pk for member in team.members.all())
