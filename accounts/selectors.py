"""Reads about people, scoped to the person asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.choices import Role
from accounts.models import User


def user_list_for_user(*, user: User) -> QuerySet[User]:
    """Staff who work with tickets (every role but contractor) see every user; a contractor or a
    client contact sees only themselves."""
    qs = User.objects.prefetch_related("teams")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_agent_side and user.role != Role.CONTRACTOR:
        return qs
    return qs.filter(pk=user.pk)


def user_get_for_user(*, user: User, user_id: int) -> User:
    try:
        return user_list_for_user(user=user).get(pk=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc
