from django.db import migrations


def pending_pauses(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    # Waiting for the client and "delayed until" do not count against the service company.
    Status.objects.filter(category="pending").update(pauses_sla=True)
    Status.objects.filter(is_delay=True).update(pauses_sla=True)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_status_pauses_sla_ticket_sla_breached_ticket_sla_due_and_more")]
    operations = [migrations.RunPython(pending_pauses, migrations.RunPython.noop)]
