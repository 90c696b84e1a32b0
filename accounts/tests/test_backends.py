"""accounts.backends.UserBackend: the signed-in user as ModelBackend reads them, in one statement."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import UserBackend
from accounts.models import User
from tests.factories import ClientUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def columns(user: User) -> dict[str, object]:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


@pytest.mark.parametrize("factory", [UserFactory, ClientUserFactory])
def test_same_user_as_model_backend(factory):
    made = factory(language="en", time_zone="Asia/Yekaterinburg")
    with CaptureQueriesContext(connection) as queries:
        ours = UserBackend().get_user(str(made.pk))  # the session keeps the id as a string
    assert len(queries) == 1
    theirs = ModelBackend().get_user(made.pk)
    assert ours is not None and theirs is not None
    assert columns(ours) == columns(theirs)
    # Typed as the ORM types them (SQLite stores booleans as integers, datetimes as text).
    assert ours.is_active is True and type(ours.is_staff) is bool
    assert ours.date_joined == theirs.date_joined and ours.date_joined.tzinfo is not None
    assert ours._state.adding is False and ours._state.db == "default"


def test_inactive_missing_and_malformed_ids_give_no_user():
    inactive = UserFactory(is_active=False)
    backend = UserBackend()
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(inactive.pk + 1000) is None
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(None) is None


def test_signed_in_pages_use_it(client):
    user = UserFactory(password="long-enough-pass-1")
    assert client.login(username=user.email, password="long-enough-pass-1")
    assert client.session["_auth_user_backend"] == "accounts.backends.UserBackend"
    assert client.get("/tickets/").status_code == 200


def test_sessions_of_the_old_backend_still_work(client):
    user = UserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/tickets/").status_code == 200


def test_a_wrong_password_is_hashed_once():
    # given: ModelBackend stays listed after ours, for the sessions it signed in
    from unittest import mock

    from django.contrib.auth import authenticate

    user = UserFactory(password="long-enough-pass-1")
    # when
    with mock.patch.object(User, "check_password", autospec=True, return_value=False) as check:
        assert authenticate(username=user.email, password="wrong") is None
    # then: one check, not one per backend
    assert check.call_count == 1
    assert authenticate(username=user.email, password="long-enough-pass-1") == user
