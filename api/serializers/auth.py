from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Credentials")
class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="The user's email.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


@extend_schema_serializer(component_name="Token")
class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
