"""Reads for the client portal, on top of the ticket and customer selectors.
Every function takes the viewer and returns nothing to anyone who is not a client contact."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.choices import Role
from accounts.models import User
from customers.models import Site
from customers.selectors import site_list_for_user
from portal.choices import TicketState
from tickets.choices import OPEN_CATEGORIES, Sort, StatusCategory
from tickets.models import ServiceCategory, Ticket
from tickets.selectors import TicketFilters, ticket_list_for_user


def ticket_list_for_client(*, user: User, state: str = TicketState.ALL) -> QuerySet[Ticket]:
    """The tickets the contact may see (their own, or their company's when the company allows
    it), newest first, narrowed to open or closed ones."""
    if not (user.is_authenticated and user.is_client):
        return Ticket.objects.none()
    filters = TicketFilters(sort=Sort.CREATED_DESC)
    if state == TicketState.OPEN:
        filters.status_categories = [c.value for c in OPEN_CATEGORIES]
    elif state == TicketState.CLOSED:
        filters.status_categories = [StatusCategory.RESOLVED.value, StatusCategory.CLOSED.value]
    return ticket_list_for_user(user=user, filters=filters)


def service_category_list_for_client(*, user: User) -> QuerySet[ServiceCategory]:
    """Service categories a contact may choose when opening a request."""
    if not (user.is_authenticated and user.is_client):
        return ServiceCategory.objects.none()
    return ServiceCategory.objects.filter(is_active=True, visible_in_portal=True).select_related("parent")


def site_list_for_client(*, user: User) -> QuerySet[Site]:
    """Active sites of the contact's company."""
    if not (user.is_authenticated and user.is_client):
        return Site.objects.none()
    return site_list_for_user(user=user).filter(is_active=True).order_by("name", "id")


def client_user_get_by_login_email(*, email: str) -> User | None:
    """The active portal user a magic link for `email` should go to: the user whose login is
    this email, or whose (active) contact card lists it. None for anyone else, staff included."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return (
        User.objects.filter(role=Role.CLIENT, is_active=True, contact__is_active=True)
        .filter(Q(email__iexact=email) | Q(contact__emails__email=email))
        .select_related("contact")
        .order_by("id")
        .first()
    )
