"""Printable QR labels: an A4 PDF sheet of 3 × 8 labels (70 × 37 mm, the common self-adhesive
sheet). Each QR code holds the unit's portal address (OTKLIK_BASE_URL + /portal/qr/<token>/):
scanning it opens a new request with the unit already chosen."""

from __future__ import annotations

from collections.abc import Iterable

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from assets.models import Equipment

MAX_LABELS = 2400  # 100 sheets per PDF


def qr_url(unit: Equipment) -> str:
    return settings.OTKLIK_BASE_URL + reverse("portal:qr", kwargs={"token": unit.qr_token})


def qr_svg(data: str) -> str:
    """The QR code as an inline SVG (error correction M: a scratched label still scans)."""
    # A two-module quiet zone inside the drawn square, the label padding adds the rest.
    return segno.make(data, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000")


def labels_pdf(units: Iterable[Equipment]) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, needed only for printing

    labels = [{"unit": unit, "url": qr_url(unit), "svg": qr_svg(qr_url(unit))} for unit in units]
    html = render_to_string("assets/labels.html", {"labels": labels})
    return HTML(string=html, base_url=settings.OTKLIK_BASE_URL).write_pdf()  # type: ignore[no-any-return]
