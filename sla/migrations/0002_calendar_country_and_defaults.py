# The default calendars: "24/7" and the Russian production calendar (Moscow), seeded for the
# current and the next year.
#
# Why a data migration and not a post_migrate handler: it runs exactly once per database, so a
# default calendar an administrator later renames, edits or deletes stays that way (post_migrate
# runs after every `migrate` and would bring it back). The seeding logic takes the model class as
# an argument (sla.seeding.calendar_days_apply), so it runs here on the historical models; the
# holidays themselves come from the `holidays` package, which is data, not our models. Later
# years are seeded by the yearly job (sla.tasks.seed_next_year).

from datetime import time

from django.db import migrations, models
from django.utils import timezone

from sla.seeding import COUNTRY_RUSSIA, calendar_days_apply, russian_production_days


def create_default_calendars(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WorkingInterval = apps.get_model("sla", "WorkingInterval")
    CalendarDay = apps.get_model("sla", "CalendarDay")

    BusinessCalendar.objects.get_or_create(
        code="24x7", defaults={"name": "24/7", "is_24x7": True, "time_zone": "Europe/Moscow"}
    )
    russia, created = BusinessCalendar.objects.get_or_create(
        code="ru-moscow",
        defaults={
            "name": "Производственный календарь РФ (Москва)",
            "time_zone": "Europe/Moscow",
            "country": COUNTRY_RUSSIA,
            "is_default": not BusinessCalendar.objects.filter(is_default=True).exists(),
        },
    )
    if not created:
        return
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=russia, weekday=weekday, start=time(9), end=time(18))
    this_year = timezone.now().year
    for year in (this_year, this_year + 1):
        calendar_days_apply(calendar=russia, year=year, planned=russian_production_days(year), day_model=CalendarDay)
    russia.save(update_fields=["updated_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="businesscalendar",
            name="country",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "none: days are entered by hand"),
                    ("RU", "Russia: the production calendar is seeded every year"),
                ],
                default="",
                max_length=2,
                verbose_name="public holidays of",
            ),
        ),
        # "% of" in a translatable label reads as a printf placeholder to gettext.
        migrations.AlterField(
            model_name="slapolicy",
            name="warn_percent",
            field=models.PositiveSmallIntegerField(default=80, verbose_name="warn at, percent of the target"),
        ),
        migrations.RunPython(create_default_calendars, migrations.RunPython.noop),
    ]
