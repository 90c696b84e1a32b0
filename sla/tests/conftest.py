from datetime import time

import pytest

from sla.models import BusinessCalendar, SlaPolicy, SlaTarget, WorkingInterval
from tests.factories import priority


@pytest.fixture
def workdays(db):
    """Mon–Fri 09:00–18:00 Moscow, the default calendar."""
    calendar = BusinessCalendar.objects.create(code="msk-test", name="Москва 9–18", is_default=True)
    BusinessCalendar.objects.exclude(pk=calendar.pk).update(is_default=False)
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=calendar, weekday=weekday, start=time(9), end=time(18))
    calendar.save()
    return calendar


@pytest.fixture
def policy(workdays):
    """Everything: critical — first response 15 calendar minutes, resolution 4 business hours;
    normal — 2 business hours / 16 business hours; next response 1 business hour."""
    policy = SlaPolicy.objects.create(name="Все заявки", order=10, calendar=workdays, warn_percent=80)
    SlaTarget.objects.create(
        policy=policy, priority=priority("critical"), first_response_minutes=15, first_response_business=False,
        next_response_minutes=60, resolution_minutes=240,
    )  # fmt: skip
    SlaTarget.objects.create(
        policy=policy, priority=priority("normal"), first_response_minutes=120, next_response_minutes=60,
        resolution_minutes=16 * 60,
    )  # fmt: skip
    return policy
