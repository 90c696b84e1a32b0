"""Reads the API needs that no app's selectors offer yet (users; reference data as the viewer
may see it), plus the name search shared by the customer lists. Scoped to the viewer like
every selector."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from api.permissions import is_staff_viewer, manages_customers
from tickets.models import ServiceCategory, Tag


def user_list_for_user(*, user: User) -> QuerySet[User]:
    """Staff who work with tickets (every role but contractor) see every user; a contractor or a
    client contact sees only themselves."""
    qs = User.objects.prefetch_related("teams")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if manages_customers(user):
        return qs
    return qs.filter(pk=user.pk)


def user_get_for_user(*, user: User, user_id: int) -> User:
    try:
        return user_list_for_user(user=user).get(pk=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def service_category_list_for_user(*, user: User) -> QuerySet[ServiceCategory]:
    """Staff see the whole catalogue; client contacts see the active entries shown in the portal."""
    qs = ServiceCategory.objects.all()
    if is_staff_viewer(user):
        return qs
    return qs.filter(is_active=True, visible_in_portal=True)


def tag_list_for_user(*, user: User) -> QuerySet[Tag]:
    """Tags are internal labels: staff only."""
    if is_staff_viewer(user):
        return Tag.objects.all()
    return Tag.objects.none()
