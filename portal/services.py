"""Writes of the client portal. Ticket writes themselves are tickets.services; this module
only holds what is specific to the portal: asking for an emailed login link, and a request
sent from a scanned equipment label without signing in."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assets.models import Equipment
from core.throttle import count_request as _count_request
from customers.models import ContactEmail
from portal.tasks import magic_link_send
from tickets.choices import Channel
from tickets.models import Ticket
from tickets.services import UploadedFileData, ticket_create

MAGIC_LINK_REQUEST_WINDOW = 15 * 60
MAGIC_LINK_REQUESTS_PER_EMAIL = 3
MAGIC_LINK_REQUESTS_PER_IP = 20


def magic_link_request(*, email: str, ip: str, next_path: str = "") -> bool:
    """Queue an emailed login link for `email` once the current transaction commits.

    Whether the address belongs to anyone is decided by the worker, not here, so the request
    takes the same time and gives the same answer for every address (no account enumeration).
    At most MAGIC_LINK_REQUESTS_PER_EMAIL links per address and MAGIC_LINK_REQUESTS_PER_IP per
    client address are queued in MAGIC_LINK_REQUEST_WINDOW, so the form cannot be used to flood
    a mailbox. Returns whether a link was queued; callers must not reveal it to the visitor.
    """
    email = (email or "").strip().lower()
    if not email:
        return False
    per_email = _count_request(f"magic-link:email:{email}", window=MAGIC_LINK_REQUEST_WINDOW)
    per_ip = _count_request(f"magic-link:ip:{ip}", window=MAGIC_LINK_REQUEST_WINDOW)
    if per_email > MAGIC_LINK_REQUESTS_PER_EMAIL or per_ip > MAGIC_LINK_REQUESTS_PER_IP:
        return False
    transaction.on_commit(lambda: magic_link_send(email=email, next_path=next_path))
    return True


QR_REQUEST_WINDOW = 60 * 60
QR_REQUESTS_PER_IP = 10
QR_REQUESTS_PER_UNIT = 30


class TooManyRequests(Exception):
    """More label requests than QR_REQUESTS_PER_IP from one address, or QR_REQUESTS_PER_UNIT about
    one unit, in QR_REQUEST_WINDOW."""


def qr_request_throttle(*, unit: Equipment, ip: str) -> None:
    """Count one post of a label's form without sign-in — every post, the refused and the
    honeypot ones too, so a bot learns nothing by varying them. Raises TooManyRequests past
    QR_REQUESTS_PER_IP posts from `ip` or QR_REQUESTS_PER_UNIT about `unit` in QR_REQUEST_WINDOW.
    A unit's count only grows with posts under the per-address limit, so one address alone
    cannot use up the unit's."""
    if _count_request(f"qr:ip:{ip}", window=QR_REQUEST_WINDOW) > QR_REQUESTS_PER_IP:
        raise TooManyRequests
    if _count_request(f"qr:unit:{unit.pk}", window=QR_REQUEST_WINDOW) > QR_REQUESTS_PER_UNIT:
        raise TooManyRequests


@transaction.atomic
def qr_request_create(
    *,
    unit: Equipment,
    name: str,
    phone: str,
    email: str,
    description: str,
    attachments: Iterable[UploadedFileData] = (),
) -> Ticket:
    """A request about `unit` from someone who scanned its label and did not sign in (the unit's
    company allows that). Nobody has checked who the sender is, so they are never matched to an
    existing contact — anyone could type a director's email. Each request creates a new contact
    of the unit's company marked unverified; it takes the typed email only when no contact has
    it yet, and the typed details are quoted in the description for the agent to check. The view
    calls qr_request_throttle first. Raises ValidationError for missing details."""
    from customers.services import contact_create

    name, phone, email = (name or "").strip(), (phone or "").strip(), (email or "").strip().lower()
    if not phone and not email:
        raise ValidationError({"phone": _("Leave a phone number or an email so that we can reach you.")})
    given = ", ".join(value for value in (email, phone) if value)
    if email and ContactEmail.objects.filter(email=email).exists():
        email = ""  # the address is somebody else's: do not take it over
    contact = contact_create(
        full_name=name or phone or email or _("Unknown"),
        company=unit.company,
        phones=[phone] if phone else [],
        emails=[email] if email else [],
        is_verified=False,
    )
    title = _("%(unit)s: %(text)s") % {"unit": unit.name, "text": " ".join(description.split())[:120]}
    return ticket_create(
        actor=None,
        contact=contact,
        equipment=unit,
        channel=Channel.QR,
        title=title,
        description=description + "\n\n" + _("Contact details given: %(details)s") % {"details": given},
        attachments=attachments,
    )
