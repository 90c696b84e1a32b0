"""Logging in to the portal: by password, or by a one-time link sent by email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services as account_services
from accounts.backends import BACKEND_PATH
from accounts.forms import LoginForm
from accounts.models import User
from core.http import client_ip, safe_next_url
from portal import services
from portal.forms import MagicLinkRequestForm

# The login page holds two forms; a hidden "action" input says which one was sent.
ACTION_LOGIN = "password"
ACTION_LINK = "link"


def _landing(user: User, next_url: str = "") -> HttpResponse:
    if not user.is_client:
        return redirect("tickets:queue")
    return redirect(next_url or "portal:ticket_list")


@never_cache
@sensitive_post_parameters("password-password")
def login_view(request: HttpRequest) -> HttpResponse:
    """Both ways in on one page: the password form and the "email me a link" form."""
    if request.user.is_authenticated:
        return _landing(request.user, safe_next_url(request))
    action = request.POST.get("action") if request.method == "POST" else None
    password_form = LoginForm(request.POST if action == ACTION_LOGIN else None, prefix=ACTION_LOGIN)
    link_form = MagicLinkRequestForm(request.POST if action == ACTION_LINK else None, prefix=ACTION_LINK)
    next_url = safe_next_url(request)
    status = 200

    if action == ACTION_LOGIN and password_form.is_valid():
        try:
            user = account_services.password_login(
                request=request,
                email=password_form.cleaned_data["email"],
                password=password_form.cleaned_data["password"],
            )
        except account_services.LoginRefused as refused:
            password_form.add_error(None, refused.message)
            status = refused.status
        else:
            return _landing(user, next_url)
    elif action == ACTION_LOGIN:
        status = 400

    if action == ACTION_LINK and link_form.is_valid():
        services.magic_link_request(email=link_form.cleaned_data["email"], ip=client_ip(request), next_path=next_url)
        # The same answer whether or not the address has an account.
        messages.success(
            request,
            _(
                "If this address belongs to a portal account, a login link is on its way. "
                "It works once, for 30 minutes."
            ),
        )
        return redirect(request.get_full_path())
    elif action == ACTION_LINK:
        status = 400

    return render(
        request,
        "portal/login.html",
        {"password_form": password_form, "link_form": link_form, "next": next_url},
        status=status,
    )


@never_cache
def magic_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """Follow an emailed login link: a valid, unused, unexpired token logs its contact in once."""
    user = account_services.magic_link_consume(token=token)
    if user is None or not user.is_client:
        return render(
            request,
            "portal/magic_link_invalid.html",
            {"link_form": MagicLinkRequestForm(prefix=ACTION_LINK)},
            status=400,
        )
    account_services.login_succeeded(email=user.email)
    login(request, user, backend=BACKEND_PATH)  # rotates the session key
    return _landing(user, safe_next_url(request))
