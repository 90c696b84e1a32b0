from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS tickets_ticket_number_seq")
    schema_editor.execute(
        "SELECT setval('tickets_ticket_number_seq', GREATEST("
        " (SELECT COALESCE(MAX(number), 0) FROM tickets_ticket),"
        " (SELECT COALESCE(MAX(value), 0) FROM tickets_ticketsequence)) + 1, false)"
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS tickets_ticket_number_seq")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_tag_key")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
