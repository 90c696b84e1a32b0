from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LoginForm, ProfileForm
from core.http import AuthedHttpRequest


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        ip = client_ip(request)
        if services.login_is_throttled(email=email, ip=ip):
            form.add_error(None, _("Too many failed attempts. Wait 15 minutes and try again."))
            status = 429
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is None:
                services.login_failed(email=email, ip=ip)
                form.add_error(None, _("Wrong email or password."))
                status = 400
            else:
                services.login_succeeded(email=email)
                login(request, user)  # rotates the session key
                return redirect(_safe_next(request) or "home")
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request) or ""}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    is_client = request.user.is_authenticated and request.user.is_client
    logout(request)
    return redirect("portal:login" if is_client else "accounts:login")


@login_required
def profile_view(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(
            user=user,
            language=form.cleaned_data["language"],
            time_zone=form.cleaned_data["time_zone"],
            full_name=form.cleaned_data["full_name"],
        )
        messages.success(request, _("Profile saved."))
        return redirect("accounts:profile")
    base = "portal/base.html" if user.is_client else "agent_base.html"
    return render(request, "accounts/profile.html", {"form": form, "base_template": base})
