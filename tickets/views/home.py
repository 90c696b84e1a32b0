from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect

from core.http import AuthedHttpRequest


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    if request.user.is_client:
        return redirect("portal:ticket_list")
    return redirect("tickets:queue")
