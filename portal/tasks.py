"""Background jobs of the client portal."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from accounts.choices import Language
from accounts.models import User
from accounts.services import MAGIC_LINK_TTL, magic_link_create
from portal.selectors import client_user_get_by_login_email


def _language_for(user: User) -> str:
    """The contact's language when it is one the product speaks, else the user's own setting."""
    available = {code for code, _name in Language.choices}
    for candidate in (user.contact.language if user.contact else "", user.language):
        if candidate in available:
            return candidate
    return settings.LANGUAGE_CODE


@db_task(retries=3, retry_delay=60)
def magic_link_send(*, email: str, next_path: str = "") -> bool:
    """Email a one-time login link to `email` if it belongs to an active portal user.

    The token is created here, in the worker, so the raw token never sits in the queue and the
    web request cannot be timed to learn whether the address exists. A retry after a failed
    send creates a fresh token; the unused one simply expires. Returns whether mail was sent.
    """
    user = client_user_get_by_login_email(email=email)
    if user is None:
        return False
    token = magic_link_create(user=user)
    url = settings.OTKLIK_BASE_URL + reverse("portal:magic_link", kwargs={"token": token})
    if next_path:
        url += "?" + urlencode({"next": next_path})
    language = _language_for(user)
    with translation.override(language):
        subject = _("Your login link for the Otklik portal")
        body = render_to_string(
            "portal/email/magic_link.txt",
            {"user": user, "url": url, "minutes": int(MAGIC_LINK_TTL.total_seconds() // 60)},
        )
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[email.strip().lower()],
        headers={"Content-Language": language, "Auto-Submitted": "auto-generated"},
    )
    message.send()
    return True
