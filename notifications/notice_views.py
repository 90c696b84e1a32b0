"""Staff screens of the client notices (docs/architecture/notices.md): the templates and the teams'
busy auto-reply under Settings (administrators), a company's switches (staff who edit companies)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import Team
from core.forms import form_add_service_errors
from core.http import AuthedHttpRequest
from customers.selectors import company_get_for_user
from notifications.choices import NoticeKind
from notifications.forms import CompanyNoticeForm, NoticeTemplateForm, TeamBusyReplyForm
from notifications.models import CompanyNoticeSettings, NoticeTemplate, TeamBusyReply
from notifications.notice_defaults import DEFAULT_TEMPLATES
from notifications.notices import PLACEHOLDERS, default_announced_status_ids
from notifications.services import company_notice_settings_update, notice_template_update, team_busy_reply_update
from tickets.models import Status
from tickets.views.admin_views import REFERENCE_KINDS
from tickets.views.common import admin_required, dispatcher_required


def _placeholders() -> list[tuple[str, str]]:
    descriptions = {
        "number": _("the request number"),
        "title": _("the request subject"),
        "status": _("the request's status"),
        "engineer": _("the assigned engineer's name"),
        "company": _("the client's company"),
        "contact": _("the client's name"),
        "link": _("the request page, where a resolved request is confirmed or reopened"),
    }
    return [("{" + name + "}", descriptions[name]) for name in PLACEHOLDERS]


@admin_required
def notice_template_list(request: AuthedHttpRequest) -> HttpResponse:
    templates = {(t.kind, t.language): t for t in NoticeTemplate.objects.all()}
    rows = [(kind, [templates.get((kind.value, language)) for language in ("ru", "en")]) for kind in NoticeKind]
    return render(
        request,
        "notifications/notice_template_list.html",
        {
            "rows": rows,
            "placeholders": _placeholders(),
            "kinds": REFERENCE_KINDS,
            "nav": "settings",
            "section": "notices",
        },
    )


@admin_required
def notice_template_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(NoticeTemplate, pk=pk)
    default = DEFAULT_TEMPLATES[template.kind][template.language]
    if request.method == "POST" and request.POST.get("restore"):
        form = NoticeTemplateForm(initial=default)
    else:
        form = NoticeTemplateForm(request.POST or None, initial={"subject": template.subject, "body": template.body})
    if request.method == "POST" and not request.POST.get("restore") and form.is_valid():
        try:
            notice_template_update(template=template, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("notifications:notice_template_list")
    return render(
        request,
        "notifications/notice_template_edit.html",
        {
            "template": template,
            "form": form,
            "placeholders": _placeholders(),
            "kinds": REFERENCE_KINDS,
            "nav": "settings",
            "section": "notices",
        },
        status=400 if form.errors else 200,
    )


@admin_required
def busy_reply_list(request: AuthedHttpRequest) -> HttpResponse:
    teams = Team.objects.filter(is_active=True).order_by("name_ru")
    settings = {row.team_id: row for row in TeamBusyReply.objects.select_related("calendar")}
    rows = [(team, settings.get(team.pk)) for team in teams]
    return render(
        request,
        "notifications/busy_reply_list.html",
        {"rows": rows, "kinds": REFERENCE_KINDS, "nav": "settings", "section": "busy"},
    )


@admin_required
def busy_reply_edit(request: AuthedHttpRequest, team_pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_pk)
    row = TeamBusyReply.objects.filter(team=team).first() or TeamBusyReply(team=team)
    initial = {"enabled": row.enabled, "after_minutes": row.after_minutes, "hours": row.hours, "calendar": row.calendar}
    form = TeamBusyReplyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            team_busy_reply_update(team=team, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("notifications:busy_reply_list")
    return render(
        request,
        "notifications/busy_reply_edit.html",
        {"team": team, "form": form, "kinds": REFERENCE_KINDS, "nav": "settings", "section": "busy"},
        status=400 if form.errors else 200,
    )


@dispatcher_required
def company_notices_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = company_get_for_user(user=request.user, company_id=pk)
    row = (
        CompanyNoticeSettings.objects.filter(company=company)
        .prefetch_related(Prefetch("announced_statuses", queryset=Status.objects.only("pk")))
        .first()
    )
    if row is None:
        initial = {
            "acknowledgement": True,
            "assigned": True,
            "resolved": True,
            "busy": True,
            "announced_statuses": list(default_announced_status_ids()),
        }
    else:
        initial = {
            "acknowledgement": row.acknowledgement,
            "assigned": row.assigned,
            "resolved": row.resolved,
            "busy": row.busy,
            "announced_statuses": [s.pk for s in row.announced_statuses.all()],
        }
    form = CompanyNoticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        company_notice_settings_update(company=company, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("customers:company_detail", pk=company.pk)
    return render(
        request,
        "notifications/company_notices.html",
        {
            "company": company,
            "form": form,
            "switches": [form[name] for name in ("acknowledgement", "assigned", "resolved", "busy")],
            "nav": "companies",
        },
        status=400 if form.errors else 200,
    )
