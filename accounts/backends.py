"""The authentication backend: Django's ModelBackend, with the signed-in user read in one
hand-written statement on every request.

`ModelBackend.get_user` is `User.objects.get(pk=…)`: building that query costs about ten times
running it (bench/README.md, session 18), and every page pays it. The row is the same — every
concrete column of the user — and the instance is built by `Model.from_db` as the ORM builds it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from accounts.models import User

BACKEND_PATH = "accounts.backends.UserBackend"


# alias → (statement, attnames, [(position, converters)]): built once per database.
_PLANS: dict[str, tuple[str, list[str], list[tuple[int, list[Any]]]]] = {}


def _plan(alias: str) -> tuple[str, list[str], list[tuple[int, list[Any]]]]:
    plan = _PLANS.get(alias)
    if plan is None:
        connection = connections[alias]
        q = connection.ops.quote_name
        meta = User._meta
        fields = meta.concrete_fields
        columns = ", ".join(q(f.column) for f in fields)
        sql = f"SELECT {columns} FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s"  # type: ignore[union-attr]
        # What the ORM would convert each value with (booleans and datetimes on SQLite, …).
        conversions = []
        for i, f in enumerate(fields):
            col = f.get_col(meta.db_table)
            found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if found:
                conversions.append((i, [(convert, col) for convert in found]))
        plan = _PLANS[alias] = (sql, [f.attname for f in fields], conversions)
    return plan


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:
            return None
        if pk is None:
            return None
        alias = router.db_for_read(User)
        connection = connections[alias]
        sql, attnames, conversions = _plan(alias)
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for i, converters in conversions:
            for convert, col in converters:
                values[i] = convert(values[i], col, connection)
        user = User.from_db(alias, attnames, values)
        return user if self.user_can_authenticate(user) else None
