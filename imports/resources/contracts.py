"""Contracts (the contracts app), with the covered sites listed in one cell separated by ";"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract, ContractStatus, HoursPeriod, PaymentState
from imports.resources.base import Column, Index, Resource, Row, RowError, pk_of, register
from imports.resources.customers import COMPANY_REF, EXTERNAL_ID, ID_COLUMN, NOTES, _find_by_id, _one
from imports.resources.lookups import CompanyRefs, SiteRefs


@register
class ContractResource(Resource):
    code = "contracts"
    label = gettext_lazy("Contracts")
    model = Contract
    columns = [
        ID_COLUMN,
        COMPANY_REF,
        Column(
            "number",
            gettext_lazy("Number"),
            required=True,
            max_length=100,
            aliases=("номер", "номер договора", "договор", "contract", "contract number"),
        ),
        Column(
            "title", gettext_lazy("Title"), max_length=255, aliases=("название", "наименование", "предмет договора")
        ),
        Column(
            "status", gettext_lazy("Status"), kind="choice", choices=ContractStatus, aliases=("статус", "состояние")
        ),
        Column(
            "starts_on",
            gettext_lazy("Starts on"),
            kind="date",
            required=True,
            aliases=("дата начала", "начало", "действует с", "с", "start", "start date"),
        ),
        Column(
            "ends_on",
            gettext_lazy("Ends on"),
            kind="date",
            aliases=("дата окончания", "окончание", "действует по", "по", "end", "end date"),
        ),
        Column(
            "sites",
            gettext_lazy("Covered sites"),
            kind="ref",
            aliases=("объекты", "площадки", "объекты договора", "sites"),
            help=gettext_lazy("Separated by «;»; empty: every site of the company"),
        ),
        Column(
            "included_hours",
            gettext_lazy("Included hours"),
            kind="decimal",
            max_digits=8,
            decimal_places=2,
            aliases=("часы", "часов включено", "лимит часов", "hours"),
        ),
        Column(
            "hours_period",
            gettext_lazy("Hours period"),
            kind="choice",
            choices=HoursPeriod,
            aliases=("период часов", "период"),
        ),
        Column(
            "payment_state",
            gettext_lazy("Payment"),
            kind="choice",
            choices=PaymentState,
            aliases=("оплата", "состояние оплаты"),
        ),
        Column(
            "debt_amount",
            gettext_lazy("Debt"),
            kind="decimal",
            max_digits=12,
            decimal_places=2,
            aliases=("долг", "задолженность", "сумма долга"),
        ),
        NOTES,
        EXTERNAL_ID,
    ]
    written_fields = [
        "company",
        "number",
        "title",
        "status",
        "starts_on",
        "ends_on",
        "all_sites",
        "included_hours",
        "hours_period",
        "payment_state",
        "debt_amount",
        "notes",
        "external_id",
    ]
    plain_fields = [
        "number",
        "title",
        "status",
        "starts_on",
        "ends_on",
        "included_hours",
        "hours_period",
        "payment_state",
        "debt_amount",
        "notes",
        "external_id",
    ]
    protecting_relations = [
        ("tickets.Ticket", "contract", gettext_lazy("has tickets")),
        ("contracts.TicketWork", "contract", gettext_lazy("has works")),
    ]

    def load(self) -> None:
        self.companies = CompanyRefs()
        self.sites = SiteRefs()
        self.ids: set[int] = set()
        self.by_external, self.by_number = Index(), Index()
        for pk, company_id, number, external_id in Contract.objects.values_list(
            "pk", "company_id", "number", "external_id"
        ):
            self.ids.add(pk)
            self.by_external.add(external_id, pk)
            self.by_number.add((company_id, number.strip().lower()), pk)
        super().load()

    def resolve(self, row: Row) -> None:
        try:
            if row.values.get("company"):
                row.refs["company"] = self.companies.resolve(row.values["company"])
        except RowError as exc:
            row.errors.append(exc)
            return
        if "sites" in row.values:
            ids: list[int] = []
            for name in (row.values["sites"] or "").split(";"):
                if not name.strip():
                    continue
                try:
                    site_id = self.sites.resolve(name.strip(), company=row.refs.get("company"), column="sites")
                except RowError as exc:
                    row.errors.append(exc)
                    continue
                if site_id not in ids:
                    ids.append(site_id)
            row.extra["_sites"] = sorted(ids)
        for code in ("included_hours", "debt_amount"):
            value = row.values.get(code)
            if value is not None and value < 0:
                row.fail(code, _("Cannot be negative."))

    def _number_key(self, row: Row) -> tuple[Any, str] | None:
        company = row.refs.get("company")
        if company is None or not row.values.get("number"):
            return None
        return (pk_of(company), row.values["number"].strip().lower())

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        if row.values.get("id") is not None:
            return [("id", row.values["id"], "id")]
        if row.values.get("external_id"):
            return [("external_id", row.values["external_id"].lower(), "external_id")]
        key = self._number_key(row)
        return [("number", key, "number")] if key else []

    def find(self, row: Row) -> int | None:
        found = _find_by_id(row, self.ids, _("contract"))
        if found is None and not row.errors and row.values.get("external_id"):
            value = row.values["external_id"]
            found = pk_of(_one(self.by_external.get(value), row, "external_id", value, _("contracts")))
        key = self._number_key(row)
        if found is None and not row.errors and key:
            found = pk_of(_one(self.by_number.get(key), row, "number", row.values["number"], _("contracts")))
        return found

    def fill(self, row: Row, obj: Any) -> None:
        self.fill_plain(row, obj)
        if "company" in row.values:
            company_id = pk_of(row.refs["company"])
            if obj.pk and obj.company_id != company_id:
                # Its sites, units and tickets are the old company's: moving is done by hand.
                row.fail("company", _("The contract belongs to another company; an import cannot move it."))
                return
            obj.company_id = company_id
        if "sites" in row.values:
            obj.all_sites = not row.extra["_sites"]
        if obj.starts_on and obj.ends_on and obj.ends_on < obj.starts_on:
            row.fail("ends_on", _("The contract cannot end before it starts."))
        if obj.debt_amount is None:
            obj.debt_amount = Decimal("0")

    def remember(self, row: Row, obj: Any) -> None:
        self.by_external.add(obj.external_id, obj)

    def prefetch_extra(self, objs: dict[int, models.Model]) -> None:
        self._sites: dict[int, list[int]] = {pk: [] for pk in objs}
        through = Contract.sites.through.objects.filter(contract_id__in=list(objs)).order_by("site_id")
        for contract_id, site_id in through.values_list("contract_id", "site_id"):
            self._sites[contract_id].append(site_id)

    def snapshot_extra(self, obj: models.Model) -> dict[str, Any]:
        return {"_sites": self._sites.get(obj.pk, [])}

    def _write_sites(self, items: list[tuple[Any, dict[str, Any]]]) -> None:
        through = Contract.sites.through
        items = [(contract, extra) for contract, extra in items if "_sites" in extra]
        through.objects.filter(contract_id__in=[c.pk for c, _extra in items]).delete()
        through.objects.bulk_create(
            [through(contract_id=c.pk, site_id=site_id) for c, extra in items for site_id in extra["_sites"]]
        )

    def save_extra(self, rows: list[Row]) -> None:
        self._write_sites([(row.instance, row.extra) for row in rows])

    def restore_extra(self, items: list[tuple[models.Model, dict[str, Any]]]) -> None:
        self._write_sites(items)

    def export_queryset(self) -> models.QuerySet[Any]:
        return Contract.objects.select_related("company")

    def export_prepare(self, objs: list[models.Model]) -> None:
        from customers.models import Site

        self.prefetch_extra({o.pk: o for o in objs})
        site_ids = {s for ids in self._sites.values() for s in ids}
        self._site_names = {
            pk: external_id or name
            for pk, external_id, name in Site.objects.filter(pk__in=site_ids).values_list("pk", "external_id", "name")
        }

    def export_values(self, obj: Any) -> dict[str, Any]:
        values = {code: getattr(obj, code) for code in self.plain_fields}
        values.update(
            id=obj.pk,
            company=obj.company.name,
            sites="; ".join(self._site_names[s] for s in self._sites.get(obj.pk, [])),
        )
        return values
