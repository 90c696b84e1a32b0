import pytest


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Attachments go to a per-test folder; the cache (login throttling) starts empty, and so
    does the reference snapshot (a rolled-back test's statuses must not outlive it)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The shipped rules (fire, lift, leak → critical) would rewrite the tickets other apps' tests
    # make; the rules' own tests switch them on (automation/tests/rules/conftest.py).
    settings.OTKLIK_AUTOMATION_RULES = False
    from django.core.cache import cache
    from django.utils import translation

    from automation.rules.engine import rules_reset
    from sla.calendars import clocks_reset
    from sla.policies import snapshot_reset
    from tickets.reference import reference_reset

    # Each test starts in English (the tests' language) whatever the test before it activated;
    # a test about Russian text asks for it.
    translation.activate("en")
    cache.clear()
    reference_reset()
    snapshot_reset()
    clocks_reset()
    rules_reset()
    yield
    translation.deactivate()
    reference_reset()
    snapshot_reset()
    rules_reset()


# Transactional tests (live server, browser) end with a flush that empties every table, the
# statuses and priorities seeded by migrations included, and — the search table not being a
# model — leaves search rows behind. Tests that use a live server take both fixtures below and
# mark themselves django_db(transaction=True, serialized_rollback=True, available_apps=[all apps]);
# available_apps makes the flush TRUNCATE ... CASCADE, which PostgreSQL needs because the search
# table references tickets.


_SERIALIZED: dict[str, str] = {}


@pytest.fixture(scope="module")
def migration_data_of_module(django_db_blocker):
    """The reference data the migrations seed (statuses, priorities, calendars …), read before the
    module's first transactional test and put back after its last flush."""
    from django.db import connection

    with django_db_blocker.unblock():
        contents = connection.creation.serialize_db_to_string()
    yield contents
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def migration_data(migration_data_of_module, transactional_db):
    """For transactional tests (a listener thread must see committed rows): the migrations' data,
    put back after the previous test's flush. Django's serialized_rollback cannot be used for more
    than one test of a module with available_apps: each test's set-up re-creates the content types
    under new ids first, so those (and permissions) are left to it."""
    from django.core import serializers
    from django.db import transaction

    skipped = {"contenttypes.contenttype", "auth.permission"}
    with transaction.atomic():
        for item in serializers.deserialize("json", migration_data_of_module):
            if item.object._meta.label_lower not in skipped:
                item.save()


@pytest.fixture(scope="session", autouse=True)
def _stray_sessions_ended_before_the_drop(django_db_setup, django_db_blocker):
    """On PostgreSQL, ends the test database's other sessions before it is dropped: a thread that
    finished without closing its connection (a browser journey's) would otherwise keep the
    database "being accessed by other users" and leave it behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _remember_migrated_data(django_db_setup):
    """Keep the test databases' serialized migration data (statuses, priorities, calendars …)
    from the moment they were made: a later live-server module may see another connection object
    — Playwright's event loop — that does not carry it."""
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents:
            _SERIALIZED[alias] = contents
    yield


@pytest.fixture(scope="module")
def migrated_data_restored_afterwards(django_db_blocker):
    """After the module's flush, put the migration-seeded reference data back for later tests."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None) or _SERIALIZED.get(alias)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)


@pytest.fixture
def search_index_emptied_afterwards():
    """For transactional tests: the flush after one cannot empty tickets on PostgreSQL while
    search rows point at them (the search table is not a model), so it is emptied first."""
    yield
    from django.db import connection

    from tickets import search

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.TABLE}")


@pytest.fixture
def empty_search_index_afterwards(live_server, search_index_emptied_afterwards):
    """The search table emptied before the live server's flush (set up after it, so torn down first)."""
    yield


@pytest.fixture
def no_chat_pacing(monkeypatch):
    """Telegram's one message a second to a chat, lifted: tests that send a chat several messages
    in a row look at what was sent, not when (the pacing has tests of its own). Here, not in
    channels/tests, because the notices' tests and the Telegram journey use it too."""
    from datetime import timedelta

    from channels.telegram import outbound

    monkeypatch.setattr(outbound, "PER_CHAT_INTERVAL", timedelta(0))
