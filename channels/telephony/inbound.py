"""The telephony processor: one stored call event → the call's state, and for a missed call a
ticket; a recording reported later is linked on that ticket. See
docs/architecture/webform-telephony.md, "Telephony".

Called by intake.services.inbound_process inside its transaction with the InboundMessage row
locked. The stored row's raw is the provider's request body as received, and its dedup key
"<provider>:<call id>:<event>:<sequence>" names the provider whose parser reads it again."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels.choices import CallState
from channels.models import Call
from channels.telephony.providers import ANSWER, END, PROVIDERS, RECORDING, RING, CallEvent
from core.text import nul_free
from customers.models import Contact, ContactPhone, normalize_phone
from intake.models import InboundMessage
from notifications.delivery import without_acknowledgement
from tickets.choices import ArticleKind, Channel
from tickets.models import Article, Ticket
from tickets.services import article_create, ticket_open


def contact_by_phone(number: str) -> Contact | None:
    """The contact whose phone matches `number` (normalised; the oldest card when several do)."""
    normalized = normalize_phone(number)
    if len(normalized) < 5:
        return None
    row = ContactPhone.objects.filter(normalized=normalized).select_related("contact__company").order_by("id").first()
    return row.contact if row else None


def call_event_process(inbound: InboundMessage) -> tuple[Ticket | None, Article | None]:
    """Apply one stored event to its call (see the module's docstring). Ticket texts are in the
    installation's language (LANGUAGE_CODE), whichever process runs this."""
    provider = inbound.dedup_key.split(":", 1)[0]
    events = nul_free(PROVIDERS[provider].parse(body=bytes(inbound.raw)))
    ticket = article = None
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            ticket, article = _apply(provider=provider, event=event, inbound=inbound)
    return ticket, article


def _apply(*, provider: str, event: CallEvent, inbound: InboundMessage) -> tuple[Ticket | None, Article | None]:
    call, _created = Call.objects.select_for_update().get_or_create(
        provider=provider, call_id=event.call_id, defaults={"started_at": inbound.received_at}
    )
    fields = {"updated_at"}
    call.updated_at = timezone.now()
    if event.caller and not call.caller:
        call.caller, call.contact = event.caller, contact_by_phone(event.caller)
        fields |= {"caller", "contact"}
    if event.called and not call.called:
        call.called = event.called
        fields.add("called")
    if event.extension and event.kind in (RING, ANSWER):
        call.extension = event.extension
        fields.add("extension")
    if event.kind == ANSWER and call.state in (CallState.RINGING, CallState.ANSWERED):
        call.state = CallState.ANSWERED
        fields.add("state")
    elif event.kind == END and call.state in (CallState.RINGING, CallState.ANSWERED):
        answered = event.answered or call.state == CallState.ANSWERED
        call.state = CallState.ENDED if answered else CallState.MISSED
        fields.add("state")
        if not answered and call.ticket_id is None:
            call.ticket, call.article = _missed_call_ticket(call=call, received_at=inbound.received_at)
            fields |= {"ticket", "article"}
    elif event.kind == RECORDING and event.recording:
        call.recording = event.recording
        fields.add("recording")
        if call.ticket_id is not None:
            note = article_create(
                ticket=call.ticket,  # type: ignore[arg-type]
                author=None,
                kind=ArticleKind.NOTE,
                body=_("Recording of the call: %(link)s") % {"link": event.recording},
                channel=Channel.PHONE,
            )
            call.save(update_fields=sorted(fields))
            return call.ticket, note
    call.save(update_fields=sorted(fields))
    if event.kind == END and call.ticket_id is not None:
        return call.ticket, call.article
    return None, None


def _missed_call_ticket(*, call: Call, received_at: object) -> tuple[Ticket, Article]:
    who = call.contact.full_name if call.contact else (call.caller or _("an unknown number"))
    title = _("Missed call from %(who)s") % {"who": who}
    description = _("Missed call from %(number)s to %(called)s.") % {
        "number": call.caller or _("an unknown number"),
        "called": call.extension or call.called or "?",
    }
    with without_acknowledgement():  # the caller asked for nothing yet: the team calls back
        ticket, article = ticket_open(
            actor=None,
            title=title,
            description=description,
            channel=Channel.PHONE,
            contact=call.contact,
            received_at=call.started_at,
        )
    return ticket, article
