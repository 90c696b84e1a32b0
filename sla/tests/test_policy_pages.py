"""The policy editor through the browser client: list, create with validation errors, edit
targets and escalation levels, reorder, switch off, delete; the recalculation's progress."""

from typing import Any

import pytest
from django.urls import reverse

from accounts.choices import Role
from customers.models import Company
from sla.models import RecalculationStatus, SlaEscalation, SlaPolicy, SlaRecalculation, SlaTarget
from tests.factories import CompanyFactory, UserFactory, priority
from tickets.models import Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMIN, language="en"))
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    """A complete editor submission: targets for every active priority, no escalation levels."""
    priorities = list(Priority.objects.filter(is_active=True))
    data: dict[str, Any] = {
        "name": "Critical 24/7",
        "is_active": "on",
        "calendar": "",
        "warn_percent": "80",
        "targets-TOTAL_FORMS": str(len(priorities)),
        "targets-INITIAL_FORMS": str(len(priorities)),
        "levels-TOTAL_FORMS": "0",
        "levels-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(priorities):
        data[f"targets-{index}-priority"] = str(row.pk)
        for kind in ("first_response", "next_response", "resolution"):
            data[f"targets-{index}-{kind}"] = ""
            data[f"targets-{index}-{kind}_business"] = "on"
    data.update(overrides)
    return data


def _target_index(code: str) -> int:
    return [p.code for p in Priority.objects.filter(is_active=True)].index(code)


def test_the_list_shows_policies_in_order_with_their_targets(admin_client, policy):
    # when
    response = admin_client.get(reverse("sla:policy_list"))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Все заявки" in page
    assert "15m*" in page  # critical first response, calendar time
    assert "4h" in page


def test_agents_cannot_open_the_policies(client):
    client.force_login(UserFactory(role=Role.AGENT))
    assert client.get(reverse("sla:policy_list")).status_code == 403


def test_create_a_policy_with_targets_conditions_and_a_level(admin_client, django_capture_on_commit_callbacks):
    # given
    company = CompanyFactory(name="ООО Ромашка")
    critical = _target_index("critical")
    data = _form(
        companies=[str(company.pk)],
        priorities=[str(priority("critical").pk)],
        channels=["email", "phone"],
        **{
            f"targets-{critical}-first_response": "15m",
            f"targets-{critical}-resolution": "4h 30m",
            "levels-TOTAL_FORMS": "1",
            "levels-0-target": "first_response",
            "levels-0-trigger": "after_start",
            "levels-0-minutes": "5",
            "levels-0-notify_supervisor": "on",
        },
    )
    data.pop(f"targets-{critical}-first_response_business")  # unticked: calendar time
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("sla:policy_create"), data)
    # then
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Critical 24/7")
    assert list(policy.companies.all()) == [company]
    assert policy.channels == ["email", "phone"]
    target = SlaTarget.objects.get(policy=policy)
    assert (target.priority.code, target.first_response_minutes, target.first_response_business) == (
        "critical",
        15,
        False,
    )
    assert (target.resolution_minutes, target.resolution_business, target.next_response_minutes) == (270, True, None)
    level = SlaEscalation.objects.get(policy=policy)
    assert (level.target, level.trigger, level.minutes, level.notify_supervisor, level.notify_assignee) == (
        "first_response",
        "after_start",
        5,
        True,
        False,
    )
    assert SlaRecalculation.objects.filter(status=RecalculationStatus.QUEUED).count() == 1
    enqueued = [c for c in callbacks if c.__qualname__.startswith("_enqueue.")]
    assert len(enqueued) == 1  # the task, enqueued after commit


def test_validation_errors_are_shown_and_nothing_is_saved(admin_client):
    # given: a negative duration, warn % of 100, a level without an action
    normal = _target_index("normal")
    data = _form(
        warn_percent="100",
        **{
            f"targets-{normal}-resolution": "-5",
            "levels-TOTAL_FORMS": "1",
            "levels-0-target": "resolution",
            "levels-0-trigger": "after_breach",
            "levels-0-minutes": "10",
        },
    )
    # when
    response = admin_client.post(reverse("sla:policy_create"), data)
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "A duration cannot be negative." in page
    assert "Ensure this value is less than or equal to 99." in page
    assert "Choose at least one action for this level." in page
    assert not SlaPolicy.objects.exists()


def test_a_duration_in_words_that_cannot_be_read_is_an_error(admin_client):
    data = _form(**{f"targets-{_target_index('normal')}-resolution": "soon"})
    response = admin_client.post(reverse("sla:policy_create"), data)
    assert "Write a duration like" in response.content.decode()


def test_add_a_level_redraws_the_form_with_one_more_empty_level(admin_client):
    response = admin_client.post(reverse("sla:policy_create"), _form(add_level="1"))
    assert response.status_code == 200
    assert 'name="levels-0-target"' in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_editing_keeps_a_level_and_removes_another(admin_client, policy):
    # given: two levels
    kept = SlaEscalation.objects.create(policy=policy, target="resolution", trigger="after_breach", minutes=30)
    removed = SlaEscalation.objects.create(policy=policy, target="first_response", trigger="before_due", minutes=5)
    page = admin_client.get(reverse("sla:policy_edit", args=[policy.pk]))
    assert page.status_code == 200
    data = _form(
        name="Все заявки",
        **{
            "levels-TOTAL_FORMS": "2",
            "levels-INITIAL_FORMS": "2",
            "levels-0-id": str(kept.pk),
            "levels-0-target": "resolution",
            "levels-0-trigger": "after_breach",
            "levels-0-minutes": "1h",
            "levels-0-notify_assignee": "on",
            "levels-0-raise_priority": str(priority("critical").pk),
            "levels-1-id": str(removed.pk),
            "levels-1-target": "first_response",
            "levels-1-trigger": "before_due",
            "levels-1-minutes": "5",
            "levels-1-notify_assignee": "on",
            "levels-1-DELETE": "on",
        },
    )
    # when
    response = admin_client.post(reverse("sla:policy_edit", args=[policy.pk]), data)
    # then
    assert response.status_code == 302
    assert list(policy.escalations.values_list("pk", "minutes", "raise_priority__code")) == [(kept.pk, 60, "critical")]
    assert not policy.targets.exists()  # every target emptied


def test_move_toggle_and_delete(admin_client, policy, workdays):
    # given
    second = SlaPolicy.objects.create(name="VIP", order=20, calendar=workdays)
    # when: the second moves up, the first is switched off
    admin_client.post(reverse("sla:policy_move", args=[second.pk]), {"direction": "up"})
    admin_client.post(reverse("sla:policy_toggle", args=[policy.pk]), {"active": "0"})
    # then
    assert list(SlaPolicy.objects.order_by("order").values_list("name", "order", "is_active")) == [
        ("VIP", 10, True),
        ("Все заявки", 20, False),
    ]
    # when
    response = admin_client.post(reverse("sla:policy_delete", args=[second.pk]))
    # then
    assert response.status_code == 302
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Все заявки"]
    assert admin_client.get(reverse("sla:policy_delete", args=[policy.pk])).status_code == 405


def test_pick_finds_companies_by_name(admin_client):
    CompanyFactory(name="ООО Ромашка")
    CompanyFactory(name="АО Василёк")
    response = admin_client.get(reverse("sla:policy_pick"), {"kind": "companies", "q": "ромаш"})
    page = response.content.decode()
    assert "Ромашка" in page
    assert "Василёк" not in page
    assert Company.objects.count() == 2


def test_the_list_polls_the_progress_of_a_running_recalculation(admin_client):
    # given
    run = SlaRecalculation.objects.create(status=RecalculationStatus.RUNNING, total=1000, done=250)
    # when
    page = admin_client.get(reverse("sla:policy_list")).content.decode()
    fragment = admin_client.get(reverse("sla:recalculation_progress", args=[run.pk])).content.decode()
    # then
    assert 'hx-trigger="every 2s"' in page
    assert 'value="25"' in fragment
    assert "250 of 1000" in fragment
    run.status = RecalculationStatus.DONE
    run.save()
    assert "hx-get" not in admin_client.get(reverse("sla:recalculation_progress", args=[run.pk])).content.decode()
