"""core.db.savepoint_covers / service_atomic: a service called directly where the caller's own
savepoint covers it makes none of its own; nested services and services below another atomic
block keep theirs; an error still takes back everything the covering block did."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import savepoint_covers, service_atomic
from customers.models import Company

pytestmark = pytest.mark.django_db


@service_atomic
def company_create(*, name: str, fail: bool = False, nested: str = "") -> Company:
    company = Company.objects.create(name=name)
    if nested:
        company_create(name=nested)
    if fail:
        raise ValueError("the service fails")
    return company


def savepoints(captured) -> int:
    return sum(1 for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT"))


def test_a_service_called_directly_under_a_covering_savepoint_makes_none_and_a_nested_one_does():
    with CaptureQueriesContext(connection) as captured, transaction.atomic(), savepoint_covers():
        company_create(name="Ромашка", nested="Лютик")

    # then: the covering block's own savepoint (this test runs inside a transaction) and the
    # nested service's
    assert savepoints(captured) == 2
    assert sorted(Company.objects.values_list("name", flat=True)) == ["Лютик", "Ромашка"]


def test_without_a_covering_savepoint_a_service_makes_its_own():
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        company_create(name="Ромашка")

    assert savepoints(captured) == 2


def test_a_service_below_another_atomic_block_keeps_its_savepoint():
    with CaptureQueriesContext(connection) as captured, transaction.atomic(), savepoint_covers(), transaction.atomic():
        company_create(name="Ромашка")

    assert savepoints(captured) == 3


def test_an_error_of_a_covered_service_takes_back_what_the_covering_block_did():
    # given: a company written before, in the covering block, then a failing covered service
    with pytest.raises(ValueError), transaction.atomic(), savepoint_covers():
        Company.objects.create(name="Раньше")
        company_create(name="Ромашка", fail=True)

    # then
    assert not Company.objects.exists()
    # and the connection is usable again
    assert Company.objects.create(name="Потом").pk
