"""QR labels: the PDF, and the round trip label → URL → form with the unit chosen → ticket."""

import io
import re

import pytest
from django.conf import settings
from django.test import Client
from pypdf import PdfReader

from assets.labels import qr_url
from tests.factories import EquipmentFactory
from tickets.choices import Channel
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _portal_path(url: str) -> str:
    assert url.startswith(settings.OTKLIK_BASE_URL)
    return url[len(settings.OTKLIK_BASE_URL) :]


def test_labels_pdf_holds_every_chosen_unit(agent_client, company, site):
    # given
    units = [
        EquipmentFactory(site=site, company=company, name=f"Сплит-система №{n}", inventory_number=f"ИНВ-00{n}7")
        for n in range(3)
    ]
    # when
    response = agent_client.get("/equipment/labels.pdf", {"ids": ",".join(str(u.pk) for u in units)})
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for unit in units:
        assert unit.name in text
        assert unit.inventory_number in text


@pytest.mark.parametrize(
    ("query", "status_code"),
    [("ids=99999999999999999999", 302), ("ids=%C2%B2", 302), ("site=99999999999999999999", 404)],
)
def test_labels_for_malformed_or_huge_ids_print_nothing(agent_client, query, status_code):
    response = agent_client.get(f"/equipment/labels.pdf?{query}")
    assert response.status_code == status_code


def test_the_label_url_opens_the_portal_form_with_the_unit_for_a_contact(client_user, company, site):
    # given: a label is scanned by a contact of the unit's company, not yet signed in
    unit = EquipmentFactory(site=site, company=company, name="Лифт №2")
    browser = Client(headers={"Accept-Language": "en"})
    path = _portal_path(qr_url(unit))
    # when: the label asks them to sign in, then sends them to the new request form
    to_login = browser.get(path)
    browser.force_login(client_user)
    to_form = browser.get(path)
    form = browser.get(to_form["Location"])
    sent = browser.post(
        to_form["Location"].split("?")[0],
        {"equipment": unit.pk, "title": "Лифт гудит", "description": "Гудит между 3 и 4 этажом"},
    )
    # then
    ticket = Ticket.objects.get(title="Лифт гудит")
    assert to_login.status_code == 302 and "/portal/login/" in to_login["Location"]
    assert "next=" in to_login["Location"]
    assert form.status_code == 200
    assert f'name="equipment" value="{unit.pk}"' in form.content.decode()
    assert sent.status_code == 302
    assert (ticket.equipment, ticket.site, ticket.company, ticket.channel) == (unit, site, company, Channel.QR)


def test_the_label_url_opens_the_intake_for_staff(agent_client, company, site):
    unit = EquipmentFactory(site=site, company=company)
    response = agent_client.get(_portal_path(qr_url(unit)))
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/new/?equipment={unit.pk}"


def test_without_sign_in_when_the_company_allows_it(client, company, site, django_capture_on_commit_callbacks):
    # given
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company, name="Кофемашина")
    path = _portal_path(qr_url(unit))
    # when
    page = client.get(path)
    sent = client.post(path, {"name": "Ольга", "phone": "+7 912 000-11-22", "description": "Течёт вода", "website": ""})
    # then
    ticket = Ticket.objects.get(equipment=unit)
    assert page.status_code == 200 and "Кофемашина" in page.content.decode()
    assert sent.status_code == 200
    assert f"#{ticket.number}" in sent.content.decode()
    assert ticket.contact.company == company
    assert ticket.contact.phones.get().normalized == "9120001122"
    assert ticket.channel == Channel.QR


def test_an_anonymous_sender_is_never_matched_to_an_existing_contact(client, client_user, company, site):
    # given: someone types the email of an existing contact into the label's form
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company)
    existing = client_user.contact
    # when
    client.post(
        _portal_path(qr_url(unit)),
        {"name": "Анна", "email": "ANNA@alfa.test", "phone": "+7 912 000-11-22", "description": "Не включается"},
        headers={"Accept-Language": "en"},
    )
    # then: the ticket is filed as a new, unverified contact that does not take over the address
    ticket = Ticket.objects.get(equipment=unit)
    contact = ticket.contact
    assert contact != existing
    assert (contact.full_name, contact.company, contact.is_verified) == ("Анна", company, False)
    assert list(contact.emails.values_list("email", flat=True)) == []
    assert list(contact.phones.values_list("normalized", flat=True)) == ["9120001122"]
    assert list(existing.emails.values_list("email", flat=True)) == ["anna@alfa.test"]
    assert ticket.description == "Не включается\n\nContact details given: anna@alfa.test, +7 912 000-11-22"


def test_an_anonymous_sender_with_a_new_address_gets_an_unverified_contact(client, company, site):
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company)
    client.post(
        _portal_path(qr_url(unit)),
        {"name": "Пётр", "email": "Petr@new.test", "description": "Шумит"},
        headers={"Accept-Language": "en"},
    )
    ticket = Ticket.objects.get(equipment=unit)
    assert ticket.contact.is_verified is False
    assert list(ticket.contact.emails.values_list("email", flat=True)) == ["petr@new.test"]
    assert ticket.description == "Шумит\n\nContact details given: petr@new.test"


def test_a_filled_honeypot_creates_nothing(client, company, site):
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company)
    response = client.post(
        _portal_path(qr_url(unit)),
        {"name": "bot", "email": "bot@spam.test", "description": "buy", "website": "http://spam.test"},
    )
    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_requests_without_sign_in_are_limited_per_address(client, company, site):
    # given
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company)
    path = _portal_path(qr_url(unit))
    data = {"name": "Ольга", "phone": "+7 912 000-11-22", "description": "Течёт вода"}
    # when
    statuses = [client.post(path, data).status_code for _ in range(11)]
    # then
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert Ticket.objects.count() == 10


def test_honeypot_and_refused_posts_count_towards_the_limit(client, company, site):
    # given
    company.portal_qr_requires_login = False
    company.save()
    unit = EquipmentFactory(site=site, company=company)
    path = _portal_path(qr_url(unit))
    honeypot = {"name": "bot", "email": "bot@spam.test", "description": "buy", "website": "http://spam.test"}
    invalid = {"name": "bot", "description": ""}
    # when
    statuses = [client.post(path, honeypot).status_code for _ in range(5)]
    statuses += [client.post(path, invalid).status_code for _ in range(5)]
    last = client.post(path, {"name": "Ольга", "phone": "+7 912 000-11-22", "description": "Течёт вода"})
    # then
    assert statuses == [200] * 5 + [400] * 5
    assert last.status_code == 429
    assert not Ticket.objects.exists()


def test_requests_without_sign_in_are_limited_per_unit(client, company, site):
    # given
    company.portal_qr_requires_login = False
    company.save()
    unit, other_unit = EquipmentFactory(site=site, company=company), EquipmentFactory(site=site, company=company)
    data = {"name": "Ольга", "phone": "+7 912 000-11-22", "description": "Течёт вода"}
    # when: 31 requests about one unit from 4 addresses, each under its own limit
    statuses = [
        client.post(_portal_path(qr_url(unit)), data, REMOTE_ADDR=f"10.0.0.{n % 4}").status_code for n in range(31)
    ]
    other = client.post(_portal_path(qr_url(other_unit)), data, REMOTE_ADDR="10.0.0.9")
    # then
    assert statuses == [200] * 30 + [429]
    assert other.status_code == 200


def test_a_contact_of_another_company_cannot_use_the_label(login, client_user, site):
    unit = EquipmentFactory(site__company__name="ООО Бета")
    response = login(client_user).get(_portal_path(qr_url(unit)))
    assert response.status_code == 403
    assert not re.search(r"equipment.*value", response.content.decode())


def test_an_unknown_or_retired_label_is_404(client, company, site):
    unit = EquipmentFactory(site=site, company=company, is_active=False)
    assert client.get("/portal/qr/no-such-token/").status_code == 404
    assert client.get(_portal_path(qr_url(unit))).status_code == 404
