"""The SLA section's front page: where calendars, policies and the report live."""

from django.http import HttpResponse
from django.shortcuts import render

from core.http import AuthedHttpRequest
from sla.views.common import sla_manager_required


@sla_manager_required
def sla_index(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "sla/index.html", {"nav": "sla"})
