"""URLs of automatic assignment, schedules and potential incidents (/automation/assignment/…,
/automation/incidents/…). The rules engine has its own automation/urls.py."""

from django.urls import path

from automation.assignment import views as assignment
from automation.repeats import views as repeats

app_name = "automation_assignment"
urlpatterns = [
    path("assignment/", assignment.team_list, name="team_list"),
    path("assignment/teams/<int:pk>/", assignment.team_edit, name="team_edit"),
    path("assignment/agents/", assignment.agent_list, name="agent_list"),
    path("assignment/agents/<int:pk>/", assignment.agent_schedule, name="agent_schedule"),
    path("assignment/agents/<int:pk>/absences/", assignment.absence_add, name="absence_add"),
    path(
        "assignment/agents/<int:pk>/absences/<int:absence_id>/delete/",
        assignment.absence_remove,
        name="absence_remove",
    ),
    path("incidents/", repeats.incident_list, name="incident_list"),
    path("incidents/<int:pk>/make-parent/", repeats.incident_make_parent_view, name="incident_make_parent"),
    path("incidents/<int:pk>/dismiss/", repeats.incident_dismiss_view, name="incident_dismiss"),
]
