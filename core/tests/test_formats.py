"""English pages write dates as the Russian ones and the agents' screens do (config/formats/en)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation


def test_english_dates_are_day_month_year_on_a_24_hour_clock():
    moment = datetime(2026, 12, 7, 20, 5, tzinfo=ZoneInfo("Europe/Moscow"))
    template = Template(
        '{{ d|date:"SHORT_DATETIME_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d|date:"TIME_FORMAT" }}'
    )
    for language in ("en", "ru"):
        with translation.override(language):
            assert template.render(Context({"d": moment})) == "07.12.2026 20:05|07.12.2026|20:05"
