"""Query helpers that must behave the same on SQLite and PostgreSQL."""

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, router, transaction
from django.db.models import Q
from django.db.models.constants import OnConflict
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery


def icontains_q(field: str, text: str) -> Q:
    """`field` contains `text`, ignoring case in any alphabet. SQLite's LIKE folds only ASCII
    letters ("иванов" would miss "Иванов"), so there the match goes through Django's Python
    REGEXP function; PostgreSQL folds Cyrillic in ILIKE/UPPER itself."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__iregex": re.escape(text)})
    return Q(**{f"{field}__icontains": text})


def insert_or_skip(obj: models.Model) -> bool:
    """INSERT `obj` unless a row with one of its unique values exists: one statement
    (PostgreSQL `ON CONFLICT DO NOTHING … RETURNING`, SQLite `INSERT OR IGNORE … RETURNING`)
    instead of a look-up, a savepoint and the insert. Returns True and sets the primary key when
    the row was inserted; False (nothing written, `obj` unsaved) when it existed. Like
    `bulk_create`, no model signals are sent; field defaults and `auto_now(_add)` apply. The
    statement is built once per model (see insert_model): every inbound message and webhook
    update is stored by it."""
    inserted = _prepared_insert(obj, skip_conflicts=True)
    if inserted is not None:
        return inserted
    meta = obj._meta
    db = connections[router.db_for_write(type(obj), instance=obj)]
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(type(obj), on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [obj])
    returning = meta.db_returning_fields
    rows = query.get_compiler(connection=db).execute_sql(returning_fields=returning)
    if not rows or rows[0] is None:
        return False
    for value, field in zip(rows[0], returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = db.alias
    return True


# (model, connection alias, conflicts skipped?) → the INSERT … RETURNING statement of
# insert_model / insert_or_skip, or "" when the model's rows are not covered (see insert_model).
_insert_statements: dict[tuple[type[models.Model], str, bool], str] = {}


def insert_model(obj: models.Model) -> None:
    """`obj.save(force_insert=True)` for a new row, with the INSERT statement built once per
    model and connection and only its values computed each time: on the inbound path building
    the ORM's statement (for a ticket's ~40 columns) cost more CPU than PostgreSQL spent running
    it. Values are prepared as the ORM prepares them (`pre_save` — auto_now and file fields —,
    then `get_db_prep_save`) and the primary key set from RETURNING. Models this does not cover
    are saved by `save(force_insert=True)`: with model signals connected, a parent model, a set
    primary key, fields returned besides an auto primary key, custom placeholders, or a value that
    is an expression."""
    model = type(obj)
    if pre_save.has_listeners(model) or post_save.has_listeners(model) or _prepared_insert(obj) is None:
        obj.save(force_insert=True)


def _prepared_insert(obj: models.Model, *, skip_conflicts: bool = False) -> bool | None:
    """INSERT `obj` by the statement kept for its model: True when inserted (its primary key
    set), False when a unique value was taken (`skip_conflicts` only), None when the model or
    this object is not covered (nothing done: the caller goes through the ORM)."""
    model = type(obj)
    meta = obj._meta
    alias = router.db_for_write(model, instance=obj)
    key = (model, alias, skip_conflicts)
    sql = _insert_statements.get(key)
    if sql == "" or obj.pk is not None:
        return None
    db = connections[alias]
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    values = [f.pre_save(obj, True) for f in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        return None
    values = [f.get_db_prep_save(value, connection=db) for f, value in zip(fields, values, strict=True)]
    if sql is None:
        covered = (
            not meta.parents
            and meta.auto_field is not None
            and list(meta.db_returning_fields) == [meta.auto_field]
            and db.features.can_return_columns_from_insert
            and not any(hasattr(f, "get_placeholder") and not _plain_placeholder(f, db) for f in fields)
        )
        if not covered:
            _insert_statements[key] = ""
            return None
        query = InsertQuery(model, on_conflict=OnConflict.IGNORE if skip_conflicts else None)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(connection=db)
        compiler.returning_fields = [meta.auto_field]
        ((built, _params),) = compiler.as_sql()
        _insert_statements[key] = sql = str(built)
    with transaction.mark_for_rollback_on_error(alias), db.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    setattr(obj, meta.auto_field.attname, row[0])  # type: ignore[union-attr]
    obj._state.adding = False
    obj._state.db = alias
    return True


def _plain_placeholder(field: models.Field, db: Any) -> bool:  # type: ignore[type-arg]
    """A field whose custom placeholder is the plain "%s" on this connection, whatever the value:
    a BinaryField everywhere but MySQL (`binary_placeholder_sql`)."""
    return isinstance(field, models.BinaryField) and all(
        db.ops.binary_placeholder_sql(value) == "%s" for value in (None, b"")
    )


# (model, connection alias, field names) → the UPDATE statement of update_model.
_update_statements: dict[tuple[type[models.Model], str, tuple[str, ...]], str] = {}


def update_model(obj: models.Model, fields: list[str] | tuple[str, ...]) -> None:
    """`obj.save(update_fields=fields)` with the UPDATE statement built once per model and
    fields (see insert_model: the same reasons, the same fallback to save() — model signals
    connected, a value that is an expression, a field with a custom placeholder). Values are
    prepared as save() prepares them (`pre_save`, so auto_now applies; `get_db_prep_save`); as
    save() does, it raises DatabaseError when no row has the object's primary key."""
    model = type(obj)
    meta = obj._meta
    alias = router.db_for_write(model, instance=obj)
    names = tuple(fields)
    targets = [cast(models.Field, meta.get_field(name)) for name in names]  # type: ignore[type-arg]
    if (
        pre_save.has_listeners(model)
        or post_save.has_listeners(model)
        or any(hasattr(f, "get_placeholder") for f in targets)
    ):
        obj.save(update_fields=names)
        return
    db = connections[alias]
    values = [f.pre_save(obj, False) for f in targets]
    if any(hasattr(value, "resolve_expression") for value in values):
        obj.save(update_fields=names)
        return
    key = (model, alias, names)
    sql = _update_statements.get(key)
    if sql is None:
        q = db.ops.quote_name
        assignments = ", ".join(f"{q(f.column)} = %s" for f in targets)
        sql = f"UPDATE {q(meta.db_table)} SET {assignments} WHERE {q(meta.pk.column)} = %s"  # type: ignore[union-attr]
        _update_statements[key] = sql
    params = [f.get_db_prep_save(v, connection=db) for f, v in zip(targets, values, strict=True)]
    params.append(meta.pk.get_db_prep_value(obj.pk, db))  # type: ignore[union-attr]
    with transaction.mark_for_rollback_on_error(alias), db.cursor() as cursor:
        cursor.execute(sql, params)
        updated = cursor.rowcount
    if not updated:
        raise DatabaseError("Save with update_fields did not affect any rows.")


def quoted_column(model: type[models.Model], name: str, db: str = "default") -> str:
    """The quoted column of `model`'s field `name`, for hand-written statements."""
    field = cast(models.Field, model._meta.get_field(name))  # type: ignore[type-arg]
    return connections[db].ops.quote_name(field.column)


class ModelColumns:
    """Hand-written reads of some of a model's columns: the SELECT list for a table alias, and
    the instances built from a row's values as the ORM builds them (`Model.from_db`, each value
    through the converters the ORM would apply: booleans and datetimes on SQLite, JSON, …).

    For reads on hot pages where building the ORM's statement costs more than running it
    (bench/README.md, sessions 17–18). `names`: field names (default every concrete field); a
    field not read is deferred on the instance, as with `.only()`; the columns come in the model's
    field order whatever the order of `names`."""

    def __init__(self, model: type[models.Model], names: list[str] | tuple[str, ...] | None = None) -> None:
        meta = model._meta
        fields = list(meta.concrete_fields)
        if names is not None:
            # In the model's order: from_db fills the fields not read as deferred in that order.
            wanted = {meta.get_field(n) for n in names}
            fields = [f for f in fields if f in wanted]
        self.model = model
        self.fields: list[models.Field] = fields  # type: ignore[assignment]
        self.attnames = [f.attname for f in fields]
        self.width = len(fields)
        # alias of a connection → [(position, [(converter, of ops?, column expression)])]
        self._conversions: dict[str, list[tuple[int, list[tuple[Any, bool, object]]]]] = {}

    def select(self, alias: str, db: str = "default") -> str:
        q = connections[db].ops.quote_name
        return ", ".join(f"{alias}.{q(f.column)}" for f in self.fields)

    def _plan(self, db: str) -> list[tuple[int, list[tuple[Any, bool, object]]]]:
        """Per field read, its converters: (function, whether it is a method of the connection's
        `ops`, column). The `ops` methods are kept unbound and called with the connection of the
        thread building the row, so the plan holds no thread's connection."""
        plan = self._conversions.get(db)
        if plan is None:
            connection = connections[db]
            plan = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.model._meta.db_table)
                steps: list[tuple[Any, bool, object]] = []
                for convert in connection.ops.get_db_converters(col):
                    if getattr(convert, "__self__", None) is connection.ops:
                        steps.append((convert.__func__, True, col))
                    else:
                        steps.append((convert, False, col))
                steps += [(convert, False, col) for convert in field.get_db_converters(connection)]  # type: ignore[attr-defined]
                if steps:
                    plan.append((i, steps))
            self._conversions[db] = plan
        return plan

    def build(self, values: list[object] | tuple[object, ...], db: str = "default") -> models.Model:
        """The instance of `values` (this read's columns, in order)."""
        plan = self._plan(db)
        if plan:
            values = list(values)
            connection = connections[db]
            for i, steps in plan:
                for convert, of_ops, col in steps:
                    if of_ops:
                        values[i] = convert(connection.ops, values[i], col, connection)
                    else:
                        values[i] = convert(values[i], col, connection)
        return self.model.from_db(db, self.attnames, values)


P = ParamSpec("P")
R = TypeVar("R")

# The savepoint depth at which the caller's own savepoint covers a service (see savepoint_covers).
_covered_depth: ContextVar[int] = ContextVar("savepoint_covered_depth", default=-1)


@contextmanager
def savepoint_covers() -> Iterator[None]:
    """Open inside an atomic block that takes back everything when anything in it raises, around
    code that lets every error of the services it calls through to that block (catches none to go
    on): a `service_atomic` service called directly there needs no savepoint of its own. The inbound
    worker's batch does, around each message's processor (intake/services.py) — one SAVEPOINT and
    RELEASE fewer per message, and one PostgreSQL subtransaction fewer in the batch's transaction.
    Services nested in that service (hooks, rules) keep their savepoints."""
    token = _covered_depth.set(len(connections[DEFAULT_DB_ALIAS].savepoint_ids))
    try:
        yield
    finally:
        _covered_depth.reset(token)


def service_atomic(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic` for a service, without the savepoint where the caller's covers it."""

    @functools.wraps(func)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        db = connections[DEFAULT_DB_ALIAS]
        if db.in_atomic_block and _covered_depth.get() == len(db.savepoint_ids):
            token = _covered_depth.set(-1)
            try:
                with transaction.atomic(savepoint=False):
                    return func(*args, **kwargs)
            finally:
                _covered_depth.reset(token)
        with transaction.atomic():
            return func(*args, **kwargs)

    return inner
