"""Writes of equipment: every change validated against the company, the site and the tree."""

from __future__ import annotations

import mimetypes
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User
from assets.models import Equipment, EquipmentDocument, EquipmentKind, ParameterType, Responsible

MAX_TREE_DEPTH = 10


# A number parameter is what a person types: at most 15 significant digits (what a float keeps
# exactly), between 10^-15 and 10^15. Anything else — "1e5000", "1e999999999" — is refused
# before int() would build a 5,000-digit integer (or spend minutes on a billion digits).
NUMBER_MAX_DIGITS = 15


def parameter_number(number: Decimal) -> int | float:
    """`number` as a number parameter is stored (an int when whole). Raises ValueError for one
    not finite, with more than NUMBER_MAX_DIGITS significant digits, or out of range."""
    if not number.is_finite():
        raise ValueError("not a finite number")
    if number.is_zero():
        return 0
    significant = len("".join(map(str, number.as_tuple().digits)).rstrip("0"))
    if significant > NUMBER_MAX_DIGITS or not -NUMBER_MAX_DIGITS <= number.adjusted() < NUMBER_MAX_DIGITS:
        raise ValueError("out of range")
    return int(number) if number == number.to_integral_value() else float(number)


def parameters_clean(kind: EquipmentKind, values: dict[str, Any]) -> dict[str, Any]:
    """Keep the kind's parameters only, each converted to its type (dates as ISO strings);
    blank values are dropped. Raises ValidationError naming the parameter."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in kind.parameters or []:
        code, kind_of = spec.get("code"), spec.get("type", ParameterType.TEXT)
        raw = values.get(code)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        label = spec.get("name_ru") or code
        try:
            if kind_of == ParameterType.NUMBER:
                number = Decimal(str(raw).replace(",", ".").replace("\u00a0", "").replace(" ", ""))
                cleaned[code] = parameter_number(number)
            elif kind_of == ParameterType.DATE:
                cleaned[code] = (raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())).isoformat()
            elif kind_of == ParameterType.YES_NO:
                cleaned[code] = (
                    raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "да", "yes", "on")
                )
            else:
                cleaned[code] = str(raw).strip()[:500]
        except (InvalidOperation, ValueError):
            errors[f"param_{code}"] = _("%(name)s: enter a valid value.") % {"name": label}
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check(unit: Equipment) -> None:
    if unit.site is not None and unit.site.company_id != unit.company_id:
        raise ValidationError({"site": _("The site belongs to another company.")})
    if unit.parent is not None:
        if unit.parent.company_id != unit.company_id:
            raise ValidationError({"parent": _("The parent unit belongs to another company.")})
        seen: set[int | None] = {unit.pk}
        node: Equipment | None = unit.parent
        depth = 0
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A unit cannot be part of itself.")})
            seen.add(node.pk)
            depth += 1
            if depth > MAX_TREE_DEPTH:
                raise ValidationError({"parent": _("The equipment tree is too deep.")})
            node = node.parent
    if unit.responsible == Responsible.CONTRACTOR and not unit.contractor_name.strip():
        raise ValidationError({"contractor_name": _("Name the contractor who maintains the unit.")})
    unit.full_clean(exclude=["qr_token"])


@transaction.atomic
def equipment_create(*, parameters: dict[str, Any] | None = None, **fields: Any) -> Equipment:
    """A new unit. The company defaults to the site's; parameters are checked against the kind."""
    if fields.get("company") is None and fields.get("site") is not None:
        fields["company"] = fields["site"].company
    if fields.get("company") is None:
        raise ValidationError({"company": _("Choose the company that owns the unit.")})
    unit = Equipment(**fields)
    unit.parameters = parameters_clean(unit.kind, parameters or {}) if unit.kind_id else {}
    _check(unit)
    unit.save()
    return unit


@transaction.atomic
def equipment_update(*, unit: Equipment, parameters: dict[str, Any] | None = None, **fields: Any) -> Equipment:
    unit = Equipment.objects.select_for_update().get(pk=unit.pk)
    for name, value in fields.items():
        setattr(unit, name, value)
    if parameters is not None or "kind" in fields:
        unit.parameters = parameters_clean(unit.kind, parameters if parameters is not None else unit.parameters)
    _check(unit)
    unit.save()
    return unit


def equipment_document_add(
    *, unit: Equipment, title: str, kind: str, upload: Any, actor: User | None
) -> EquipmentDocument:
    limit = settings.OTKLIK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {"file": _("%(name)s is larger than %(limit)s.") % {"name": upload.name, "limit": filesizeformat(limit)}}
        )
    content_type = (
        getattr(upload, "content_type", "") or mimetypes.guess_type(upload.name)[0] or "application/octet-stream"
    )
    document = EquipmentDocument(
        equipment=unit,
        kind=kind,
        title=(title or upload.name).strip()[:255],
        filename=upload.name[:255],
        content_type=content_type[:100],
        size=upload.size,
        uploaded_by=actor,
    )
    document.file.save(upload.name, upload, save=False)
    try:
        document.full_clean(exclude=["file"])
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document
