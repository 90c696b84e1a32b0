"""Writes about people: login attempts, magic links, profiles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate, login
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from accounts.models import LoginToken, User
from core.http import client_ip

LOGIN_FAILURE_LIMIT = 5  # per email address
# Per client address: higher, because a whole office often shares one public IP.
LOGIN_FAILURE_LIMIT_PER_IP = 50
LOGIN_FAILURE_WINDOW = 15 * 60
MAGIC_LINK_TTL = timedelta(minutes=30)


def _failure_key(identifier: str) -> str:
    return "login-fail:" + hashlib.sha256(identifier.encode()).hexdigest()


def login_is_throttled(*, email: str, ip: str) -> bool:
    """True when too many failed logins came for this email or from this address recently."""
    limits = ((f"email:{email.lower()}", LOGIN_FAILURE_LIMIT), (f"ip:{ip}", LOGIN_FAILURE_LIMIT_PER_IP))
    return any((cache.get(_failure_key(key)) or 0) >= limit for key, limit in limits)


def login_failed(*, email: str, ip: str) -> None:
    for key in (f"email:{email.lower()}", f"ip:{ip}"):
        cache_key = _failure_key(key)
        cache.add(cache_key, 0, LOGIN_FAILURE_WINDOW)
        try:
            cache.incr(cache_key)
        except ValueError:
            cache.set(cache_key, 1, LOGIN_FAILURE_WINDOW)


def login_succeeded(*, email: str) -> None:
    cache.delete(_failure_key(f"email:{email.lower()}"))


class LoginRefused(Exception):
    """A password login that did not sign anyone in: `message` for the person, `status` for HTTP."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def password_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Sign in by email and password, counting failures per email and per address.
    Rotates the session key (django.contrib.auth.login). Raises LoginRefused."""
    email = email.lower()
    ip = client_ip(request)
    if login_is_throttled(email=email, ip=ip):
        raise LoginRefused(_("Too many failed attempts. Wait 15 minutes and try again."), 429)
    user = authenticate(request, username=email, password=password)
    if user is None:
        login_failed(email=email, ip=ip)
        raise LoginRefused(_("Wrong email or password."), 400)
    login_succeeded(email=email)
    login(request, user)
    return user  # type: ignore[return-value]


@transaction.atomic
def magic_link_create(*, user: User) -> str:
    """A one-time login token for `user`, valid MAGIC_LINK_TTL. Only its hash is stored."""
    token = secrets.token_urlsafe(32)
    LoginToken.objects.create(
        user=user,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + MAGIC_LINK_TTL,
    )
    return token


@transaction.atomic
def magic_link_consume(*, token: str) -> User | None:
    """The user a valid, unused, unexpired token belongs to (marking it used), or None."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    login_token = (
        LoginToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=digest, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if login_token is None or not login_token.user.is_active:
        return None
    login_token.used_at = timezone.now()
    login_token.save(update_fields=["used_at"])
    return login_token.user


def user_update_preferences(*, user: User, language: str, time_zone: str, full_name: str | None = None) -> User:
    user.language = language
    user.time_zone = time_zone
    fields = ["language", "time_zone"]
    if full_name:
        user.full_name = full_name
        fields.append("full_name")
    user.full_clean(exclude=["password", "email", "contact"])
    user.save(update_fields=fields)
    return user


@transaction.atomic
def api_token_get_or_create(*, user: User) -> Token:
    """The user's API token, created on first use. One token per user; it stays valid until it is
    deleted (deactivating the user also stops it: TokenAuthentication refuses inactive users)."""
    token, _created = Token.objects.get_or_create(user=user)
    return token
