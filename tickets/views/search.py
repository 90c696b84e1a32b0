from django.http import HttpResponse
from django.shortcuts import redirect, render

from core.http import AuthedHttpRequest
from customers.selectors import company_search_for_user, contact_search_for_user
from tickets.selectors import ticket_search_for_user
from tickets.views.common import agent_required


@agent_required
def search_view(request: AuthedHttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    number = query.lstrip("#№ ")
    if number.isdecimal() and len(number) < 12:
        hit = ticket_search_for_user(user=request.user, query="", number=int(number))
        if hit:
            return redirect("tickets:detail", number=int(number))
    tickets = ticket_search_for_user(user=request.user, query=query) if query else []
    contacts = contact_search_for_user(user=request.user, query=query, limit=8) if query else []
    companies = company_search_for_user(user=request.user, query=query, limit=8)
    return render(
        request,
        "tickets/search.html",
        {"search_query": query, "tickets": tickets, "contacts": contacts, "companies": companies, "nav": "search"},
    )
