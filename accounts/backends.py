"""The authentication backend: Django's ModelBackend, with the signed-in user read in one
hand-written statement on every request.

`ModelBackend.get_user` is `User.objects.get(pk=…)`: building that query costs about ten times
running it (bench/README.md, session 18), and every page pays it. The row is the same — every
concrete column of the user — and the instance is built by `Model.from_db` as the ORM builds it.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router

from accounts.models import User
from core.db import ModelColumns

BACKEND_PATH = "accounts.backends.UserBackend"


USER_COLUMNS = ModelColumns(User)


class UserBackend(ModelBackend):
    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        """ModelBackend's check, final: ModelBackend stays listed after this one only for the
        sessions it signed in, and must not hash a wrong password a second time (a failed login
        costs one hashing, as before)."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied  # django.contrib.auth.authenticate: stop here, report the failure
        return user

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:
            return None
        if pk is None:
            return None
        alias = router.db_for_read(User)
        connection = connections[alias]
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {USER_COLUMNS.select('u', alias)} FROM {q(User._meta.db_table)} u"
                f" WHERE u.{q(User._meta.pk.column)} = %s",  # type: ignore[union-attr]
                [pk],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        user = cast(User, USER_COLUMNS.build(row, alias))
        return user if self.user_can_authenticate(user) else None
