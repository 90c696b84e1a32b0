"""Equipment (the assets app): kind by code or name, site, parent unit, kind-specific parameters."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.models import Equipment, EquipmentKind, ParameterType, Responsible
from assets.services import NUMBER_MAX_DIGITS, parameter_number
from imports.resources.base import Column, Index, Resource, Row, RowError, pk_of, register
from imports.resources.customers import ACTIVE, COMPANY_REF, EXTERNAL_ID, ID_COLUMN, NOTES, _find_by_id, _one
from imports.resources.lookups import CodeOrNameRefs, CompanyRefs, SiteRefs
from imports.values import CellError, parse_bool, parse_date, parse_decimal

MAX_TREE_DEPTH = 1000


def _node(target: Any) -> Any:
    """A unit in the parent chain: its id, or the object itself while it exists only in this file."""
    return target if isinstance(target, int) else ("new", id(target))


@register
class EquipmentResource(Resource):
    code = "equipment"
    label = gettext_lazy("Equipment")
    model = Equipment
    columns = [
        ID_COLUMN,
        COMPANY_REF,
        Column(
            "site",
            gettext_lazy("Site"),
            kind="ref",
            aliases=("объект", "площадка", "адрес объекта", "site"),
            help=gettext_lazy("External id or name at the company"),
        ),
        Column(
            "kind",
            gettext_lazy("Kind"),
            kind="ref",
            required=True,
            aliases=("вид", "тип", "вид оборудования", "тип оборудования", "type", "kind"),
            help=gettext_lazy("Code or name"),
        ),
        Column(
            "name",
            gettext_lazy("Name"),
            required=True,
            max_length=255,
            aliases=("наименование", "название", "оборудование", "equipment"),
        ),
        Column(
            "manufacturer",
            gettext_lazy("Manufacturer"),
            max_length=200,
            aliases=("производитель", "марка", "brand", "vendor"),
        ),
        Column("model", gettext_lazy("Model"), max_length=200, aliases=("модель",)),
        Column(
            "serial_number",
            gettext_lazy("Serial number"),
            max_length=100,
            aliases=("серийный номер", "заводской номер", "зав номер", "s/n", "sn", "serial"),
        ),
        Column(
            "inventory_number",
            gettext_lazy("Inventory number"),
            max_length=100,
            aliases=("инвентарный номер", "инв номер", "инв", "inventory", "asset tag"),
        ),
        Column(
            "location",
            gettext_lazy("Floor / room"),
            max_length=200,
            aliases=("расположение", "этаж", "помещение", "location", "room"),
        ),
        Column(
            "parameters",
            gettext_lazy("Parameters"),
            aliases=("параметры", "характеристики", "parameters"),
            help=gettext_lazy("code: value; code: value"),
        ),
        Column(
            "installed_on",
            gettext_lazy("Installed"),
            kind="date",
            aliases=("дата установки", "установлено", "дата ввода в эксплуатацию", "installed on"),
        ),
        Column(
            "warranty_until",
            gettext_lazy("Warranty until"),
            kind="date",
            aliases=("гарантия до", "окончание гарантии", "warranty"),
        ),
        Column(
            "responsible",
            gettext_lazy("Responsible party"),
            kind="choice",
            choices=Responsible,
            aliases=("ответственный", "обслуживает", "responsible"),
        ),
        Column("contractor_name", gettext_lazy("Contractor"), max_length=255, aliases=("подрядчик", "contractor")),
        Column(
            "parent",
            gettext_lazy("Part of"),
            kind="ref",
            aliases=("родитель", "входит в", "в составе", "parent"),
            help=gettext_lazy("Inventory number, serial number or external id of the unit it is part of"),
        ),
        NOTES,
        EXTERNAL_ID,
        ACTIVE,
    ]
    written_fields = [
        "company",
        "site",
        "parent",
        "kind",
        "name",
        "manufacturer",
        "model",
        "serial_number",
        "inventory_number",
        "location",
        "parameters",
        "installed_on",
        "warranty_until",
        "responsible",
        "contractor_name",
        "notes",
        "external_id",
        "is_active",
    ]
    plain_fields = [
        "name",
        "manufacturer",
        "model",
        "serial_number",
        "inventory_number",
        "location",
        "installed_on",
        "warranty_until",
        "responsible",
        "contractor_name",
        "notes",
        "external_id",
        "is_active",
    ]
    protecting_relations = [
        ("tickets.Ticket", "equipment", gettext_lazy("has tickets")),
        ("assets.Equipment", "parent", gettext_lazy("has parts that stay")),
        ("assets.EquipmentDocument", "equipment", gettext_lazy("has documents")),
        ("contracts.Contract", "equipment", gettext_lazy("is covered by a contract")),
    ]

    def load(self) -> None:
        self.companies = CompanyRefs()
        self.sites = SiteRefs()
        self.kinds = CodeOrNameRefs(EquipmentKind, what=_("equipment kind"))
        self.by_external, self.by_inventory, self.by_serial = Index(), Index(), Index()
        self.company_of: dict[Any, int] = {}
        self.parent_of: dict[Any, Any] = {}
        rows = Equipment.objects.values_list(
            "pk", "company_id", "parent_id", "external_id", "inventory_number", "serial_number"
        )
        for pk, company_id, parent_id, external_id, inventory_number, serial_number in rows.iterator(10000):
            self.company_of[pk] = company_id
            if parent_id:
                self.parent_of[pk] = parent_id
            self.by_external.add(external_id, pk)
            self.by_inventory.add(inventory_number, pk)
            self.by_serial.add(serial_number, pk)
        super().load()

    # --- a row ---------------------------------------------------------------------------------

    def resolve(self, row: Row) -> None:
        values = row.values
        try:
            if values.get("company"):
                row.refs["company"] = self.companies.resolve(values["company"])
            if values.get("site"):
                row.refs["site"] = self.sites.resolve(values["site"], company=row.refs.get("company"))
        except RowError as exc:
            row.errors.append(exc)
        if values.get("kind"):
            try:
                row.refs["kind"] = self.kinds.resolve(values["kind"], column="kind")
            except RowError as exc:
                row.errors.append(exc)
        if values.get("parameters") and "kind" in row.refs:
            row.refs["parameters"] = self._parameters(row, values["parameters"], row.refs["kind"])

    def _parameters(self, row: Row, text: str, kind: EquipmentKind) -> dict[str, Any]:
        definitions = {}
        for definition in kind.parameters or []:
            for key in (definition.get("code"), definition.get("name_ru"), definition.get("name_en")):
                if key:
                    definitions[str(key).strip().lower()] = definition
        result: dict[str, Any] = {}
        for part in re.split(r"[;\n]", text):
            if not part.strip():
                continue
            match = re.match(r"\s*([^:=]+?)\s*[:=]\s*(.*)$", part, re.S)
            if not match:
                row.fail("parameters", _("«%(part)s»: write parameters as «code: value».") % {"part": part.strip()})
                continue
            name, raw = match.groups()
            definition = definitions.get(name.strip().lower())
            if definition is None:
                row.fail(
                    "parameters",
                    _("The kind «%(kind)s» has no parameter «%(name)s».") % {"kind": kind.name, "name": name.strip()},
                )
                continue
            try:
                value = _parameter_value(raw.strip(), definition.get("type", ParameterType.TEXT))
            except CellError as exc:
                row.fail("parameters", f"{name.strip()}: {exc}")
                continue
            if value is not None:
                result[definition["code"]] = value
        return result

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        for code in ("id", "external_id", "inventory_number", "serial_number"):
            value = row.values.get(code)
            if value not in (None, ""):
                return [(code, value.lower() if isinstance(value, str) else value, code)]
        return []

    def find(self, row: Row) -> int | None:
        found = _find_by_id(row, self.company_of, _("unit"))
        if found is not None or row.errors:
            return found
        what = _("units")
        for code, index in (
            ("external_id", self.by_external),
            ("inventory_number", self.by_inventory),
            ("serial_number", self.by_serial),
        ):
            value = row.values.get(code)
            if value:
                target = _one(index.get(value), row, code, value, what)
                if row.errors:
                    return None
                if target is not None:
                    return pk_of(target)
        return None

    def _parent(self, row: Row, obj: Any) -> Any:
        value = row.values.get("parent")
        if not value:
            return None
        target: Any = None
        if value.startswith("#") and value[1:].isdigit():
            target = int(value[1:])
            if target not in self.company_of:
                raise RowError("parent", _("There is no unit with ID %(id)s.") % {"id": target})
        else:
            what = _("units")
            for index in (self.by_external, self.by_inventory, self.by_serial):
                found = index.get(value)
                if len(found) > 1:
                    raise RowError(
                        "parent",
                        _("«%(value)s» matches %(count)s %(what)s.")
                        % {"value": value, "count": len(found), "what": what},
                    )
                if found:
                    target = found[0]
                    break
            if target is None:
                raise RowError(
                    "parent",
                    _("No unit «%(value)s» (looked up by external id, inventory and serial number).")
                    % {"value": value},
                )
        me = _node(obj.pk) if obj.pk else _node(obj)
        node, steps = _node(target), 0
        while node is not None and steps < MAX_TREE_DEPTH:
            if node == me:
                raise RowError("parent", _("A unit cannot be part of itself or of its own parts."))
            node, steps = self.parent_of.get(node), steps + 1
        parent_company = self.company_of.get(_node(target))
        if parent_company is not None and parent_company != obj.company_id:
            raise RowError("parent", _("The unit «%(value)s» belongs to another company.") % {"value": value})
        return target

    def fill(self, row: Row, obj: Any) -> None:
        self.fill_plain(row, obj)
        if "company" in row.values:
            obj.company_id = row.refs["company"]
        if "site" in row.values:
            obj.site_id = row.refs.get("site")
        if obj.site_id and "company" in row.values and self.sites.company_of.get(obj.site_id) != obj.company_id:
            row.fail("site", _("The site «%(value)s» belongs to another company.") % {"value": row.values["site"]})
        if "kind" in row.values:
            obj.kind = row.refs["kind"]
        if "parameters" in row.values:
            obj.parameters = row.refs.get("parameters") or {}
        obj._import_parent = None
        if "parent" in row.values:
            try:
                parent = self._parent(row, obj)
            except RowError as exc:
                row.errors.append(exc)
                return
            if parent is None or isinstance(parent, int):
                obj.parent_id = parent
            elif parent.pk is None:
                obj.parent = parent
                obj._import_parent = parent
            else:
                obj.parent_id = parent.pk

    def changed(self, row: Row, obj: Any) -> bool:
        return getattr(obj, "_import_parent", None) is not None or super().changed(row, obj)

    def remember(self, row: Row, obj: Any) -> None:
        key = obj.pk if obj.pk else _node(obj)
        self.company_of[key] = obj.company_id
        parent = obj._import_parent if getattr(obj, "_import_parent", None) is not None else obj.parent_id
        if parent is not None:
            self.parent_of[key] = _node(parent)
        else:
            self.parent_of.pop(key, None)
        if not obj.pk:
            self.by_external.add(obj.external_id, obj)
            self.by_inventory.add(obj.inventory_number, obj)
            self.by_serial.add(obj.serial_number, obj)

    def create(self, objs: list[models.Model]) -> None:
        """Parents before their parts: a unit whose parent is created in the same batch waits a wave."""
        pending = objs
        while pending:
            ready = [o for o in pending if getattr(o, "_import_parent", None) is None or o._import_parent.pk]  # type: ignore[attr-defined]
            if not ready:  # cannot happen: cycles are refused row by row
                raise RuntimeError("equipment parent cycle in an import batch")
            Equipment.objects.bulk_create(ready)  # type: ignore[arg-type]
            ready_ids = {id(o) for o in ready}
            pending = [o for o in pending if id(o) not in ready_ids]

    def delete(self, ids: list[int]) -> None:
        # Parts first: every part of a deleted unit is itself deleted (undo checks that).
        Equipment.objects.filter(pk__in=ids).update(parent=None)
        Equipment.objects.filter(pk__in=ids).delete()

    # --- export --------------------------------------------------------------------------------

    def export_queryset(self) -> models.QuerySet[Any]:
        return Equipment.objects.select_related("company", "site", "kind", "parent")

    def export_values(self, obj: Any) -> dict[str, Any]:
        values = {code: getattr(obj, code) for code in self.plain_fields}
        parent = obj.parent
        values.update(
            id=obj.pk,
            company=obj.company.name,
            site=(obj.site.external_id or obj.site.name) if obj.site else "",
            kind=obj.kind.code,
            parameters="; ".join(f"{k}: {_format_parameter(v)}" for k, v in (obj.parameters or {}).items()),
            parent=(
                (parent.inventory_number or parent.serial_number or parent.external_id or f"#{parent.pk}")
                if parent
                else ""
            ),
        )
        return values


def _parameter_value(raw: str, kind: str) -> Any:
    if raw == "":
        return None
    if kind == ParameterType.NUMBER:
        number = parse_decimal(raw)
        try:
            return parameter_number(number)
        except ValueError as exc:
            message = _("«%(value)s» is out of range: at most %(digits)s digits.")
            raise CellError(message % {"value": raw, "digits": NUMBER_MAX_DIGITS}) from exc
    if kind == ParameterType.DATE:
        return parse_date(raw).isoformat()
    if kind == ParameterType.YES_NO:
        return parse_bool(raw)
    return raw


def _format_parameter(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return ""
    return str(value)
