"""Trigram (pg_trgm) indexes for the "contains" searches over contacts and companies: the search
page, phone intake's contact lookup and the lists' filters ask `UPPER(column) LIKE UPPER('%…%')`,
which a B-tree cannot answer — without these PostgreSQL reads every contact, email and phone on
each keystroke. PostgreSQL only; SQLite keeps its plain scan (an embedded install is small).

pg_trgm is a trusted extension (PostgreSQL 13+), so the database's owner may create it. Where it
cannot be created the indexes are skipped with a warning: searches stay correct, only slower."""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)

INDEXES = [
    ("contact_name_trgm", "customers_contact", "upper(full_name::text) gin_trgm_ops"),
    ("contactemail_email_trgm", "customers_contactemail", "upper(email::text) gin_trgm_ops"),
    ("contactphone_normalized_trgm", "customers_contactphone", "normalized gin_trgm_ops"),
    ("company_name_trgm", "customers_company", "upper(name::text) gin_trgm_ops"),
    ("company_legal_name_trgm", "customers_company", "upper(legal_name::text) gin_trgm_ops"),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("SAVEPOINT otklik_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT otklik_trgm")
            except Exception as exc:  # noqa: BLE001 (any refusal: permissions, extension not installed)
                cursor.execute("ROLLBACK TO SAVEPOINT otklik_trgm")
                logger.warning(
                    "pg_trgm not available (%s): contact and company searches run without trigram indexes", exc
                )
                return
        for name, table, expression in INDEXES:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression})")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _expression in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_contact_is_verified"),
    ]

    operations = [migrations.RunPython(create, drop)]
