"""Telephony endpoints: the providers' webhook and the agent's ringing-call poll. See
docs/architecture/webform-telephony.md, "Telephony"."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from channels.choices import CallState
from channels.models import Call
from channels.telephony.providers import PROVIDERS, MalformedEvent, SignatureError, provider_enabled
from core.http import AuthedHttpRequest
from intake.choices import InboundSource
from intake.services import inbound_store
from tickets.choices import OPEN_CATEGORIES, Channel
from tickets.selectors import ticket_list_for_user
from tickets.views.common import dispatcher_required

# A ringing or answered call shows its card this long after the provider's last word on it.
CARD_SECONDS = 120


@csrf_exempt
def telephony_webhook(request: HttpRequest, provider: str, rest: str = "") -> HttpResponse:
    """Verify (401), parse (400), store each event once (intake dedup), answer 200."""
    adapter = PROVIDERS.get(provider)
    if adapter is None or not provider_enabled(provider):
        raise Http404
    if request.method == "GET" and provider == "zadarma" and "zd_echo" in request.GET:
        return HttpResponse(request.GET["zd_echo"][:100], content_type="text/plain")  # Zadarma's URL check
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    body = request.body
    try:
        adapter.verify(body=body, headers=request.headers)
    except SignatureError:
        return HttpResponse("bad signature", status=401, content_type="text/plain")
    try:
        events = adapter.parse(body=body, path=rest)
    except MalformedEvent as exc:
        return HttpResponse(f"malformed: {exc}", status=400, content_type="text/plain")
    for event in events:
        inbound_store(
            channel=Channel.PHONE,
            source=InboundSource.WEBHOOK,
            raw=body,
            dedup_key=f"{provider}:{event.dedup_suffix}",
            from_address=event.caller,
            subject=f"{provider} {event.kind}",
        )
    return HttpResponse("ok", content_type="text/plain")


@dispatcher_required  # the card names the client: not for contractors
def ringing(request: AuthedHttpRequest) -> HttpResponse:
    """The card of the call ringing (or just answered) at the agent's extension, polled by agent
    pages (ADR 0001); an empty answer when none, which clears a card shown before."""
    extension = request.user.phone_extension
    if not extension:
        return HttpResponse(status=204)  # no desk phone: the page stops asking (286 would too)
    call = (
        Call.objects.filter(
            extension=extension,
            state__in=(CallState.RINGING, CallState.ANSWERED),
            updated_at__gte=timezone.now() - timedelta(seconds=CARD_SECONDS),
        )
        .select_related("contact__company")
        .order_by("-updated_at")
        .first()
    )
    if call is None:
        return HttpResponse("")
    open_tickets = (
        list(
            ticket_list_for_user(user=request.user)
            .filter(contact=call.contact, status_category__in=[c.value for c in OPEN_CATEGORIES])
            .order_by("-created_at")[:5]
        )
        if call.contact
        else []
    )
    return render(request, "channels/telephony/_caller_card.html", {"call": call, "open_tickets": open_tickets})
