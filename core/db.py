"""Query helpers that must behave the same on SQLite and PostgreSQL."""

import re

from django.db import connection, connections, models, router
from django.db.models import Q
from django.db.models.constants import OnConflict
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
    `bulk_create`, no model signals are sent; field defaults and `auto_now(_add)` apply."""
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
