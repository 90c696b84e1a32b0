"""On PostgreSQL, the raw bytes of inbound messages are compressed with lz4 instead of pglz.

The listener stores every message as it arrives; with pglz PostgreSQL spent 0.85 ms of CPU per
message of the email bench compressing (or trying to compress) it, with lz4 0.39 ms, for the same
size on disk (bench/README.md, session 21). Values stored before keep their compression. Skipped
where the server was built without lz4 (it then has no such choice of default_toast_compression).
"""

from django.db import migrations


def _lz4_supported(cursor) -> bool:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    row = cursor.fetchone()
    return bool(row and row[0])


def compress_raw_with(method: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            if method == "lz4" and not _lz4_supported(cursor):
                return
        schema_editor.execute(f"ALTER TABLE intake_inboundmessage ALTER COLUMN raw SET COMPRESSION {method}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0004_inbound_source_form"),
    ]

    operations = [
        migrations.RunPython(compress_raw_with("lz4"), compress_raw_with("default"), elidable=False),
    ]
