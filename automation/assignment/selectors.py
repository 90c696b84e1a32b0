"""Reads for the assignment and schedule pages, scoped to who is asking."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.choices import ALL_QUEUES_ROLES, ASSIGNABLE_ROLES
from accounts.models import Team, User
from automation.models import AgentProfile, TeamAssignment


def can_manage_assignment(user: User) -> bool:
    """Administrators and supervisors set strategies and edit everyone's schedule."""
    return user.is_authenticated and user.role in ALL_QUEUES_ROLES


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    if not can_manage_assignment(user):
        return Team.objects.none()
    return Team.objects.filter(is_active=True).select_related("assignment", "supervisor").order_by("name_ru")


def team_get_for_user(*, user: User, team_id: int) -> Team:
    try:
        return team_list_for_user(user=user).get(pk=team_id)
    except Team.DoesNotExist as exc:
        raise Http404 from exc


def team_assignment_of(team: Team) -> TeamAssignment:
    """The team's setting, unsaved with the defaults when there is none yet."""
    try:
        return team.assignment
    except TeamAssignment.DoesNotExist:
        return TeamAssignment(team=team)


def agent_list_for_user(*, user: User) -> QuerySet[User]:
    """Staff whose schedules `user` may see: everyone for a supervisor, only themselves otherwise."""
    qs = (
        User.objects.filter(role__in=list(ASSIGNABLE_ROLES), is_active=True)
        .prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name_ru")))
        .select_related("agent_profile")
        .order_by("full_name", "id")
    )
    if can_manage_assignment(user):
        return qs
    if user.is_authenticated and user.is_agent_side:
        return qs.filter(pk=user.pk)
    return qs.none()


def agent_get_for_user(*, user: User, agent_id: int) -> User:
    try:
        return agent_list_for_user(user=user).get(pk=agent_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def agent_profile_of(agent: User) -> AgentProfile:
    try:
        return agent.agent_profile
    except AgentProfile.DoesNotExist:
        return AgentProfile(user=agent)
