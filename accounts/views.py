from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LoginForm, ProfileForm
from core.http import AuthedHttpRequest, safe_next_url


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next_url(request) or "home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.password_login(
                request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except services.LoginRefused as refused:
            form.add_error(None, refused.message)
            status = refused.status
        else:
            return redirect(safe_next_url(request) or "home")
    return render(request, "accounts/login.html", {"form": form, "next": safe_next_url(request)}, status=status)


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
    context = {"form": form, "base_template": base}
    if user.is_agent_side:
        # The "Notifications" section: which alerts, and how (notifications app).
        from notifications.forms import NotificationSettingsForm
        from notifications.selectors import notification_settings_for_user, telegram_state_for_user

        context["alerts_form"] = NotificationSettingsForm(current=notification_settings_for_user(user=user))
        context["telegram"] = telegram_state_for_user(user=user)
    return render(request, "accounts/profile.html", context)
