from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User


class ClientRequest(HttpRequest):
    """What a view behind client_required receives: the user is a signed-in client contact."""

    user: User


def client_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Portal pages are for client contacts: visitors go to the portal login (and come back),
    staff go to their queue."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
        if not user.is_client:
            return redirect("tickets:queue")
        return view(request, *args, **kwargs)

    return wrapper
