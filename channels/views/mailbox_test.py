"""The mailbox page's "Test connection" button (htmx): connect with the mailbox's IMAP settings —
those in the posted form where it sends them, so a change can be tried before it is saved."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from channels.choices import TransportSecurity
from channels.email.imap import mailbox_test_connection
from channels.models import Mailbox
from core.http import AuthedHttpRequest
from tickets.views.common import admin_required

# Posted values that stand in for the saved ones; an empty one (the password field is always
# rendered empty) keeps the saved value.
_TEXT_FIELDS = ("imap_host", "imap_username", "imap_password", "imap_folder", "inbound")


@admin_required
@require_POST
def mailbox_test_view(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    """`pk` None: a mailbox being added, tried before it is first saved (nothing is stored)."""
    # Mailboxes are installation settings: every administrator (checked above) sees all of them.
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk is not None else Mailbox()
    try:
        _apply_posted_settings(mailbox, request.POST)
    except ValidationError as exc:
        ok, message = False, " ".join(exc.messages)
    else:
        ok, message = mailbox_test_connection(mailbox=mailbox)
    return render(request, "channels/_mailbox_test_result.html", {"ok": ok, "message": message, "mailbox": mailbox})


def _apply_posted_settings(mailbox: Mailbox, data: QueryDict) -> None:
    """Overlay the posted, unsaved IMAP settings on the mailbox object; nothing is saved."""
    for name in _TEXT_FIELDS:
        value = (data.get(name) or "").strip()
        if value:
            setattr(mailbox, name, value)
    port = (data.get("imap_port") or "").strip()
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError(_("The IMAP port must be a number from 1 to 65535."))
        mailbox.imap_port = int(port)
    security = (data.get("imap_security") or "").strip()
    if security:
        if security not in TransportSecurity.values:
            raise ValidationError(_("Unknown IMAP security setting."))
        mailbox.imap_security = security
