from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.choices import Role
from core.http import AuthedHttpRequest
from tickets.services import UploadedFileData


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff pages: clients are sent to the portal, anonymous visitors to the login page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_agent_side:
            return redirect("portal:ticket_list")
        return view(request, *args, **kwargs)

    return wrapper


def dispatcher_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff pages that open tickets or show the customer base: not for contractors, who only
    see the tickets assigned to them. 404 like any other page they may not see."""

    @agent_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.role == Role.CONTRACTOR:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @agent_required
    @wraps(view)
    def wrapper(request: AuthedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def local_back(request: HttpRequest, default: str = "/tickets/") -> str:
    """The `back` address posted by a form when it is a path on this site, else `default`:
    a crafted form must not send an agent to another site ("//evil.example" is not a path)."""
    back = request.POST.get("back") or ""
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def uploads(files: list[Any]) -> list[UploadedFileData]:
    return [UploadedFileData(name=f.name, content_type=f.content_type or "", file=f) for f in files]
