"""Writes and reads of companies, contacts and sites."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Company, Contact, ContactEmail, Site, normalize_phone
from customers.selectors import (
    company_list_for_user,
    contact_list_for_user,
    contact_search_for_user,
    site_list_for_user,
)
from customers.services import (
    company_create,
    company_update,
    contact_create,
    contact_update,
    site_create,
    site_update,
)
from tests.factories import ContactFactory, SiteFactory


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+7 (912) 345-67-89", "9123456789"),
        ("8 912 3456789", "9123456789"),
        ("79123456789", "9123456789"),
        ("912-34-56", "9123456"),
        ("+44 20 7946 0958", "442079460958"),
        ("", ""),
    ],
)
def test_phones_are_normalized_to_ten_russian_digits(raw, normalized):
    # when / then
    assert normalize_phone(raw) == normalized


def test_contact_create_with_emails_and_phones(company):
    # when
    contact = contact_create(
        full_name="  Ольга Новикова ",
        company=company,
        emails=["Olga@Romashka.test", "olga@romashka.test", "", "olga.home@mail.test"],
        phones=["+7 903 111-22-33", "+7 903 111-22-33"],
        position="Бухгалтер",
    )
    # then
    assert contact.full_name == "Ольга Новикова"
    assert list(contact.emails.values_list("email", "is_primary")) == [
        ("olga@romashka.test", True),
        ("olga.home@mail.test", False),
    ]
    assert list(contact.phones.values_list("phone", "normalized", "is_primary")) == [
        ("+7 903 111-22-33", "9031112233", True)
    ]
    assert contact.primary_email == "olga@romashka.test"
    assert contact.primary_phone == "+7 903 111-22-33"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"full_name": "  "}, "full_name"),
        ({"full_name": "Ольга", "emails": ["not-an-email"]}, "emails"),
        ({"full_name": "Ольга", "emails": ["PETR@romashka.test"]}, "emails"),
        ({"full_name": "Ольга", "phones": ["12"]}, "phones"),
    ],
    ids=["no name", "bad email", "taken email", "bad phone"],
)
def test_contact_create_refuses_bad_input_naming_the_field(contact, kwargs, field):
    # given
    contacts_before = Contact.objects.count()
    # when
    with pytest.raises(ValidationError) as exc:
        contact_create(**kwargs)
    # then
    assert list(exc.value.message_dict) == [field]
    assert Contact.objects.count() == contacts_before


def test_contact_update_replaces_emails_and_phones(contact, other_company):
    # when
    contact_update(
        contact=contact,
        full_name="Пётр Иванович Иванов",
        company=other_company,
        emails=["petr@vasilek.test", "petr@romashka.test"],
        phones=["+7 999 000-00-00"],
    )
    # then
    contact.refresh_from_db()
    assert contact.full_name == "Пётр Иванович Иванов"
    assert contact.company == other_company
    assert list(contact.emails.values_list("email", flat=True)) == ["petr@vasilek.test", "petr@romashka.test"]
    assert list(contact.phones.values_list("normalized", flat=True)) == ["9990000000"]


def test_contact_update_refuses_someone_elses_email_and_keeps_everything(contact, company):
    # given
    ContactFactory(company=company, email="maria@romashka.test")
    # when
    with pytest.raises(ValidationError) as exc:
        contact_update(contact=contact, full_name="Другое имя", emails=["maria@romashka.test"])
    # then
    assert list(exc.value.message_dict) == ["emails"]
    assert Contact.objects.get(pk=contact.pk).full_name == "Пётр Иванов"
    assert list(ContactEmail.objects.filter(contact=contact).values_list("email", flat=True)) == ["petr@romashka.test"]


def test_company_create_and_update(db):
    # when
    company = company_create(name=" ООО Берёзка ", inn="7701000000")
    company_update(company=company, name="ООО Берёзка-2", portal_contacts_see_all_tickets=True)
    # then
    company.refresh_from_db()
    assert (company.name, company.inn, company.portal_contacts_see_all_tickets) == ("ООО Берёзка-2", "7701000000", True)


def test_company_create_needs_a_name(db):
    # when
    with pytest.raises(ValidationError) as exc:
        company_create(name=" ")
    # then
    assert list(exc.value.message_dict) == ["name"]
    assert Company.objects.count() == 0


def test_site_create_and_update(company):
    # when
    site = site_create(company=company, name="Склад", address="Тверь", time_zone="Europe/Samara", is_active=False)
    site_update(site=site, name="Склад №2", is_active=True)
    # then
    site.refresh_from_db()
    assert (site.company, site.name, site.address, site.time_zone, site.is_active) == (
        company,
        "Склад №2",
        "Тверь",
        "Europe/Samara",
        True,
    )


def test_a_site_needs_a_real_time_zone(company):
    # when
    with pytest.raises(ValidationError) as exc:
        site_create(company=company, name="Склад", time_zone="Mars/Olympus")
    # then
    assert list(exc.value.message_dict) == ["time_zone"]
    assert Site.objects.count() == 0


# selectors


def test_staff_see_every_company_contact_and_site(agent, engineer, company, other_company, contact):
    # given
    SiteFactory(company=other_company)
    # when / then
    for user in (agent, engineer):
        assert company_list_for_user(user=user).count() == 2
        assert contact_list_for_user(user=user).count() == 1
        assert site_list_for_user(user=user).count() == 1


def test_a_contractor_sees_no_customers(contractor, company, contact):
    # given
    SiteFactory(company=company)
    # when / then
    assert company_list_for_user(user=contractor).count() == 0
    assert contact_list_for_user(user=contractor).count() == 0
    assert site_list_for_user(user=contractor).count() == 0


def test_a_client_sees_their_own_company_and_themselves(client_user, company, other_company, contact):
    # given
    ContactFactory(company=company, full_name="Мария Сидорова")
    SiteFactory(company=company, name="Офис")
    SiteFactory(company=other_company, name="Чужой офис")
    # when / then
    assert list(company_list_for_user(user=client_user)) == [company]
    assert list(contact_list_for_user(user=client_user)) == [contact]
    assert [s.name for s in site_list_for_user(user=client_user)] == ["Офис"]


def test_a_client_sees_colleagues_when_the_company_shares_tickets(client_user, company):
    # given
    company.portal_contacts_see_all_tickets = True
    company.save()
    ContactFactory(company=company, full_name="Мария Сидорова")
    client_user.refresh_from_db()
    # when
    names = [c.full_name for c in contact_list_for_user(user=client_user)]
    # then
    assert names == ["Мария Сидорова", "Пётр Иванов"]


@pytest.mark.parametrize(
    "query", ["912", "+7 912", "+79123", "8 912 345", "89123456789", "45-67", "Petr@Romashka", "иванов"]
)
def test_contact_search_by_fragment(agent, contact, company, query):
    # given
    ContactFactory(company=company, full_name="Мария Сидорова", phone="+7 495 111-22-33")
    # when
    found = contact_search_for_user(user=agent, query=query)
    # then
    assert [c.full_name for c in found] == ["Пётр Иванов"]


def test_contact_search_lists_a_contact_matching_several_ways_once(agent, company):
    # given: "ivanov" is in the name, in two emails and (as digits) nowhere else
    ContactFactory(company=company, full_name="Ivanov Petr", email="ivanov@romashka.test")
    ContactEmail.objects.create(contact=Contact.objects.get(full_name="Ivanov Petr"), email="p.ivanov@mail.test")
    # when
    found = contact_search_for_user(user=agent, query="IVANOV")
    # then
    assert [c.full_name for c in found] == ["Ivanov Petr"]


@pytest.mark.django_db
def test_contains_searches_have_trigram_indexes_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%trgm"])
        indexes = dict(cursor.fetchall())
    # then: name, email and phone of contacts, name and legal name of companies
    assert set(indexes) == {
        "contact_name_trgm",
        "contactemail_email_trgm",
        "contactphone_normalized_trgm",
        "company_name_trgm",
        "company_legal_name_trgm",
    }
    assert all("gin_trgm_ops" in definition for definition in indexes.values())


def test_contact_search_with_one_character_finds_nothing(agent, contact):
    # when / then
    assert contact_search_for_user(user=agent, query="П") == []


def test_contact_search_is_scoped_to_the_viewer(contractor, contact):
    # when / then
    assert contact_search_for_user(user=contractor, query="Пётр") == []


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"inn": "12345"}, ["inn"]),
        ({"inn": "77010000001"}, ["inn"]),
        ({"inn": "77O1000000"}, ["inn"]),
        ({"kpp": "7701"}, ["kpp"]),
        ({"kpp": "AB0101001"}, ["kpp"]),
        ({"inn": "1", "kpp": "2"}, ["inn", "kpp"]),
    ],
)
def test_company_services_check_inn_and_kpp(db, fields, bad):
    # given
    company = company_create(name="ООО Берёзка", inn="7701000000")
    # when
    with pytest.raises(ValidationError) as created:
        company_create(name="ООО Осина", **fields)
    with pytest.raises(ValidationError) as updated:
        company_update(company=company, **fields)
    # then
    assert sorted(created.value.message_dict) == bad
    assert sorted(updated.value.message_dict) == bad
    company.refresh_from_db()
    assert (company.inn, company.kpp) == ("7701000000", "")


def test_company_services_keep_good_inn_and_kpp_trimmed(db):
    # when
    company = company_create(name="ИП Лютиков", inn=" 770100000012 ", kpp="7701AB001")
    # then
    assert (company.inn, company.kpp) == ("770100000012", "7701AB001")
