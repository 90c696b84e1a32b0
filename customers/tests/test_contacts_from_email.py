import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Contact, ContactEmail
from customers.selectors import companies_by_email_domain, contacts_by_email
from customers.services import EmailPerson, contacts_create_from_email
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_contacts_are_made_for_new_addresses_with_the_company_of_their_domain():
    # given a company owning two domains
    company = CompanyFactory(name="ООО Ромашка", email_domains="romashka.test, Romashka-Group.RU")
    companies = companies_by_email_domain(domains=["romashka-group.ru", "gmail.com", "other.test"])

    # when contacts are made for a named and an unnamed address
    made = contacts_create_from_email(
        people=[EmailPerson(address="Olga@Romashka-Group.ru", name="Ольга"), EmailPerson(address="x@other.test")],
        companies=companies,
        language="ru",
    )

    # then each has its address as the primary email, the company by domain, the name or local part
    assert companies == {"romashka-group.ru": company}
    assert {a: (c.full_name, c.company, c.language) for a, c in made.items()} == {
        "olga@romashka-group.ru": ("Ольга", company, "ru"),
        "x@other.test": ("x", None, "ru"),
    }
    assert set(ContactEmail.objects.values_list("email", "is_primary")) == {
        ("olga@romashka-group.ru", True),
        ("x@other.test", True),
    }


def test_an_address_someone_stored_meanwhile_keeps_its_contact():
    # given an address that got its contact after the caller looked (a concurrent message)
    existing = ContactFactory(full_name="Уже есть", email="taken@client.test")

    # when contacts are made for it and a new one
    with CaptureQueriesContext(connection) as queries:
        made = contacts_create_from_email(
            people=[EmailPerson(address="TAKEN@client.test", name="Другой"), EmailPerson(address="new@client.test")],
            companies={},
            language="en",
        )

    # then the existing contact is used, the new address gets one, and no stray contact is left —
    # with no savepoint: the taken address broke nothing of the caller's transaction
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert made["taken@client.test"] == existing
    assert made["new@client.test"].full_name == "new"
    assert Contact.objects.count() == 2


def test_contacts_by_email_reads_what_the_orm_reads_with_their_companies(django_assert_num_queries):
    # given a contact of a company with an address in capitals, and one without a company
    company = CompanyFactory(name="ООО Ромашка")
    olga = ContactFactory(company=company, full_name="Ольга")
    ContactEmail.objects.create(contact=olga, email="Olga@Romashka.test")
    ivan = ContactFactory(company=None, full_name="Иван")
    ContactEmail.objects.create(contact=ivan, email="ivan@mail.test")

    # when they are read by address, in any case, with one unknown address
    with django_assert_num_queries(1):
        found = contacts_by_email(addresses={"olga@romashka.TEST", "ivan@mail.test", "nobody@x.test"})
        companies = {address: contact.company for address, contact in found.items()}  # loaded with them

    # then the same contacts as the ORM's read, each with its company
    assert found == {"olga@romashka.test": olga, "ivan@mail.test": ivan}
    assert companies == {"olga@romashka.test": company, "ivan@mail.test": None}
    orm = Contact.objects.get(pk=olga.pk)
    assert [getattr(found["olga@romashka.test"], f.attname) for f in Contact._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in Contact._meta.concrete_fields
    ]
    assert found["olga@romashka.test"].company.name == "ООО Ромашка"


def test_a_domain_belongs_to_the_first_active_company_by_name_that_lists_it_whole():
    # given: two companies claiming one domain, an inactive one, and domains that only contain it
    CompanyFactory(name="Б-Сервис", email_domains="shared.test")
    first = CompanyFactory(name="А-Сервис", email_domains="other.test,SHARED.test")
    CompanyFactory(name="Архив", email_domains="old.test", is_active=False)
    CompanyFactory(name="Дочка", email_domains="mail.sub_1.test, notshared.test")
    wildcard = CompanyFactory(name="Подчёркивание", email_domains="sub_1.test")

    # when
    companies = companies_by_email_domain(domains=["Shared.test", "old.test", "sub_1.test", "subx1.test", "%"])

    # then: listed whole, not contained in a longer domain; "_" and "%" are no wildcards
    assert companies == {"shared.test": first, "sub_1.test": wildcard}
