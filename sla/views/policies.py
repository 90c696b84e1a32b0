"""SLA policies pages: the ordered list (move, switch on/off, delete, the recalculation's
progress), the editor (conditions, targets per priority, escalation levels), and the search that
picks companies, sites and contracts. sla/urls.py collects `urlpatterns`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contracts.models import Contract
from core.db import icontains_q
from core.http import AuthedHttpRequest
from customers.models import Company, Site
from sla.models import SlaPolicy, SlaRecalculation
from sla.policy_forms import (
    EscalationFormSet,
    PolicyForm,
    TargetFormSet,
    escalation_initial,
    format_duration,
    target_initial,
)
from sla.policy_selectors import (
    sla_policy_condition_counts,
    sla_policy_get,
    sla_policy_list,
    sla_recalculation_get,
    sla_recalculation_latest,
)
from sla.policy_services import (
    TARGET_KINDS,
    sla_policy_delete,
    sla_policy_move,
    sla_policy_save,
    sla_policy_set_active,
)
from sla.views.common import sla_manager_required
from tickets.choices import Channel

PICK_LIMIT = 20


def _summary(policy: SlaPolicy, counts: dict[str, dict[int, int]]) -> list[str]:
    """The policy's conditions in words, e.g. ["Priorities: Critical, High", "12 companies"]."""
    parts: list[str] = []
    large = {
        "companies": _("Companies: %(count)s"),
        "contracts": _("Contracts: %(count)s"),
        "sites": _("Sites: %(count)s"),
    }
    for name, template in large.items():
        if counts[name].get(policy.pk):
            parts.append(template % {"count": counts[name][policy.pk]})
    small = {
        "company_categories": _("Client categories"),
        "priorities": _("Priorities"),
        "types": _("Types"),
        "categories": _("Services"),
        "teams": _("Teams"),
    }
    for name, label in small.items():
        rows = list(getattr(policy, name).all())
        if rows:
            parts.append(f"{label}: {', '.join(str(r) for r in rows)}")
    if policy.channels:
        labels = dict(Channel.choices)
        parts.append(_("Channels") + ": " + ", ".join(str(labels.get(c, c)) for c in policy.channels))
    if policy.vip_only:
        parts.append(_("VIP clients only"))
    return parts


def _targets(policy: SlaPolicy) -> list[dict[str, Any]]:
    rows = sorted(policy.targets.all(), key=lambda t: (t.priority.order, t.priority_id))
    return [
        {
            "priority": target.priority,
            "cells": [
                (format_duration(getattr(target, f"{kind}_minutes")), getattr(target, f"{kind}_business"))
                for kind in TARGET_KINDS
            ],
        }
        for target in rows
    ]


@sla_manager_required
@require_GET
def policy_list(request: AuthedHttpRequest) -> HttpResponse:
    counts = sla_policy_condition_counts()
    rows = [
        {"policy": p, "conditions": _summary(p, counts), "targets": _targets(p), "levels": len(p.escalations.all())}
        for p in sla_policy_list()
    ]
    return render(
        request,
        "sla/policies/list.html",
        {"nav": "sla", "rows": rows, "recalculation": sla_recalculation_latest()},
    )


def _editor(request: AuthedHttpRequest, policy: SlaPolicy) -> HttpResponse:
    targets_initial = target_initial(policy)
    if request.method == "POST":
        data: QueryDict = request.POST
        adding = "add_level" in data
        if adding:
            data = data.copy()
            data["levels-TOTAL_FORMS"] = str(int(data.get("levels-TOTAL_FORMS") or 0) + 1)
        form = PolicyForm(data, instance=policy)
        targets = TargetFormSet(data, prefix="targets", initial=targets_initial)
        levels = EscalationFormSet(data, prefix="levels")
        if not adding and form.is_valid() and targets.is_valid() and levels.is_valid():
            sla_policy_save(
                policy=form.apply(),
                actor=request.user,
                conditions=form.conditions(),
                targets=[row.target() for row in targets],
                escalations=[
                    row.escalation() for row in levels if row.cleaned_data and not row.cleaned_data.get("DELETE")
                ],
            )
            messages.success(request, _("Saved. The open tickets' deadlines are being recalculated."))
            return redirect("sla:policy_list")
    else:
        form = PolicyForm(instance=policy)
        targets = TargetFormSet(prefix="targets", initial=targets_initial)
        levels = EscalationFormSet(prefix="levels", initial=escalation_initial(policy))
    labels = {row["priority"]: row["label"] for row in targets_initial}
    return render(
        request,
        "sla/policies/form.html",
        {
            "nav": "sla",
            "policy": policy,
            "form": form,
            "targets": targets,
            "target_rows": [(labels.get(row.initial.get("priority"), ""), row) for row in targets],
            "levels": levels,
            "title": policy.name if policy.pk else _("New SLA policy"),
        },
    )


@sla_manager_required
def policy_create(request: AuthedHttpRequest) -> HttpResponse:
    return _editor(request, SlaPolicy())


@sla_manager_required
def policy_edit(request: AuthedHttpRequest, policy_id: int) -> HttpResponse:
    return _editor(request, sla_policy_get(policy_id=policy_id))


@sla_manager_required
@require_POST
def policy_delete(request: AuthedHttpRequest, policy_id: int) -> HttpResponse:
    policy = sla_policy_get(policy_id=policy_id)
    sla_policy_delete(policy=policy, actor=request.user)
    messages.success(request, _("Policy “%(name)s” deleted.") % {"name": policy.name})
    return redirect("sla:policy_list")


@sla_manager_required
@require_POST
def policy_move(request: AuthedHttpRequest, policy_id: int) -> HttpResponse:
    offset = -1 if request.POST.get("direction") == "up" else 1
    sla_policy_move(policy=sla_policy_get(policy_id=policy_id), offset=offset, actor=request.user)
    return redirect("sla:policy_list")


@sla_manager_required
@require_POST
def policy_toggle(request: AuthedHttpRequest, policy_id: int) -> HttpResponse:
    policy = sla_policy_get(policy_id=policy_id)
    sla_policy_set_active(policy=policy, active=request.POST.get("active") == "1", actor=request.user)
    return redirect("sla:policy_list")


PICKABLE: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "companies": (Company, ("name", "legal_name", "inn")),
    "sites": (Site, ("name", "address", "company__name")),
    "contracts": (Contract, ("number", "title", "company__name")),
}


@sla_manager_required
@require_GET
def policy_pick(request: AuthedHttpRequest) -> HttpResponse:
    """Up to 20 companies, sites or contracts matching `q`, as boxes to tick (htmx)."""
    kind = request.GET.get("kind", "")
    text = request.GET.get("q", "").strip()
    found: list[Model] = []
    if kind in PICKABLE and text:
        model, fields = PICKABLE[kind]
        query = icontains_q(fields[0], text)
        for name in fields[1:]:
            query |= icontains_q(name, text)
        queryset = model._default_manager.filter(query)
        if kind != "companies":
            queryset = queryset.select_related("company")
        found = list(queryset.order_by("pk")[:PICK_LIMIT])
    return render(request, "sla/policies/_pick_results.html", {"kind": kind, "found": found, "q": text})


@sla_manager_required
@require_GET
def recalculation_progress(request: AuthedHttpRequest, recalculation_id: int) -> HttpResponse:
    recalculation: SlaRecalculation = sla_recalculation_get(recalculation_id=recalculation_id)
    return render(request, "sla/policies/_progress.html", {"recalculation": recalculation})


urlpatterns: list[URLPattern] = [
    path("policies/", policy_list, name="policy_list"),
    path("policies/new/", policy_create, name="policy_create"),
    path("policies/<int:policy_id>/", policy_edit, name="policy_edit"),
    path("policies/<int:policy_id>/delete/", policy_delete, name="policy_delete"),
    path("policies/<int:policy_id>/move/", policy_move, name="policy_move"),
    path("policies/<int:policy_id>/active/", policy_toggle, name="policy_toggle"),
    path("policies/pick/", policy_pick, name="policy_pick"),
    path("recalculations/<int:recalculation_id>/", recalculation_progress, name="recalculation_progress"),
]
