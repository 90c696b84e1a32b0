"""The screens of the client notices: templates and teams' busy reply under Settings (administrators
only), a company's switches (staff who edit companies)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.choices import Role
from notifications.choices import NoticeKind
from notifications.models import CompanyNoticeSettings, NoticeTemplate, TeamBusyReply
from tests.factories import CompanyFactory, TeamFactory, UserFactory, status

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    browser = Client(headers={"Accept-Language": "en"})
    browser.force_login(UserFactory(role=Role.ADMIN, language="en"))
    return browser


def test_the_templates_screen_lists_every_notice_in_both_languages(admin_client, django_assert_max_num_queries):
    # when an administrator opens it
    with django_assert_max_num_queries(8):
        response = admin_client.get("/notifications/notices/")

    # then every kind has its Russian and English words
    page = response.content.decode()
    assert response.status_code == 200
    for template in NoticeTemplate.objects.all():
        assert f'href="/notifications/notices/{template.pk}/"' in page
    assert NoticeTemplate.objects.count() == 10
    assert "Заявка №{number} принята: {title}" in page


def test_an_administrator_edits_a_template_and_a_typo_is_shown_not_saved(admin_client):
    template = NoticeTemplate.objects.get(kind=NoticeKind.BUSY, language="en")

    # when saved with an unknown placeholder, then correctly
    refused = admin_client.post(
        f"/notifications/notices/{template.pk}/", {"subject": "Busy {numbr}", "body": "Please wait."}
    )
    template.refresh_from_db()
    after_refusal = template.subject
    saved = admin_client.post(
        f"/notifications/notices/{template.pk}/", {"subject": "Request {number}: please wait", "body": "Please wait."}
    )

    # then
    assert refused.status_code == 400
    assert "Unknown placeholder {numbr}." in refused.content.decode()
    assert after_refusal == "Request #{number}: all operators are busy"
    assert saved.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.body) == ("Request {number}: please wait", "Please wait.")


def test_restore_shows_the_default_words_to_save(admin_client):
    template = NoticeTemplate.objects.get(kind=NoticeKind.ASSIGNED, language="ru")
    NoticeTemplate.objects.filter(pk=template.pk).update(subject="Своё", body="Своё")

    response = admin_client.post(f"/notifications/notices/{template.pk}/", {"restore": "1"})

    assert response.status_code == 200
    assert "Заявка №{number}: назначен инженер" in response.content.decode()
    template.refresh_from_db()
    assert template.subject == "Своё"  # restored only once saved


def test_the_settings_screens_are_for_administrators_only(db):
    agent = Client()
    agent.force_login(UserFactory(role=Role.AGENT))
    template = NoticeTemplate.objects.first()

    assert agent.get("/notifications/notices/").status_code == 403
    assert agent.post(f"/notifications/notices/{template.pk}/", {"subject": "x", "body": "x"}).status_code == 403
    assert agent.get("/notifications/notices/busy/").status_code == 403


def test_an_administrator_sets_a_teams_busy_reply(admin_client, django_assert_max_num_queries):
    team = TeamFactory(code="lifts", name_ru="Лифты", name_en="Lifts")

    bad = admin_client.post(f"/notifications/notices/busy/{team.pk}/", {"enabled": "on", "after_minutes": "0"})
    saved = admin_client.post(
        f"/notifications/notices/busy/{team.pk}/", {"enabled": "on", "after_minutes": "20", "hours": "business"}
    )
    TeamFactory.create_batch(3)
    with django_assert_max_num_queries(8):
        listing = admin_client.get("/notifications/notices/busy/")

    assert bad.status_code == 400
    assert saved.status_code == 302
    row = TeamBusyReply.objects.get(team=team)
    assert (row.enabled, row.after_minutes, row.hours, row.calendar) == (True, 20, "business", None)
    assert row.enabled_at is not None
    assert "Only during business hours" in listing.content.decode()


def test_staff_set_a_companys_switches_and_announced_statuses(db):
    company = CompanyFactory(name="ООО Ромашка")
    dispatcher = Client(headers={"Accept-Language": "en"})
    dispatcher.force_login(UserFactory(role=Role.AGENT))

    form = dispatcher.get(f"/notifications/notices/company/{company.pk}/")
    response = dispatcher.post(
        f"/notifications/notices/company/{company.pk}/",
        {"acknowledgement": "on", "resolved": "on", "announced_statuses": [status("open").pk]},
    )

    assert form.status_code == 200
    assert 'name="acknowledgement" id="id_acknowledgement" checked' in form.content.decode()
    assert response.status_code == 302
    row = CompanyNoticeSettings.objects.get(company=company)
    assert (row.acknowledgement, row.assigned, row.resolved, row.busy) == (True, False, True, False)
    assert list(row.announced_statuses.values_list("code", flat=True)) == ["open"]


def test_a_contractor_cannot_open_a_companys_switches(db):
    company = CompanyFactory()
    contractor = Client()
    contractor.force_login(UserFactory(role=Role.CONTRACTOR))

    assert contractor.get(f"/notifications/notices/company/{company.pk}/").status_code == 404
