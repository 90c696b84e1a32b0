"""Reads of equipment, scoped to the person asking."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.choices import Role
from accounts.models import User
from assets.models import Equipment, EquipmentKind
from core.db import icontains_q


def equipment_list_for_user(*, user: User) -> QuerySet[Equipment]:
    """Staff (not contractors) see every unit; a client contact sees their company's units."""
    qs = Equipment.objects.select_related("kind", "site", "company")
    if user.is_authenticated and user.is_agent_side and user.role != Role.CONTRACTOR:
        return qs
    if user.is_authenticated and user.is_client and user.contact and user.contact.company_id:
        return qs.filter(company_id=user.contact.company_id, is_active=True)
    return qs.none()


def equipment_get_for_user(*, user: User, equipment_id: int) -> Equipment:
    try:
        return equipment_list_for_user(user=user).get(pk=equipment_id)
    except (Equipment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def equipment_search_q(query: str) -> Q:
    """Units whose name, serial or inventory number, model or manufacturer contains `query`."""
    query = query.strip()
    # Through icontains_q like the names: inventory numbers are often Cyrillic ("ИНВ-0042"), which
    # SQLite's LIKE would not match case-insensitively.
    return (
        icontains_q("name", query)
        | icontains_q("serial_number", query)
        | icontains_q("inventory_number", query)
        | icontains_q("model", query)
        | icontains_q("manufacturer", query)
    )


def equipment_by_qr_token(token: str) -> Equipment:
    """The unit a printed label points at (public: the token is the secret), or 404."""
    unit = (
        Equipment.objects.select_related("company", "site", "kind")
        .filter(qr_token=token, is_active=True, company__is_active=True)
        .first()
    )
    if unit is None:
        raise Http404
    return unit


def equipment_kind_list() -> QuerySet[EquipmentKind]:
    return EquipmentKind.objects.filter(is_active=True)
