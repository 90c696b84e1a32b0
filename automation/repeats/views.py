"""Potential incidents: the supervisor's list and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from automation.assignment.selectors import can_manage_assignment
from automation.choices import IncidentState
from automation.repeats.selectors import incident_counts_for_user, incident_get_for_user, incident_list_for_user
from automation.repeats.services import incident_dismiss, incident_make_parent
from core.http import AuthedHttpRequest
from tickets.views.common import agent_required

PAGE_SIZE = 50


@agent_required
def incident_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can_manage_assignment(request.user):
        raise PermissionDenied
    state = request.GET.get("state") or IncidentState.OPEN
    if state not in IncidentState.values:
        state = IncidentState.OPEN
    incidents = list(incident_list_for_user(user=request.user, state=state)[:PAGE_SIZE])
    return render(
        request,
        "automation/incident_list.html",
        {
            "incidents": incidents,
            "state": state,
            "states": IncidentState.choices,
            "counts": incident_counts_for_user(user=request.user),
            "nav": "assignment",
            "tab": "incidents",
        },
    )


@agent_required
@require_POST
def incident_make_parent_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    incident = incident_get_for_user(user=request.user, incident_id=pk)
    try:
        parent = incident_make_parent(
            incident=incident,
            actor=request.user,
            title=request.POST.get("title", "")[:255],
            notice=request.POST.get("notice", "")[:5000],
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("automation_assignment:incident_list")
    messages.success(
        request,
        _("Parent incident #%(number)s created; %(n)s clients were told.")
        % {"number": parent.number, "n": parent.children.exclude(contact=None).count()},
    )
    return redirect("tickets:detail", number=parent.number)


@agent_required
@require_POST
def incident_dismiss_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    incident = incident_get_for_user(user=request.user, incident_id=pk)
    try:
        incident_dismiss(incident=incident, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Dismissed: the tickets stay linked."))
    return redirect("automation_assignment:incident_list")
