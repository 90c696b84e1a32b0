"""Who may call which endpoint at all. Which *rows* they see is the selectors' job; these only
refuse whole operations (403) that a role can never perform."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.choices import Role


def is_staff_viewer(user: object) -> bool:
    """Staff of the service company (any role but client)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_agent_side", False))


def manages_customers(user: object) -> bool:
    """Staff who work with the customer base: everyone on the agent side except contractors."""
    return is_staff_viewer(user) and getattr(user, "role", None) != Role.CONTRACTOR


class IsStaff(BasePermission):
    message = _("Only staff members can use this endpoint.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_staff_viewer(request.user)


class ReadOnlyOrManagesCustomers(BasePermission):
    """Anyone signed in may read (rows are scoped by the selectors); companies, contacts and
    sites are written by staff other than contractors."""

    message = _("You cannot change customer records.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or manages_customers(request.user)


class CanCreateTickets(BasePermission):
    """Contractors see only tickets assigned to them, so they do not open new ones."""

    message = _("Contractors cannot create tickets.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method != "POST" or getattr(request.user, "role", None) != Role.CONTRACTOR


class ManagesCustomers(BasePermission):
    """Contracts, price lists, coverage and the client classification are for staff who work with
    the customer base; client contacts and contractors are refused outright."""

    message = _("Only staff who work with the customer base can use this endpoint.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return manages_customers(request.user)


def manages_sla(user: object) -> bool:
    """SLA policies and calendars are set up by administrators and supervisors."""
    return is_staff_viewer(user) and getattr(user, "role", None) in (Role.ADMIN, Role.SUPERVISOR)


class ReadsOrManagesSla(BasePermission):
    """Staff who work with the customer base read the SLA set-up; administrators and supervisors
    change it. Client contacts and contractors are refused outright."""

    message = _("Only administrators and supervisors can change the SLA set-up.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return manages_customers(request.user)
        return manages_sla(request.user)
