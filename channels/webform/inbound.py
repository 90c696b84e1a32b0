"""The web form's processor: one stored submission → contact and ticket. See
docs/architecture/webform-telephony.md, "Web form and widget".

Called by intake.services.inbound_process inside its transaction with the InboundMessage row
locked; anything raised here rolls the submission back into the failed-inbound list."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from core.text import json_storable
from customers.models import Contact, ContactEmail, ContactPhone, normalize_phone
from customers.services import contact_create
from intake.models import InboundMessage
from tickets.choices import Channel
from tickets.models import Article, ServiceCategory, Ticket
from tickets.services import UploadedFileData, ticket_open


def webform_process(inbound: InboundMessage) -> tuple[Ticket, Article]:
    """A new ticket from the submission's contact (matched by email, then phone; else a new
    unverified contact), with its uploads attached and its SLA starting at the submission."""
    data = json_storable(bytes(inbound.raw))
    language = data.get("language") if data.get("language") in ("ru", "en") else settings.LANGUAGE_CODE[:2]
    with translation.override(language):
        contact = _contact(
            name=data["name"], email=data.get("email", ""), phone=data.get("phone", ""), language=language
        )
        message = str(data["message"]).strip()
        description = message
        if data.get("site"):
            description += "\n\n" + _("Address or site: %(site)s") % {"site": data["site"]}
        given = ", ".join(v for v in (data.get("name"), data.get("email"), data.get("phone")) if v)
        description += "\n\n" + _("Contact details given: %(details)s") % {"details": given}
        first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
        category = None
        if data.get("category_id"):
            category = ServiceCategory.objects.filter(
                pk=data["category_id"], is_active=True, visible_in_portal=True
            ).first()
        files = data.get("files") or []
        attachments = [
            UploadedFileData(name=f["name"], content_type=f["content_type"], file=default_storage.open(f["path"]))
            for f in files
        ]
        try:
            ticket, article = ticket_open(
                actor=None,
                title=first_line[:120] or _("Request from the web form"),
                description=description,
                channel=Channel.WEB,
                contact=contact,
                category=category,
                received_at=inbound.received_at,
                attachments=attachments,
            )
        finally:
            for attachment in attachments:
                attachment.file.close()
    staged = [f["path"] for f in files]
    # The ticket keeps its own copies; the staged uploads go once this is committed (kept on failure
    # so that a re-process finds them).
    transaction.on_commit(lambda: _delete(staged))
    return ticket, article


def _delete(paths: list[str]) -> None:
    for path in paths:
        default_storage.delete(path)


def _contact(*, name: str, email: str, phone: str, language: str) -> Contact:
    """The contact with this email, else with this phone; else a new unverified one (nobody has
    checked who typed the form). Matching only files the ticket under the contact: the submitter
    sees nothing of the contact's other tickets, only the tracking page of this one."""
    email = (email or "").strip().lower()
    if email:
        found = (
            ContactEmail.objects.annotate(lower_email=Lower("email"))
            .filter(lower_email=email)
            .select_related("contact")
            .first()
        )
        if found is not None:
            return found.contact
    normalized = normalize_phone(phone)
    if normalized:
        by_phone = ContactPhone.objects.filter(normalized=normalized).select_related("contact").order_by("id").first()
        if by_phone is not None:
            return by_phone.contact
    return contact_create(
        full_name=(name or "").strip() or phone or email or _("Unknown"),
        emails=[email] if email else [],
        phones=[phone] if phone else [],
        language=language,
        is_verified=False,
    )
