"""How inbound messages are kept by the database."""

import pytest
from django.db import connection

from intake.models import InboundMessage
from intake.services import inbound_store


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST compression is PostgreSQL's")
def test_raw_bytes_are_compressed_with_lz4_and_read_back_intact():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL was built without lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'intake_inboundmessage'::regclass AND attname = 'raw'"
        )
        assert cursor.fetchone()[0] == "l"
    raw = b"From: a@b.ru\r\nSubject: x\r\n\r\n" + b"repeated text that compresses well\r\n" * 2000
    row, created = inbound_store(channel="email", source="lmtp", raw=raw, dedup_key="lz4@test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(raw), pg_column_size(raw) FROM intake_inboundmessage WHERE id = %s",
            [row.pk],
        )
        method, stored = cursor.fetchone()
    assert created and method == "lz4" and stored < len(raw) / 10
    assert bytes(InboundMessage.objects.get(pk=row.pk).raw) == raw
