"""A scanned equipment label: /portal/qr/<token>/ opens a new request about that unit."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from assets.selectors import equipment_by_qr_token
from core.forms import form_add_service_errors
from core.http import client_ip
from portal import services
from portal.forms import QrRequestForm, uploaded_files


@csrf_protect
def qr_entry(request: HttpRequest, token: str) -> HttpResponse:
    """Staff go to the phone intake with the unit chosen; a contact of the unit's company to the
    portal's new request with the unit chosen; anyone else signs in first — or, when the
    company allows requests without signing in, gets a short form."""
    unit = equipment_by_qr_token(token)
    user = request.user
    here = reverse("portal:qr", kwargs={"token": token})
    if user.is_authenticated:
        if user.is_agent_side:  # type: ignore[union-attr]
            return redirect(reverse("tickets:create") + "?" + urlencode({"equipment": unit.pk}))
        contact = getattr(user, "contact", None)
        if contact is not None and contact.company_id == unit.company_id:
            return redirect(reverse("portal:ticket_create") + "?" + urlencode({"equipment": unit.pk}))
    if unit.company.portal_qr_requires_login and not user.is_authenticated:
        return redirect(reverse("portal:login") + "?" + urlencode({"next": here}))
    if unit.company.portal_qr_requires_login:
        # Signed in, but as a contact of another company: the label is not theirs to use.
        return render(request, "portal/qr_not_yours.html", {"unit": unit}, status=403)
    form = QrRequestForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        try:
            services.qr_request_throttle(unit=unit, ip=client_ip(request))
        except services.TooManyRequests:
            response = render(
                request, "portal/qr_request.html", {"unit": unit, "form": form, "limited": True}, status=429
            )
            response["Retry-After"] = str(services.QR_REQUEST_WINDOW)
            return response
        if form.is_valid() and not form.cleaned_data.get("website"):
            data = form.cleaned_data
            try:
                ticket = services.qr_request_create(
                    unit=unit,
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    description=data["description"],
                    attachments=uploaded_files(data["attachments"]),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                return render(request, "portal/qr_done.html", {"unit": unit, "ticket": ticket})
        elif form.is_valid():
            # The honeypot was filled: answer like a success, create nothing.
            return render(request, "portal/qr_done.html", {"unit": unit, "ticket": None})
        status = 400
    return render(request, "portal/qr_request.html", {"unit": unit, "form": form}, status=status)
