"""core.db.ModelColumns: instances built as the ORM builds them, in any thread."""

import threading

import pytest
from django.db import connection, connections

from accounts.models import User
from core.db import ModelColumns
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_plan_holds_no_connection_and_serves_every_thread():
    # given: a plan made in this thread
    made = UserFactory(language="en")
    columns = ModelColumns(User, ("id", "email", "is_active", "date_joined"))
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.select('u')} FROM {q(User._meta.db_table)} u WHERE u.id = %s", [made.pk])
        row = cursor.fetchone()
    here = columns.build(row)
    # then: no step is a method bound to this thread's connection's operations
    for _position, steps in columns._plan("default"):
        for convert, _of_ops, _col in steps:
            assert getattr(convert, "__self__", None) is not connection.ops
    # when: another thread (its own connection) builds the same row
    built = []

    def other() -> None:
        try:
            built.append(columns.build(row))
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    # then: the same values, typed as the ORM types them, the rest deferred
    there = built[0]
    for user in (here, there):
        assert (user.pk, user.email, user.is_active, user.date_joined) == (
            made.pk,
            made.email,
            True,
            User.objects.get(pk=made.pk).date_joined,
        )
        assert user.get_deferred_fields() >= {"full_name", "role"}
