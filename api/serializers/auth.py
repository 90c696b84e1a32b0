from rest_framework import serializers


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="The user's email.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
