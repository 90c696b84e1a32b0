"""The resource registry: one class per kind of record that can be imported and exported.

A resource says which columns it has (with the Russian and English header spellings it
recognises), how references in a row are resolved (company by external id, INN or exact name…),
how a row finds the record it updates, and how a record is written back out. Lookups are loaded
into dictionaries once per run, so a row costs no query; the engine (imports/engine.py) writes
whole batches with bulk_create/bulk_update. Adding a resource is one subclass + `register`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models import TextChoices
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from imports.values import (
    CellError,
    format_date,
    format_decimal,
    normalize_header,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)

EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column of a resource. `kind`: text, int, decimal, date, bool, choice or ref (a reference
    resolved by the resource, kept as text until then)."""

    code: str
    label: Promise | str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    choices: type[TextChoices] | None = None
    help: Promise | str = ""

    def header_keys(self) -> set[str]:
        keys = {normalize_header(self.code), *(normalize_header(a) for a in self.aliases)}
        for language in ("ru", "en"):
            with translation.override(language):
                keys.add(normalize_header(str(self.label)))
        return keys

    def parse(self, raw: str) -> Any:
        """The cell's value, or None for an empty cell; CellError when it cannot be read."""
        text = raw.strip()
        if not text:
            return None
        if self.kind == "text" or self.kind == "ref":
            if self.max_length and len(text) > self.max_length:
                raise CellError(
                    _("The value is longer than %(max)s characters (%(length)s).")
                    % {"max": self.max_length, "length": len(text)}
                )
            return text
        if self.kind == "int":
            return parse_int(text)
        if self.kind == "decimal":
            return parse_decimal(text, max_digits=self.max_digits, decimal_places=self.decimal_places)
        if self.kind == "date":
            return parse_date(text)
        if self.kind == "bool":
            return parse_bool(text)
        if self.kind == "choice":
            assert self.choices is not None
            return choice_value(self.choices, text)
        raise AssertionError(self.kind)

    def format(self, value: Any, *, for_csv: bool) -> Any:
        """A value for an export cell: text for CSV (Russian Excel conventions), typed for XLSX."""
        if value is None:
            return ""
        if self.kind == "choice":
            assert self.choices is not None
            return str(self.choices(value).label)
        if self.kind == "bool":
            return _("yes") if value else _("no")
        if self.kind == "date":
            return format_date(value) if for_csv else value
        if self.kind == "decimal":
            return format_decimal(value) if for_csv else value
        return value


def choice_value(choices: type[TextChoices], text: str) -> str:
    """A choice by its code or its label in either language, ignoring case."""
    wanted = text.strip().lower()
    for value, label in choices.choices:
        names = {str(value).lower()}
        for language in ("ru", "en"):
            with translation.override(language):
                names.add(str(label).lower())
        if wanted in names:
            return str(value)
    with translation.override(translation.get_language()):
        allowed = ", ".join(f"«{label}»" for _value, label in choices.choices)
    raise CellError(_("«%(value)s» is not one of: %(allowed)s.") % {"value": text, "allowed": allowed})


class Index:
    """Lower-cased text → the records (ids, or model objects created earlier in this file) it names."""

    def __init__(self) -> None:
        self.items: dict[str, list[Any]] = defaultdict(list)

    def add(self, key: Any, target: Any) -> None:
        if key in ("", None):
            return
        key = key.lower() if isinstance(key, str) else key
        bucket = self.items[key]
        if not any(t is target or t == target for t in bucket):
            bucket.append(target)

    def discard(self, key: Any, target: Any) -> None:
        if key in ("", None):
            return
        key = key.lower() if isinstance(key, str) else key
        bucket = self.items.get(key)
        if bucket:
            bucket[:] = [t for t in bucket if not (t is target or t == target)]

    def get(self, key: Any) -> list[Any]:
        if key in ("", None):
            return []
        return self.items.get(key.lower() if isinstance(key, str) else key, [])


def pk_of(target: Any) -> int | None:
    """The id of a lookup result: an id already, a model object (None while unsaved), or None."""
    if target is None or isinstance(target, int):
        return target
    return target.pk


class RowError(Exception):
    """A problem with a row, attached to one of its columns (code) or to the row as a whole ("")."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class Row:
    """One line of the file on its way through a resource."""

    line: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    refs: dict[str, Any] = field(default_factory=dict)
    existing_id: int | None = None
    instance: models.Model | None = None
    previous: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def has(self, code: str) -> bool:
        return code in self.values

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(column, message))


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def empty_value(model_field: Any) -> Any:
    """What an empty cell stores: NULL where allowed, the default for flags and choices, else ""."""
    if model_field.null:
        return None
    if model_field.has_default():
        return model_field.get_default()
    return ""


class Resource:
    """Base class; subclasses set the class attributes and override the hooks they need."""

    code: ClassVar[str]
    label: ClassVar[Promise | str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[list[Column]]
    # Model fields (by name) a row may write: snapshotted before an update, restored on undo.
    written_fields: ClassVar[list[str]]
    # Objects that point at a record with these relations keep undo from deleting it.
    # Column codes stored as they are in the model field of the same name.
    plain_fields: ClassVar[list[str]] = []
    # (model label, field name, what to tell): records pointing at an imported record that keep
    # undo from deleting it; a self-reference counts only when the pointing record stays.
    protecting_relations: ClassVar[list[tuple[str, str, Promise | str]]] = []

    def __init__(self) -> None:
        self.loaded = False

    # --- columns -------------------------------------------------------------------------------

    @classmethod
    def column(cls, code: str) -> Column:
        for column in cls.columns:
            if column.code == code:
                return column
        raise KeyError(code)

    @classmethod
    def required_codes(cls) -> list[str]:
        return [c.code for c in cls.columns if c.required]

    @classmethod
    def guess_mapping(cls, headers: list[str]) -> dict[str, str]:
        """{"<column index>": code} for every header that names a column, each column once."""
        keys = {c.code: c.header_keys() for c in cls.columns}
        mapping: dict[str, str] = {}
        taken: set[str] = set()
        for index, header in enumerate(headers):
            wanted = normalize_header(header)
            for code, names in keys.items():
                if code not in taken and wanted in names:
                    mapping[str(index)] = code
                    taken.add(code)
                    break
        return mapping

    # --- import hooks --------------------------------------------------------------------------

    def load(self) -> None:
        """Read every lookup the rows will need into dictionaries (called once per run)."""
        self.loaded = True

    def resolve(self, row: Row) -> None:
        """Resolve references (company, site, kind…) into row.refs; row.fail on problems."""

    def keys(self, row: Row) -> list[tuple[str, Any, str]]:
        """(kind, value, column code) identities of the row: two rows of one file must not share one."""
        return []

    def find(self, row: Row) -> int | None:
        """The id of the record the row updates, or None to create one. May row.fail."""
        return None

    def new(self) -> models.Model:
        return self.model()

    def fill(self, row: Row, obj: models.Model) -> None:
        """Write the row's values onto obj (a new or an existing record)."""

    def changed(self, row: Row, obj: models.Model) -> bool:
        """Whether writing the row would change the stored record."""
        assert row.previous is not None
        current = self.snapshot_fields(obj)
        if any(row.previous.get(k) != v for k, v in current.items()):
            return True
        return any(row.previous.get(k) != v for k, v in row.extra.items() if k.startswith("_"))

    def fill_plain(self, row: Row, obj: models.Model) -> None:
        for code in self.plain_fields:
            if code in row.values:
                value = row.values[code]
                setattr(obj, code, empty_value(obj._meta.get_field(code)) if value is None else value)

    def remember(self, row: Row, obj: models.Model) -> None:
        """Make the row's record findable by later rows of the file (references, duplicates)."""

    def fetch(self, ids: Iterable[int]) -> dict[int, models.Model]:
        return self.model._default_manager.in_bulk(list(ids))  # type: ignore[attr-defined]

    def snapshot(self, obj: models.Model) -> dict[str, Any]:
        """The values an update may change, JSON-ready, plus extra (emails, covered sites…)."""
        return {**self.snapshot_fields(obj), **self.snapshot_extra(obj)}

    def snapshot_fields(self, obj: models.Model) -> dict[str, Any]:
        data = {}
        for name in self.written_fields:
            model_field: Any = obj._meta.get_field(name)
            data[model_field.attname] = json_value(getattr(obj, model_field.attname))
        return data

    def snapshot_extra(self, obj: models.Model) -> dict[str, Any]:
        return {}

    def prefetch_extra(self, objs: dict[int, models.Model]) -> None:
        """Load what snapshot_extra reads for a batch of records in a few queries."""

    def create(self, objs: list[models.Model]) -> None:
        self.model._default_manager.bulk_create(objs)  # type: ignore[attr-defined]

    def save_extra(self, rows: list[Row]) -> None:
        """Write what bulk_create/bulk_update cannot (m2m, child rows) for the saved rows."""

    def restore_extra(self, items: list[tuple[models.Model, dict[str, Any]]]) -> None:
        """Put back snapshot_extra values on undo."""

    def delete(self, ids: list[int]) -> None:
        self.model._default_manager.filter(pk__in=ids).delete()  # type: ignore[attr-defined]

    # --- export --------------------------------------------------------------------------------

    def export_queryset(self) -> models.QuerySet[Any]:
        return self.model._default_manager.all()  # type: ignore[attr-defined]

    def export_prepare(self, objs: list[models.Model]) -> None:
        """Load whatever export_values needs for a chunk of records."""

    def export_values(self, obj: models.Model) -> dict[str, Any]:
        """The record's cells by column key. Every registered resource defines it (abstract)."""
        raise NotImplementedError

    def export_rows(self, *, for_csv: bool) -> Iterator[list[Any]]:
        """Every record as a list of cells in column order, read by keyset in chunks."""
        last = 0
        queryset = self.export_queryset().order_by("pk")
        while True:
            chunk = list(queryset.filter(pk__gt=last)[:EXPORT_CHUNK])
            if not chunk:
                return
            self.export_prepare(chunk)
            for obj in chunk:
                values = self.export_values(obj)
                yield [column.format(values.get(column.code), for_csv=for_csv) for column in self.columns]
            last = chunk[-1].pk

    @classmethod
    def export_headers(cls) -> list[str]:
        return [str(c.label) for c in cls.columns]


REGISTRY: dict[str, type[Resource]] = {}


def register(resource: type[Resource]) -> type[Resource]:
    REGISTRY[resource.code] = resource
    return resource


def resource_class(code: str) -> type[Resource]:
    from imports import resources  # noqa: F401 — registers the resources

    return REGISTRY[code]


def resource_choices() -> list[tuple[str, str]]:
    from imports import resources  # noqa: F401

    return [(code, str(cls.label)) for code, cls in REGISTRY.items()]
