"""Contracts and price lists for staff; works recorded on tickets."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import services
from contracts.coverage import hours_period, hours_used
from contracts.forms import ContractForm, PriceListForm, TicketWorkForm
from contracts.models import ContractStatus, PaymentState, TicketWork
from contracts.selectors import contract_get_for_user, contract_list_for_user, price_list_list_for_user
from core.forms import form_add_service_errors
from core.http import AuthedHttpRequest
from customers.selectors import company_get_for_user
from tickets.selectors import ticket_get_for_user, ticket_list_for_user
from tickets.views.common import admin_required, dispatcher_required


@dispatcher_required
def contract_list(request: AuthedHttpRequest) -> HttpResponse:
    qs = contract_list_for_user(user=request.user)
    query = (request.GET.get("q") or "").strip()
    company = None
    if (request.GET.get("company") or "").isdecimal():
        company = company_get_for_user(user=request.user, company_id=int(request.GET["company"]))
        qs = qs.filter(company=company)
    status = request.GET.get("status") or ""
    if status in ContractStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("debt") == "1":
        qs = qs.filter(payment_state=PaymentState.DEBT)
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(title__icontains=query) | Q(company__name__icontains=query))
    page = Paginator(qs.order_by("-starts_on", "number"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/list.html",
        {
            "page": page,
            "q": query,
            "company": company,
            "status": status,
            "statuses": ContractStatus.choices,
            "debt_only": request.GET.get("debt") == "1",
            "today": timezone.localdate(),
            "nav": "contracts",
        },
    )


@dispatcher_required
def contract_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, contract_id=pk)
    today = timezone.localdate()
    period = used = None
    if contract.included_hours is not None:
        period = hours_period(contract, min(max(today, contract.starts_on), contract.ends_on or today))
        used = hours_used(contract, period)
    works = (
        TicketWork.objects.filter(contract=contract)
        .select_related("ticket", "performed_by")
        .order_by("-performed_on", "-id")[:50]
    )
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "in_force": contract.in_force(today),
            "sites": contract.sites.all(),
            "equipment": contract.equipment.select_related("site", "kind"),
            "services": contract.services.all(),
            "period": period,
            "hours_used": used,
            "hours_left": (contract.included_hours - used) if used is not None and contract.included_hours else None,
            "works": works,
            "tickets": ticket_list_for_user(user=request.user).filter(contract=contract)[:30],
            "nav": "contracts",
        },
    )


@dispatcher_required
def contract_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    contract = contract_get_for_user(user=request.user, contract_id=pk) if pk else None
    if contract is not None:
        company = contract.company
    else:
        raw = request.POST.get("company") or request.GET.get("company") or ""
        if not raw.isdecimal():
            messages.info(request, _("Open the company and add its contract there."))
            return redirect("customers:company_list")
        company = company_get_for_user(user=request.user, company_id=int(raw))
    form = ContractForm(
        request.POST or None,
        instance=contract,
        initial={"company": company.pk, "starts_on": timezone.localdate()},
        company=company,
    )
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)
        instance.company = company
        try:
            saved = services.contract_save(
                contract=instance,
                sites=list(form.cleaned_data["sites"]),
                equipment=list(form.cleaned_data["equipment"]),
                services=list(form.cleaned_data["services"]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("contracts:contract_detail", pk=saved.pk)
    title = str(contract) if contract else _("New contract")
    return render(
        request, "contracts/form.html", {"form": form, "title": title, "company": company, "nav": "contracts"}
    )


@dispatcher_required
def price_list_list(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "contracts/price_lists.html",
        {"price_lists": price_list_list_for_user(user=request.user).prefetch_related("items"), "nav": "contracts"},
    )


@admin_required
def price_list_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    price_list = price_list_list_for_user(user=request.user).filter(pk=pk).first() if pk else None
    if pk and price_list is None:
        raise Http404
    form = PriceListForm(request.POST or None, instance=price_list)
    if request.method == "POST" and form.is_valid():
        try:
            services.price_list_save(price_list=form.save(commit=False), items=form.cleaned_data["items_text"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("contracts:price_list_list")
    title = price_list.name if price_list else _("New price list")
    return render(request, "customers/form.html", {"form": form, "title": title, "nav": "contracts"})


@dispatcher_required
def work_form(request: AuthedHttpRequest, number: int) -> HttpResponse:
    """The fields of the ticket page's "Record work" form, asked for when it is opened: most
    visits record no work, and the form (the price list's items among its choices) is the
    page's costliest part to build (bench/README.md, session 18)."""
    ticket = ticket_get_for_user(user=request.user, number=number)
    price_list = ticket.contract.price_list_id if ticket.contract_id and ticket.contract else None
    return render(request, "contracts/_work_fields.html", {"form": TicketWorkForm(price_list=price_list)})


@dispatcher_required
@require_POST
def work_add(request: AuthedHttpRequest, number: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    price_list = ticket.contract.price_list if ticket.contract_id and ticket.contract else None
    form = TicketWorkForm(request.POST, price_list=price_list)
    if not form.is_valid():
        messages.error(
            request,
            _("The work was not recorded: %(e)s")
            % {"e": " ".join(str(e) for errors in form.errors.values() for e in errors)},
        )
        return redirect("tickets:detail", number=number)
    data = form.cleaned_data
    try:
        services.ticket_work_add(
            ticket=ticket,
            actor=request.user,
            name=data.get("name") or "",
            hours=data.get("hours") or Decimal("0"),
            quantity=data["quantity"],
            price_list_item=data.get("price_list_item"),
            is_billable=True if data.get("price_list_item") else data.get("is_billable"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Work recorded."))
    return redirect("tickets:detail", number=number)


@dispatcher_required
@require_POST
def work_delete(request: AuthedHttpRequest, number: int, pk: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request.user, number=number)
    work = TicketWork.objects.filter(ticket=ticket, pk=pk).first()
    if work is None:
        raise Http404
    services.ticket_work_delete(work=work, actor=request.user)
    messages.success(request, _("Work removed."))
    return redirect("tickets:detail", number=number)
