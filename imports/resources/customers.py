"""Companies, contacts and sites (the customers app)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Container
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.choices import Language
from customers.models import (
    Company,
    CompanyCategory,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactRole,
    Site,
    normalize_phone,
)
from imports.resources.base import Column, Index, Resource, Row, RowError, pk_of, register
from imports.resources.lookups import CodeOrNameRefs, CompanyRefs, SiteRefs

ID_COLUMN = Column("id", gettext_lazy("Otklik ID"), kind="int", aliases=("id", "ид", "идентификатор", "код otklik"))
EXTERNAL_ID = Column(
    "external_id",
    gettext_lazy("External id"),
    max_length=100,
    aliases=("внешний код", "код 1с", "код в 1с", "ид 1с", "guid", "external id", "код"),
)
NOTES = Column("notes", gettext_lazy("Notes"), aliases=("примечание", "комментарий", "comment"))
ACTIVE = Column(
    "is_active", pgettext_lazy("import column", "Active"), kind="bool", aliases=("активна", "активен", "active")
)
COMPANY_REF = Column(
    "company",
    gettext_lazy("Company"),
    kind="ref",
    required=True,
    aliases=("клиент", "организация", "контрагент", "client", "customer", "организация клиента"),
    help=gettext_lazy("External id, INN or exact name"),
)


def _find_by_id(row: Row, ids: Container[Any], what: str) -> int | None:
    """The row's Otklik ID column, when filled, names the record to update; it must exist."""
    pk = row.values.get("id")
    if pk is None:
        return None
    if pk not in ids:
        row.fail("id", _("There is no %(what)s with ID %(id)s.") % {"what": what, "id": pk})
    return int(pk)


def _one(found: list[Any], row: Row, column: str, value: str, what: str) -> Any:
    if len(found) > 1:
        row.fail(
            column, _("«%(value)s» matches %(count)s %(what)s.") % {"value": value, "count": len(found), "what": what}
        )
        return None
    return found[0] if found else None


def _digits(row: Row, code: str, lengths: tuple[int, ...], label: str) -> None:
    value = row.values.get(code)
    if value is not None and (not value.isdigit() or len(value) not in lengths):
        row.fail(
            code,
            _("%(label)s must be %(lengths)s digits.")
            % {"label": label, "lengths": _(" or ").join(str(n) for n in lengths)},
        )


@register
class CompanyResource(Resource):
    code = "companies"
    label = gettext_lazy("Companies")
    model = Company
    columns = [
        ID_COLUMN,
        Column(
            "name",
            gettext_lazy("Name"),
            required=True,
            max_length=255,
            aliases=("наименование", "название", "компания", "company", "краткое наименование"),
        ),
        Column(
            "legal_name",
            gettext_lazy("Legal name"),
            max_length=255,
            aliases=("полное наименование", "юридическое наименование", "юр. наименование", "full name"),
        ),
        Column("inn", gettext_lazy("INN"), max_length=12, aliases=("инн", "tax id")),
        Column("kpp", gettext_lazy("KPP"), max_length=9, aliases=("кпп",)),
        Column("category", gettext_lazy("Category"), kind="ref", aliases=("категория", "тип клиента")),
        EXTERNAL_ID,
        Column("phone", gettext_lazy("Phone"), max_length=50, aliases=("телефон", "тел")),
        Column(
            "email_domains",
            gettext_lazy("Email domains"),
            max_length=500,
            aliases=("домены", "почтовые домены", "domains"),
        ),
        NOTES,
        ACTIVE,
    ]
    written_fields = [
        "name",
        "legal_name",
        "inn",
        "kpp",
        "category",
        "external_id",
        "phone",
        "email_domains",
        "notes",
        "is_active",
    ]
    plain_fields = ["name", "legal_name", "inn", "kpp", "external_id", "phone", "email_domains", "notes", "is_active"]
    protecting_relations = [
        ("tickets.Ticket", "company", gettext_lazy("has tickets")),
        ("customers.Contact", "company", gettext_lazy("has contacts")),
        ("customers.Site", "company", gettext_lazy("has sites")),
        ("assets.Equipment", "company", gettext_lazy("has equipment")),
        ("contracts.Contract", "company", gettext_lazy("has contracts")),
    ]

    def load(self) -> None:
        self.companies = CompanyRefs()
        self.categories = CodeOrNameRefs(CompanyCategory, what=_("company category"))
        super().load()

    def resolve(self, row: Row) -> None:
        _digits(row, "inn", (10, 12), _("The INN"))
        _digits(row, "kpp", (9,), _("The KPP"))
        if row.values.get("category"):
            try:
                row.refs["category"] = self.categories.resolve(row.values["category"], column="category")
            except RowError as exc:
                row.errors.append(exc)

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        keys = []
        if row.values.get("id") is not None:
            keys.append(("id", row.values["id"], "id"))
        if row.values.get("external_id"):
            keys.append(("external_id", row.values["external_id"].lower(), "external_id"))
        if row.values.get("inn"):
            keys.append(("inn", (row.values["inn"], row.values.get("kpp") or ""), "inn"))
        return keys

    def find(self, row: Row) -> int | None:
        by_id = _find_by_id(row, self.companies.ids, _("company"))
        if by_id is not None or row.errors:
            return by_id
        external_id, inn = row.values.get("external_id"), row.values.get("inn")
        if external_id:
            found = _one(self.companies.by_external.get(external_id), row, "external_id", external_id, _("companies"))
            if found is not None:
                return pk_of(found)
        if inn:
            found_list = self.companies.by_inn.get(inn)
            if len(found_list) > 1 and row.values.get("kpp"):
                self._kpp = getattr(self, "_kpp", None) or dict(Company.objects.values_list("pk", "kpp"))
                found_list = [f for f in found_list if self._kpp.get(pk_of(f)) == row.values["kpp"]]
            found = _one(found_list, row, "inn", inn, _("companies"))
            if found is not None:
                return pk_of(found)
        return None

    def fill(self, row: Row, obj: models.Model) -> None:
        self.fill_plain(row, obj)
        if "category" in row.values:
            obj.category = row.refs.get("category")  # type: ignore[attr-defined]

    def remember(self, row: Row, obj: models.Model) -> None:
        self.companies.add(obj)

    def export_queryset(self) -> models.QuerySet[Any]:
        return Company.objects.select_related("category")

    def export_values(self, obj: Any) -> dict[str, Any]:
        values = {code: getattr(obj, code) for code in self.plain_fields}
        values["id"] = obj.pk
        values["category"] = obj.category.code if obj.category else ""
        return values


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]


@register
class ContactResource(Resource):
    code = "contacts"
    label = gettext_lazy("Contacts")
    model = Contact
    columns = [
        ID_COLUMN,
        Column(
            "full_name",
            gettext_lazy("Full name"),
            required=True,
            max_length=200,
            aliases=("фио", "ф.и.о.", "имя", "контакт", "контактное лицо", "name", "contact"),
        ),
        Column("company", gettext_lazy("Company"), kind="ref", aliases=COMPANY_REF.aliases, help=COMPANY_REF.help),
        Column("position", gettext_lazy("Position"), max_length=200, aliases=("должность", "title", "job title")),
        Column("role", gettext_lazy("Role"), kind="choice", choices=ContactRole, aliases=("роль",)),
        Column(
            "emails",
            gettext_lazy("Email"),
            aliases=("e-mail", "email", "эл почта", "электронная почта", "почта", "emails", "адрес электронной почты"),
        ),
        Column(
            "phones", gettext_lazy("Phone"), aliases=("телефон", "телефоны", "тел", "мобильный", "phones", "mobile")
        ),
        EXTERNAL_ID,
        Column("language", gettext_lazy("Language"), kind="choice", choices=Language, aliases=("язык",)),
        NOTES,
        ACTIVE,
    ]
    written_fields = ["full_name", "company", "position", "role", "external_id", "language", "notes", "is_active"]
    plain_fields = ["full_name", "position", "role", "external_id", "language", "notes", "is_active"]
    protecting_relations = [
        ("tickets.Ticket", "contact", gettext_lazy("has tickets")),
        ("accounts.User", "contact", gettext_lazy("has a portal login")),
    ]

    def load(self) -> None:
        self.companies = CompanyRefs()
        self.ids = set(Contact.objects.values_list("pk", flat=True))
        self.by_external = Index()
        for pk, external_id in Contact.objects.exclude(external_id="").values_list("pk", "external_id"):
            self.by_external.add(external_id, pk)
        self.email_owner: dict[str, Any] = dict(ContactEmail.objects.values_list("email", "contact_id"))
        super().load()

    def resolve(self, row: Row) -> None:
        if row.values.get("company"):
            try:
                row.refs["company"] = self.companies.resolve(row.values["company"])
            except RowError as exc:
                row.errors.append(exc)
        if "emails" in row.values:
            emails: list[str] = []
            for email in _split(row.values["emails"]):
                email = email.lower()
                try:
                    validate_email(email)
                except ValidationError:
                    row.fail("emails", _("%(email)s is not a valid email address.") % {"email": email})
                    continue
                if email not in emails:
                    emails.append(email)
            row.extra["_emails"] = emails
        if "phones" in row.values:
            phones: list[str] = []
            for phone in _split(row.values["phones"]):
                if len(normalize_phone(phone)) < 5:
                    row.fail("phones", _("%(phone)s is not a valid phone number.") % {"phone": phone})
                elif phone not in phones:
                    phones.append(phone[:50])
            row.extra["_phones"] = phones

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        keys: list[tuple[str, Any, str]] = [("email", e, "emails") for e in row.extra.get("_emails", [])]
        if row.values.get("id") is not None:
            keys.append(("id", row.values["id"], "id"))
        if row.values.get("external_id"):
            keys.append(("external_id", row.values["external_id"].lower(), "external_id"))
        return keys

    def find(self, row: Row) -> int | None:
        found = _find_by_id(row, self.ids, _("contact"))
        if found is None and not row.errors and row.values.get("external_id"):
            value = row.values["external_id"]
            found = pk_of(_one(self.by_external.get(value), row, "external_id", value, _("contacts")))
        if found is None and not row.errors:
            owners = {self.email_owner[e] for e in row.extra.get("_emails", []) if e in self.email_owner}
            if len(owners) > 1:
                row.fail("emails", _("These addresses belong to different contacts."))
            elif owners:
                found = pk_of(owners.pop())
        for email in row.extra.get("_emails", []):
            owner = self.email_owner.get(email)
            if owner is not None and found is not None and pk_of(owner) != found:
                row.fail("emails", _("%(email)s already belongs to another contact.") % {"email": email})
        return found

    def fill(self, row: Row, obj: models.Model) -> None:
        self.fill_plain(row, obj)
        if "company" in row.values:
            obj.company_id = pk_of(row.refs.get("company"))  # type: ignore[attr-defined]
        if obj._state.adding and row.values.get("language") is None:  # type: ignore[attr-defined]
            obj.language = "ru"  # type: ignore[attr-defined]

    def remember(self, row: Row, obj: models.Model) -> None:
        for email in row.extra.get("_emails", []):
            self.email_owner[email] = obj
        self.by_external.add(getattr(obj, "external_id", ""), obj)

    def prefetch_extra(self, objs: dict[int, models.Model]) -> None:
        self._emails: dict[int, list[str]] = {pk: [] for pk in objs}
        self._phones: dict[int, list[str]] = {pk: [] for pk in objs}
        for contact_id, email in (
            ContactEmail.objects.filter(contact_id__in=list(objs))
            .order_by("-is_primary", "id")
            .values_list("contact_id", "email")
        ):
            self._emails[contact_id].append(email)
        for contact_id, phone in (
            ContactPhone.objects.filter(contact_id__in=list(objs))
            .order_by("-is_primary", "id")
            .values_list("contact_id", "phone")
        ):
            self._phones[contact_id].append(phone)

    def snapshot_extra(self, obj: models.Model) -> dict[str, Any]:
        return {"_emails": self._emails.get(obj.pk, []), "_phones": self._phones.get(obj.pk, [])}

    def _write_children(self, items: list[tuple[Any, dict[str, Any]]]) -> None:
        email_rows, phone_rows = [], []
        for contact, extra in items:
            if "_emails" in extra:
                ContactEmail.objects.filter(contact=contact).delete()
                email_rows += [
                    ContactEmail(contact=contact, email=e, is_primary=i == 0) for i, e in enumerate(extra["_emails"])
                ]
            if "_phones" in extra:
                ContactPhone.objects.filter(contact=contact).delete()
                phone_rows += [
                    ContactPhone(contact=contact, phone=p, normalized=normalize_phone(p), is_primary=i == 0)
                    for i, p in enumerate(extra["_phones"])
                ]
        ContactEmail.objects.bulk_create(email_rows)
        ContactPhone.objects.bulk_create(phone_rows)

    def save_extra(self, rows: list[Row]) -> None:
        self._write_children([(row.instance, row.extra) for row in rows if row.extra])

    def restore_extra(self, items: list[tuple[models.Model, dict[str, Any]]]) -> None:
        self._write_children(items)

    def export_queryset(self) -> models.QuerySet[Any]:
        return Contact.objects.select_related("company")

    def export_prepare(self, objs: list[models.Model]) -> None:
        self.prefetch_extra({o.pk: o for o in objs})

    def export_values(self, obj: Any) -> dict[str, Any]:
        values = {code: getattr(obj, code) for code in self.plain_fields}
        values["id"] = obj.pk
        values["company"] = obj.company.name if obj.company else ""
        values["emails"] = ", ".join(self._emails.get(obj.pk, []))
        values["phones"] = ", ".join(self._phones.get(obj.pk, []))
        return values


@register
class SiteResource(Resource):
    code = "sites"
    label = gettext_lazy("Sites")
    model = Site
    columns = [
        ID_COLUMN,
        COMPANY_REF,
        Column(
            "name",
            gettext_lazy("Name"),
            required=True,
            max_length=255,
            aliases=("наименование", "название", "объект", "site", "площадка"),
        ),
        Column("address", gettext_lazy("Address"), max_length=500, aliases=("адрес",)),
        Column("time_zone", gettext_lazy("Time zone"), max_length=64, aliases=("часовой пояс", "tz", "timezone")),
        Column(
            "latitude",
            gettext_lazy("Latitude"),
            kind="decimal",
            max_digits=9,
            decimal_places=6,
            aliases=("широта", "lat"),
        ),
        Column(
            "longitude",
            gettext_lazy("Longitude"),
            kind="decimal",
            max_digits=9,
            decimal_places=6,
            aliases=("долгота", "lon", "lng"),
        ),
        Column("floors", gettext_lazy("Floors and rooms"), max_length=255, aliases=("этажи", "этажи и помещения")),
        Column("access_hours", gettext_lazy("Access hours"), max_length=255, aliases=("часы доступа", "режим доступа")),
        EXTERNAL_ID,
        NOTES,
        ACTIVE,
    ]
    written_fields = [
        "company",
        "name",
        "address",
        "time_zone",
        "latitude",
        "longitude",
        "floors",
        "access_hours",
        "external_id",
        "notes",
        "is_active",
    ]
    plain_fields = [
        "name",
        "address",
        "latitude",
        "longitude",
        "floors",
        "access_hours",
        "external_id",
        "notes",
        "is_active",
    ]
    protecting_relations = [
        ("tickets.Ticket", "site", gettext_lazy("has tickets")),
        ("assets.Equipment", "site", gettext_lazy("has equipment")),
        ("contracts.Contract", "sites", gettext_lazy("is covered by a contract")),
    ]

    def load(self) -> None:
        self.companies = CompanyRefs()
        self.sites = SiteRefs()
        self.time_zones = zoneinfo.available_timezones()
        super().load()

    def resolve(self, row: Row) -> None:
        if row.values.get("company"):
            try:
                row.refs["company"] = self.companies.resolve(row.values["company"])
            except RowError as exc:
                row.errors.append(exc)
        tz = row.values.get("time_zone")
        if tz and tz not in self.time_zones:
            row.fail("time_zone", _("Unknown time zone: %(tz)s") % {"tz": tz})
        for code, limit in (("latitude", 90), ("longitude", 180)):
            value = row.values.get(code)
            if value is not None and abs(value) > Decimal(limit):
                row.fail(code, _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit})

    def _name_key(self, row: Row) -> tuple[Any, str] | None:
        company = row.refs.get("company")
        if company is None or not row.values.get("name"):
            return None
        return (pk_of(company) or id(company), row.values["name"].strip().lower())

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        keys = []
        if row.values.get("id") is not None:
            keys.append(("id", row.values["id"], "id"))
        if row.values.get("external_id"):
            keys.append(("external_id", row.values["external_id"].lower(), "external_id"))
        name_key = self._name_key(row)
        if name_key:
            keys.append(("name", name_key, "name"))
        return keys

    def find(self, row: Row) -> int | None:
        found = _find_by_id(row, self.sites.company_of, _("site"))
        if found is None and not row.errors and row.values.get("external_id"):
            value = row.values["external_id"]
            found = pk_of(_one(self.sites.by_external.get(value), row, "external_id", value, _("sites")))
        company = row.refs.get("company")
        if found is None and not row.errors and company is not None and pk_of(company):
            value = row.values["name"]
            found = _one(
                self.sites.by_name.get((pk_of(company), value.strip().lower())), row, "name", value, _("sites")
            )
        return found

    def fill(self, row: Row, obj: models.Model) -> None:
        self.fill_plain(row, obj)
        if "company" in row.values:
            company_id = pk_of(row.refs["company"])
            if obj.pk and obj.company_id != company_id:  # type: ignore[attr-defined]
                # Its tickets, units and contracts stay with the old company: moving is done by hand.
                row.fail("company", _("The site belongs to another company; an import cannot move it."))
                return
            obj.company_id = company_id  # type: ignore[attr-defined]
        if "time_zone" in row.values:
            obj.time_zone = row.values["time_zone"] or "Europe/Moscow"  # type: ignore[attr-defined]

    def remember(self, row: Row, obj: models.Model) -> None:
        self.sites.by_external.add(getattr(obj, "external_id", ""), obj)

    def export_queryset(self) -> models.QuerySet[Any]:
        return Site.objects.select_related("company")

    def export_values(self, obj: Any) -> dict[str, Any]:
        values = {code: getattr(obj, code) for code in self.plain_fields}
        values.update(id=obj.pk, company=obj.company.name, time_zone=obj.time_zone)
        return values
