"""Companies, contacts and sites pages for staff, each with its tickets."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from core.http import AuthedHttpRequest
from customers import services
from customers.forms import CompanyForm, ContactForm, SiteForm
from customers.selectors import (
    company_get_for_user,
    company_list_for_user,
    contact_get_for_user,
    contact_list_for_user,
    contact_match_q,
    icontains_q,
    site_get_for_user,
)
from tickets.selectors import TicketFilters, ticket_list_for_user
from tickets.views.common import dispatcher_required


@dispatcher_required
def company_list(request: AuthedHttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    qs = company_list_for_user(user=request.user)
    if query:
        qs = qs.filter(icontains_q("name", query) | Q(inn__startswith=query) | icontains_q("legal_name", query))
    page = Paginator(qs.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "customers/company_list.html", {"page": page, "q": query, "nav": "companies"})


@dispatcher_required
def company_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    company = company_get_for_user(user=request.user, company_id=pk)
    tickets = ticket_list_for_user(user=request.user, filters=TicketFilters(company_ids=[company.pk]))[:50]
    return render(
        request,
        "customers/company_detail.html",
        {
            "company": company,
            "contacts": contact_list_for_user(user=request.user).filter(company=company),
            "sites": company.sites.all(),
            "contracts": company.contracts.order_by("-starts_on", "number"),
            "equipment_count": company.equipment.filter(is_active=True).count(),
            "tickets": tickets,
            "nav": "companies",
        },
    )


@dispatcher_required
def company_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    company = company_get_for_user(user=request.user, company_id=pk) if pk else None
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "name"}
        try:
            if company is None:
                company = services.company_create(name=form.cleaned_data["name"], **fields)
            else:
                company = services.company_update(company=company, name=form.cleaned_data["name"], **fields)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:company_detail", pk=company.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("Company"), "nav": "companies"})


@dispatcher_required
def site_edit(request: AuthedHttpRequest, company_pk: int, pk: int | None = None) -> HttpResponse:
    company = company_get_for_user(user=request.user, company_id=company_pk)
    site = site_get_for_user(user=request.user, site_id=pk) if pk else None
    if site is not None and site.company_id != company.pk:
        # A site is only ever edited under its own company; never silently start a new one.
        raise Http404
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        try:
            if site is None:
                services.site_create(company=company, **form.cleaned_data)
            else:
                services.site_update(site=site, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:company_detail", pk=company.pk)
    return render(
        request, "customers/form.html", {"form": form, "title": _("Site") + f" — {company.name}", "nav": "companies"}
    )


@dispatcher_required
def contact_list(request: AuthedHttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    qs = contact_list_for_user(user=request.user)
    if query:
        qs = qs.filter(pk__in=contact_list_for_user(user=request.user).filter(contact_match_q(query)).values("pk"))
    page = Paginator(qs.order_by("full_name"), 50).get_page(request.GET.get("page"))
    return render(request, "customers/contact_list.html", {"page": page, "q": query, "nav": "contacts"})


@dispatcher_required
def contact_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = contact_get_for_user(user=request.user, contact_id=pk)
    tickets = ticket_list_for_user(user=request.user, filters=TicketFilters(contact_ids=[contact.pk]))[:50]
    return render(request, "customers/contact_detail.html", {"contact": contact, "tickets": tickets, "nav": "contacts"})


@require_POST
@dispatcher_required
def contact_verify(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contact = contact_get_for_user(user=request.user, contact_id=pk)
    services.contact_verify(contact=contact)
    messages.success(request, _("The contact is marked as verified."))
    return redirect("customers:contact_detail", pk=contact.pk)


@dispatcher_required
def contact_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    contact = contact_get_for_user(user=request.user, contact_id=pk) if pk else None
    initial = {}
    if contact is not None:
        initial = {
            "full_name": contact.full_name,
            "company": contact.company,
            "position": contact.position,
            "role": contact.role,
            "emails": "\n".join(e.email for e in contact.emails.all()),
            "phones": "\n".join(p.phone for p in contact.phones.all()),
            "notes": contact.notes,
        }
    elif request.GET.get("company"):
        initial = {"company": request.GET["company"]}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if contact is None:
                contact = services.contact_create(
                    full_name=data["full_name"], company=data["company"], position=data["position"],
                    role=data["role"], emails=form.lines("emails"), phones=form.lines("phones"), notes=data["notes"],
                )  # fmt: skip
            else:
                services.contact_update(
                    contact=contact, full_name=data["full_name"], company=data["company"], position=data["position"],
                    role=data["role"], emails=form.lines("emails"), phones=form.lines("phones"), notes=data["notes"],
                )  # fmt: skip
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:contact_detail", pk=contact.pk)
    return render(request, "customers/form.html", {"form": form, "title": _("Contact"), "nav": "contacts"})
