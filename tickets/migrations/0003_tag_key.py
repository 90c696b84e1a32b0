from django.db import migrations, models


def fill_keys(apps, schema_editor):
    Tag = apps.get_model("tickets", "Tag")
    for tag in Tag.objects.all():
        tag.key = tag.name.casefold()[:64]
        tag.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_search_and_defaults")]

    operations = [
        migrations.AddField(
            model_name="tag", name="key", field=models.CharField(editable=False, max_length=64, null=True)
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="tag", name="key", field=models.CharField(editable=False, max_length=64, unique=True)
        ),
    ]
