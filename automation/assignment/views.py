"""Assignment pages: team strategies, agents' schedules, absences and skills.
Administrators and supervisors manage; every staff member sees their own schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from automation.assignment.forms import AbsenceForm, ScheduleForm, TeamAssignmentForm
from automation.assignment.schedules import availability
from automation.assignment.selectors import (
    agent_get_for_user,
    agent_list_for_user,
    agent_profile_of,
    can_manage_assignment,
    team_assignment_of,
    team_get_for_user,
    team_list_for_user,
)
from automation.assignment.services import (
    absence_create,
    absence_delete,
    agent_profile_set,
    team_assignment_set,
    work_shifts_set,
)
from automation.choices import AbsenceKind
from automation.models import Absence, WorkShift
from core.http import AuthedHttpRequest
from tickets.reference import reference
from tickets.views.common import agent_required


def _manager_required(request: AuthedHttpRequest) -> None:
    if not can_manage_assignment(request.user):
        raise PermissionDenied


@agent_required
def team_list(request: AuthedHttpRequest) -> HttpResponse:
    _manager_required(request)
    teams = list(team_list_for_user(user=request.user).prefetch_related("members"))
    rows = [(team, team_assignment_of(team), len(team.members.all())) for team in teams]
    return render(request, "automation/team_list.html", {"rows": rows, "nav": "assignment", "tab": "teams"})


@agent_required
def team_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _manager_required(request)
    team = team_get_for_user(user=request.user, team_id=pk)
    setting = team_assignment_of(team)
    form = TeamAssignmentForm(request.POST or None, setting=setting, priorities=reference().active_priorities)
    if request.method == "POST" and form.is_valid():
        try:
            team_assignment_set(team=team, strategy=form.cleaned_data["strategy"], priority_weights=form.weights())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("automation_assignment:team_list")
    return render(
        request, "automation/team_edit.html", {"team": team, "form": form, "nav": "assignment", "tab": "teams"}
    )


STATE_LABELS = {
    "": gettext_lazy("at work"),
    "off_shift": gettext_lazy("off shift"),
}


@agent_required
def agent_list(request: AuthedHttpRequest) -> HttpResponse:
    agents = list(agent_list_for_user(user=request.user).prefetch_related("agent_profile__categories"))
    away = availability(users=agents, at=timezone.now())
    labels = {**{k: str(v) for k, v in STATE_LABELS.items()}, **{k: str(v) for k, v in AbsenceKind.choices}}
    rows = [(agent, away[agent.pk], labels.get(away[agent.pk], away[agent.pk])) for agent in agents]
    return render(
        request,
        "automation/agent_list.html",
        {"rows": rows, "nav": "assignment", "tab": "agents", "can_manage": can_manage_assignment(request.user)},
    )


@agent_required
def agent_schedule(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The schedule editor: weekly shifts, skills and home base (one form), absences (their own
    forms). Agents open their own page read-only."""
    agent = agent_get_for_user(user=request.user, agent_id=pk)
    can_edit = can_manage_assignment(request.user)
    profile = agent_profile_of(agent)
    shifts = {s.weekday: (s.start, s.end) for s in WorkShift.objects.filter(user=agent).order_by("weekday", "start")}
    form = ScheduleForm(request.POST or None, profile=profile, shifts=shifts)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                work_shifts_set(user=agent, shifts=form.shifts())
                agent_profile_set(
                    user=agent,
                    categories=form.cleaned_data["categories"],
                    home_latitude=form.cleaned_data["home_latitude"],
                    home_longitude=form.cleaned_data["home_longitude"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("automation_assignment:agent_schedule", pk=agent.pk)
    now = timezone.now()
    return render(
        request,
        "automation/agent_schedule.html",
        {
            "agent": agent,
            "form": form,
            "absence_form": AbsenceForm(),
            "absences": Absence.objects.filter(user=agent, end_date__gte=now.date()).order_by("start_date"),
            "past_absences": Absence.objects.filter(user=agent, end_date__lt=now.date()).order_by("-start_date")[:10],
            "state": availability(users=[agent], at=now)[agent.pk],
            "state_labels": {**STATE_LABELS, **dict(AbsenceKind.choices)},
            "can_edit": can_edit,
            "nav": "assignment",
            "tab": "agents",
        },
    )


@agent_required
@require_POST
def absence_add(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _manager_required(request)
    agent = agent_get_for_user(user=request.user, agent_id=pk)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            absence_create(
                user=agent,
                kind=form.cleaned_data["kind"],
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, _("Absence added."))
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, "; ".join(errors))
    return redirect("automation_assignment:agent_schedule", pk=agent.pk)


@agent_required
@require_POST
def absence_remove(request: AuthedHttpRequest, pk: int, absence_id: int) -> HttpResponse:
    _manager_required(request)
    agent = agent_get_for_user(user=request.user, agent_id=pk)
    absence_delete(absence=get_object_or_404(Absence, pk=absence_id, user=agent))
    messages.success(request, _("Absence removed."))
    return redirect("automation_assignment:agent_schedule", pk=agent.pk)
