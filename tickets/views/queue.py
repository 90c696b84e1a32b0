"""The agent queue: system and saved views, filters, keyset pagination, bulk actions, live refresh."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from core.http import AuthedHttpRequest
from core.keyset import paginate
from tickets import services
from tickets.choices import Sort
from tickets.forms import BulkForm, QueueFilterForm
from tickets.models import SavedView, Ticket
from tickets.reference import reference
from tickets.selectors import (
    SORT_FIELDS,
    TicketFilters,
    latest_event_id,
    saved_view_list_for_user,
    ticket_list_for_user,
    ticket_rows,
    ticket_view_counts,
)
from tickets.views.common import agent_required, local_back

PAGE_SIZE = 50
COUNT_CAP = 1000

SYSTEM_VIEWS = {
    "mine": (gettext_lazy("My open tickets"), {"open_only": True, "assignee_me": True}),
    # Also the tickets no team has yet (a missed call, a web request without a category): whoever
    # triages sees them here, not only under "All open".
    "unassigned": (
        gettext_lazy("Unassigned: my teams and no team"),
        {"open_only": True, "unassigned": True, "my_teams": True, "no_team_too": True},
    ),
    "all_open": (gettext_lazy("All open"), {"open_only": True}),
    "all": (gettext_lazy("All tickets"), {}),
}
FILTER_KEYS = (
    "status",
    "category",
    "priority",
    "team",
    "assignee",
    "company",
    "tag",
    "channel",
    "sla",
    "created_from",
    "created_to",
    "sort",
)


def _chosen(value: Any) -> list[Any]:
    """The rows a multiple-choice filter cleaned to; nothing chosen is an empty queryset, which
    answers without being evaluated (five of them cost a millisecond per queue page)."""
    if value is None or (isinstance(value, QuerySet) and value.query.is_empty()):
        return []
    return list(value)


def _filters_from(
    request: AuthedHttpRequest, params: QueryDict
) -> tuple[TicketFilters, QueueFilterForm, str, SavedView | None]:
    view_key = params.get("view", "all_open")
    saved = None
    if view_key.isdecimal():
        saved = (
            SavedView.objects.filter(pk=int(view_key)).filter(owner=request.user).first()
            or SavedView.objects.filter(pk=int(view_key), is_shared=True).first()
        )
    if view_key not in SYSTEM_VIEWS and saved is None:
        view_key = "all_open"  # unknown, or someone else's private view: show the default
    base: dict = dict(SYSTEM_VIEWS[view_key][1]) if view_key in SYSTEM_VIEWS else {}
    if saved is not None:
        merged = QueryDict(mutable=True)
        for key, values in saved.filters.items():
            merged.setlist(key, values if isinstance(values, list) else [values])
        for key in FILTER_KEYS:
            if key in params:
                merged.setlist(key, params.getlist(key))
        params = merged
    form = QueueFilterForm(params)
    form.is_valid()
    data = form.cleaned_data
    filters = TicketFilters(
        open_only=base.get("open_only", False),
        unassigned=base.get("unassigned", False),
        my_teams=base.get("my_teams", False),
        no_team_too=base.get("no_team_too", False),
        assignee_ids=[request.user.pk] if base.get("assignee_me") else [],
        status_ids=[s.pk for s in _chosen(data.get("status"))],
        status_categories=list(data.get("category") or []),
        priority_ids=[p.pk for p in _chosen(data.get("priority"))],
        team_ids=[t.pk for t in _chosen(data.get("team"))],
        company_ids=[c.pk for c in _chosen(data.get("company"))],
        tags=[t.strip() for t in (data.get("tag") or "").split(",") if t.strip()],
        channels=list(data.get("channel") or []),
        sla=list(data.get("sla") or []),
        created_from=data.get("created_from"),
        created_to=data.get("created_to"),
        sort=data.get("sort") or Sort.UPDATED_DESC,
    )
    if assignees := _chosen(data.get("assignee")):
        filters.assignee_ids = [u.pk for u in assignees]
    return filters, form, view_key, saved


def _queue_context(request: AuthedHttpRequest, event_cursor: int | None = None) -> dict:
    params = request.GET
    filters, form, view_key, saved = _filters_from(request, params)
    # Rows, not model instances: only the columns a row shows (TicketRow).
    qs = ticket_rows(ticket_list_for_user(user=request.user, filters=filters))
    order = list(SORT_FIELDS.get(filters.sort, SORT_FIELDS[Sort.UPDATED_DESC]))
    page = paginate(qs, order=order, size=PAGE_SIZE, after=params.get("after", ""), before=params.get("before", ""))
    base_params = params.copy()
    for key in ("after", "before", "since", "since_ts"):
        base_params.pop(key, None)
    page_params = {k: params[k] for k in ("after", "before") if params.get(k)}
    since_ts = params.get("since_ts")
    flash_after = None
    if since_ts:
        try:
            flash_after = datetime.fromtimestamp(float(since_ts), tz=UTC)
        except (ValueError, OverflowError, OSError):
            flash_after = None
    return {
        "page": page,
        "tickets": page.rows,
        "form": form,
        "filters": filters,
        "view_key": view_key,
        "saved_view": saved,
        "base_query": base_params.urlencode(),
        "next_query": urlencode({**base_params.dict(), "after": page.next_cursor}) if page.next_cursor else "",
        "prev_query": urlencode({**base_params.dict(), "before": page.prev_cursor}) if page.prev_cursor else "",
        "poll_query": urlencode({**base_params.dict(), **page_params}),
        "event_cursor": latest_event_id() if event_cursor is None else event_cursor,
        "now_ts": timezone.now().timestamp(),
        "flash_after": flash_after,
        # The bulk bar's lists: one per snapshot, their options written once (fast_forms.options).
        "bulk_statuses": reference().settable_statuses,
        "bulk_priorities": reference().active_priorities,
    }


def _system_view_counts(user: User, *, event_cursor: int) -> dict[str, int]:
    """How many tickets each counted system view holds for `user` (capped at COUNT_CAP + 1)."""
    views = {
        name: TicketFilters(
            open_only=spec.get("open_only", False),
            unassigned=spec.get("unassigned", False),
            my_teams=spec.get("my_teams", False),
            no_team_too=spec.get("no_team_too", False),
            assignee_ids=[user.pk] if spec.get("assignee_me") else [],
        )
        for name, (_label, spec) in SYSTEM_VIEWS.items()
        if name != "all"  # "All tickets" shows no count: it would be most of the table
    }
    return ticket_view_counts(user=user, views=views, cap=COUNT_CAP, event_cursor=event_cursor)


@agent_required
def queue_view(request: AuthedHttpRequest) -> HttpResponse:
    context = _queue_context(request)
    user = request.user
    counts = _system_view_counts(user, event_cursor=context["event_cursor"])
    shown = {key: f"{COUNT_CAP}+" if n > COUNT_CAP else str(n) for key, n in counts.items()}
    system_counts = [(key, label, shown.get(key, "")) for key, (label, _spec) in SYSTEM_VIEWS.items()]
    context.update(
        nav="queue",
        system_views=system_counts,
        saved_views=saved_view_list_for_user(user=user),
        view_title=context["saved_view"].name
        if context["saved_view"]
        else dict((k, lbl) for k, lbl, _c in system_counts)[context["view_key"]],
        filters_open=any(k in request.GET for k in FILTER_KEYS if k != "sort"),
        staff=reference().staff,
    )
    return render(request, "tickets/queue.html", context)


@agent_required
def queue_filters(request: AuthedHttpRequest) -> HttpResponse:
    """The filter panel, loaded when the agent opens it (the queue page itself skips its lists)."""
    _filters, form, view_key, saved = _filters_from(request, request.GET)
    base_params = request.GET.copy()
    for key in ("after", "before", "since", "since_ts"):
        base_params.pop(key, None)
    context = {"form": form, "view_key": view_key, "saved_view": saved, "base_query": base_params.urlencode()}
    return render(request, "tickets/_queue_filters.html", context)


@agent_required
def queue_rows(request: AuthedHttpRequest) -> HttpResponse:
    """The rows of the current page, polled every 2 s. Answers 204 (htmx keeps the page as it is)
    when no ticket event happened since the client's cursor."""
    since = request.GET.get("since", "")
    latest = latest_event_id()
    if since.isdecimal() and int(since) >= latest:
        return HttpResponse(status=204)
    return render(request, "tickets/_queue_rows.html", _queue_context(request, event_cursor=latest))


@agent_required
@require_POST
def bulk_action(request: AuthedHttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = local_back(request)
    if not form.is_valid() or not form.cleaned_data["ticket_ids"]:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    data = form.cleaned_data
    assignee_change: dict = {}
    if data.get("unassign"):
        assignee_change = {"assignee": None}
    elif data.get("assignee"):
        assignee_change = {"assignee": data["assignee"]}
    changed, errors = services.tickets_bulk_update(
        tickets=ticket_list_for_user(user=request.user).filter(pk__in=data["ticket_ids"]),
        actor=request.user,
        status=data.get("status"),
        priority=data.get("priority"),
        **assignee_change,
    )
    messages.success(request, ngettext("%(n)d ticket updated.", "%(n)d tickets updated.", changed) % {"n": changed})
    for error in errors:
        messages.error(request, error)
    return redirect(back)


@agent_required
@require_POST
def saved_view_save(request: AuthedHttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:100]
    if not name:
        messages.error(request, _("Give the view a name."))
        return redirect(local_back(request))
    params = QueryDict(request.POST.get("query", ""))
    filters = {key: params.getlist(key) for key in FILTER_KEYS if key in params}
    view = SavedView.objects.create(
        owner=request.user, name=name, filters=filters, is_shared=bool(request.POST.get("is_shared"))
    )
    messages.success(request, _("View saved."))
    return redirect(f"/tickets/?view={view.pk}")


@agent_required
@require_POST
def saved_view_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    messages.success(request, _("View deleted."))
    return redirect("tickets:queue")


__all__ = ["Ticket", "bulk_action", "queue_rows", "queue_view", "saved_view_delete", "saved_view_save"]
