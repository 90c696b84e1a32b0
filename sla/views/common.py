from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase

from accounts.choices import Role
from core.http import AuthedHttpRequest
from tickets.views.common import agent_required


def sla_manager_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """SLA set-up and reports: administrators and supervisors."""

    @agent_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
