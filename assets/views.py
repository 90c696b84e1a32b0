"""Equipment pages for staff: list, card with its tree, documents, coverage and ticket history,
create/edit, QR labels."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assets import services
from assets.forms import EquipmentDocumentForm, EquipmentForm, LabelsForm
from assets.labels import MAX_LABELS, labels_pdf
from assets.models import Equipment, EquipmentDocument
from assets.selectors import equipment_get_for_user, equipment_kind_list, equipment_list_for_user, equipment_search_q
from contracts.coverage import coverage_for
from core.forms import form_add_service_errors
from core.http import AuthedHttpRequest
from customers.selectors import company_get_for_user, site_get_for_user
from tickets.selectors import ticket_list_for_user
from tickets.views.common import dispatcher_required


@dispatcher_required
def equipment_list(request: AuthedHttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()
    qs = equipment_list_for_user(user=request.user)
    company = site = None
    if (request.GET.get("company") or "").isdecimal():
        company = company_get_for_user(user=request.user, company_id=int(request.GET["company"]))
        qs = qs.filter(company=company)
    if (request.GET.get("site") or "").isdecimal():
        site = site_get_for_user(user=request.user, site_id=int(request.GET["site"]))
        qs = qs.filter(site=site)
    kind = request.GET.get("kind") or ""
    if kind.isdecimal():
        qs = qs.filter(kind_id=int(kind))
    if query:
        qs = qs.filter(equipment_search_q(query))
    page = Paginator(qs.order_by("name", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assets/list.html",
        {
            "page": page,
            "q": query,
            "company": company,
            "site": site,
            "kinds": equipment_kind_list(),
            "kind": kind,
            "nav": "equipment",
        },
    )


def _parameters_shown(unit: Equipment) -> list[tuple[str, object]]:
    english = (get_language() or "ru").startswith("en")
    shown = []
    for spec in unit.kind.parameters or []:
        value = (unit.parameters or {}).get(spec["code"])
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        shown.append(((spec.get("name_en") if english else spec.get("name_ru")) or spec["code"], value))
    return shown


def _ancestors(unit: Equipment) -> list[Equipment]:
    chain: list[Equipment] = []
    node, seen = unit.parent, {unit.pk}
    while node is not None and node.pk not in seen and len(chain) < 10:
        chain.append(node)
        seen.add(node.pk)
        node = node.parent
    return list(reversed(chain))


@dispatcher_required
def equipment_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    unit = equipment_get_for_user(user=request.user, equipment_id=pk)
    tickets = ticket_list_for_user(user=request.user).filter(equipment=unit)[:50]
    return render(
        request,
        "assets/detail.html",
        {
            "unit": unit,
            "ancestors": _ancestors(unit),
            "children": equipment_list_for_user(user=request.user).filter(parent=unit).order_by("name"),
            "parameters": _parameters_shown(unit),
            "documents": unit.documents.all(),
            "document_form": EquipmentDocumentForm(),
            "coverage": coverage_for(company=unit.company, site=unit.site, equipment=unit),
            "tickets": tickets,
            "nav": "equipment",
        },
    )


@dispatcher_required
def equipment_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    unit = equipment_get_for_user(user=request.user, equipment_id=pk) if pk else None
    if unit is not None:
        company = unit.company
    else:
        raw = request.POST.get("company") or request.GET.get("company") or ""
        if not raw.isdecimal():
            messages.info(request, _("Open the company (or its site) the unit belongs to and add it there."))
            return redirect("customers:company_list")
        company = company_get_for_user(user=request.user, company_id=int(raw))
    initial = {"company": company.pk}
    for key in ("site", "parent", "kind"):
        if (request.GET.get(key) or "").isdecimal():
            initial[key] = int(request.GET[key])
    # GET with form values (the kind select changed): re-render with that kind's parameters.
    refreshing = request.method == "GET" and request.GET.get("refresh") == "1"
    if refreshing:
        data = request.GET.copy()
        form = EquipmentForm(initial={**initial, **{k: v for k, v in data.items()}}, instance=unit, company=company)
    else:
        form = EquipmentForm(request.POST or None, instance=unit, initial=initial, company=company)
    if request.method == "POST" and form.is_valid():
        fields = form.model_fields()
        fields["company"] = company
        try:
            if unit is None:
                unit = services.equipment_create(parameters=form.parameter_values(), **fields)
            else:
                unit = services.equipment_update(unit=unit, parameters=form.parameter_values(), **fields)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("assets:equipment_detail", pk=unit.pk)
    template = "assets/_form.html" if request.headers.get("HX-Request") == "true" and refreshing else "assets/form.html"
    return render(request, template, {"form": form, "unit": unit, "company": company, "nav": "equipment"})


@dispatcher_required
@require_POST
def document_upload(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    unit = equipment_get_for_user(user=request.user, equipment_id=pk)
    form = EquipmentDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("The file could not be added: %(e)s") % {"e": form.errors.as_text()})
        return redirect("assets:equipment_detail", pk=pk)
    try:
        services.equipment_document_add(
            unit=unit,
            title=form.cleaned_data["title"],
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("File added."))
    return redirect("assets:equipment_detail", pk=pk)


@dispatcher_required
def document_download(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    document = (
        EquipmentDocument.objects.filter(equipment__in=equipment_list_for_user(user=request.user).values("pk"))
        .filter(pk=pk)
        .first()
    )
    if document is None:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=document.filename, content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response  # type: ignore[return-value]  # a streaming response, served like any other


@dispatcher_required
def labels(request: AuthedHttpRequest) -> HttpResponse:
    """PDF of QR labels for the checked units (?ids=1,2), a site's (?site=) or a company's (?company=)."""
    form = LabelsForm(request.GET)
    if not form.is_valid():
        raise Http404
    qs = equipment_list_for_user(user=request.user).filter(is_active=True)
    if form.unit_ids():
        qs = qs.filter(pk__in=form.unit_ids())
    elif form.cleaned_data.get("site"):
        qs = qs.filter(site_id=form.cleaned_data["site"])
    elif form.cleaned_data.get("company"):
        qs = qs.filter(company_id=form.cleaned_data["company"])
    else:
        messages.error(request, _("Choose the units to print labels for."))
        return redirect("assets:equipment_list")
    units = list(qs.order_by("site__name", "name", "id")[: MAX_LABELS + 1])
    if not units:
        messages.error(request, _("No active units to print."))
        return redirect(request.META.get("HTTP_REFERER") or "assets:equipment_list")
    if len(units) > MAX_LABELS:
        messages.error(request, _("At most %(n)s labels at a time.") % {"n": MAX_LABELS})
        return redirect("assets:equipment_list")
    response = HttpResponse(labels_pdf(units), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="qr-labels.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
