"""References shared by several resources, read once per run into dictionaries: companies (by
external id, INN or exact name), sites (by external id, or name within the company), equipment
kinds (by code or name), company categories."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from imports.resources.base import Index, RowError, pk_of


def _pick(found: list[Any], *, column: str, value: str, what: str) -> Any:
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise RowError(
            column,
            _("«%(value)s» matches %(count)s %(what)s: use the external id or the INN to tell them apart.")
            % {"value": value, "count": len(found), "what": what},
        )
    return None


class CompanyRefs:
    """A company named in a cell: its external id, else its INN, else its exact name."""

    def __init__(self) -> None:
        from customers.models import Company

        self.by_external, self.by_inn, self.by_name = Index(), Index(), Index()
        self.ids: set[int] = set()
        for pk, external_id, inn, name in Company.objects.values_list("pk", "external_id", "inn", "name"):
            self.ids.add(pk)
            self.by_external.add(external_id, pk)
            self.by_inn.add(inn, pk)
            self.by_name.add(name.strip(), pk)

    def add(self, obj: Any) -> None:
        self.by_external.add(obj.external_id, obj)
        self.by_inn.add(obj.inn, obj)
        self.by_name.add(obj.name.strip(), obj)

    def resolve(self, value: str, *, column: str = "company") -> Any:
        what = _("companies")
        for index in (self.by_external, self.by_inn, self.by_name):
            found = _pick(index.get(value.strip()), column=column, value=value, what=what)
            if found is not None:
                return found
        raise RowError(column, _("No company «%(value)s» (looked up by external id, INN and name).") % {"value": value})


class SiteRefs:
    """A site named in a cell: its external id, else its name within the row's company."""

    def __init__(self) -> None:
        from customers.models import Site

        self.by_external, self.by_name = Index(), Index()
        self.company_of: dict[int, int] = {}
        for pk, company_id, external_id, name in Site.objects.values_list("pk", "company_id", "external_id", "name"):
            self.company_of[pk] = company_id
            self.by_external.add(external_id, pk)
            self.by_name.add((company_id, name.strip().lower()), pk)

    def resolve(self, value: str, *, company: Any, column: str = "site") -> int:
        what = _("sites")
        found = _pick(self.by_external.get(value.strip()), column=column, value=value, what=what)
        if found is None and company is not None and pk_of(company) is not None:
            found = _pick(
                self.by_name.get((pk_of(company), value.strip().lower())), column=column, value=value, what=what
            )
        if found is None:
            raise RowError(column, _("No site «%(value)s» at this company.") % {"value": value})
        if company is not None and self.company_of.get(found) != pk_of(company):
            raise RowError(column, _("The site «%(value)s» belongs to another company.") % {"value": value})
        return int(found)


class CodeOrNameRefs:
    """Reference data (equipment kinds, company categories) by code or by name in either language."""

    def __init__(self, model: Any, *, what: str) -> None:
        self.index = Index()
        self.what = what
        self.objects: dict[int, Any] = {}
        for obj in model.objects.all():
            self.objects[obj.pk] = obj
            for key in (obj.code, obj.name_ru, obj.name_en):
                self.index.add((key or "").strip(), obj.pk)

    def resolve(self, value: str, *, column: str) -> Any:
        found = self.index.get(value.strip())
        if len(found) == 1:
            return self.objects[found[0]]
        if len(found) > 1:
            raise RowError(column, _("«%(value)s» is ambiguous: use the code.") % {"value": value})
        raise RowError(column, _("No %(what)s «%(value)s».") % {"what": self.what, "value": value})
