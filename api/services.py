"""Writes that only the API needs. DESIGN.md gives API tokens to `accounts`; this lives here
until accounts.services takes it over."""

from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import User


@transaction.atomic
def api_token_get_or_create(*, user: User) -> Token:
    """The user's API token, created on first use. One token per user; it stays valid until it is
    deleted (deactivating the user also stops it: TokenAuthentication refuses inactive users)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token
