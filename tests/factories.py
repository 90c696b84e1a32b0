"""factory_boy factories shared by every app's tests."""

from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from customers.models import Company, Contact, ContactEmail, ContactPhone, Site
from tickets.models import Priority, ServiceCategory, Status


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"ООО Компания {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    full_name = factory.Sequence(lambda n: f"Контакт Иванов {n}")

    @factory.post_generation
    def email(self, create, extracted, **kwargs):
        if create:
            ContactEmail.objects.create(
                contact=self, email=extracted or f"contact{self.pk}@client.test", is_primary=True
            )

    @factory.post_generation
    def phone(self, create, extracted, **kwargs):
        if create and extracted:
            ContactPhone.objects.create(contact=self, phone=extracted, is_primary=True)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Объект {n}")
    address = "Москва, ул. Ленина, 1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@otklik.test")
    full_name = factory.Sequence(lambda n: f"Сотрудник {n}")
    role = Role.AGENT
    language = "ru"
    date_joined = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.password = _password_hash(extracted or "pass-Word-123")
        if create:
            self.save(update_fields=["password"])


@lru_cache(maxsize=16)
def _password_hash(raw: str) -> str:
    # Hashing is deliberately slow (about half a second); every user of a test run shares one hash.
    return make_password(raw)


class ClientUserFactory(UserFactory):
    role = Role.CLIENT
    contact = factory.SubFactory(ContactFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team{n}")
    name_ru = factory.Sequence(lambda n: f"Команда {n}")
    name_en = factory.Sequence(lambda n: f"Team {n}")


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory

    code = factory.Sequence(lambda n: f"category{n}")
    name_ru = factory.Sequence(lambda n: f"Услуга {n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")


def status(code: str) -> Status:
    return Status.objects.get(code=code)


def priority(code: str) -> Priority:
    return Priority.objects.get(code=code)


def make_ticket(**kwargs):
    """A ticket created through the service, as every real ticket is."""
    from tickets.services import ticket_create

    kwargs.setdefault("actor", None)
    kwargs.setdefault("title", "Не работает кондиционер")
    kwargs.setdefault("description", "В переговорной жарко, кондиционер не включается.")
    return ticket_create(**kwargs)


def upload(name: str = "photo.png", content: bytes = b"\x89PNG fake image", content_type: str = "image/png"):
    """A file to attach, as the services take it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.services import UploadedFileData

    return UploadedFileData(name=name, content_type=content_type, file=SimpleUploadedFile(name, content, content_type))


class EquipmentKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assets.EquipmentKind"
        django_get_or_create = ("code",)

    code = "lift"
    name_ru = "Лифт"
    name_en = "Lift"


class EquipmentFactory(factory.django.DjangoModelFactory):
    """A unit at a site of its company. Give `site` (the company follows it), or `company` (a
    site of that company is made), or both; `site=None` for a unit at no site."""

    class Meta:
        model = "assets.Equipment"

    site = factory.SubFactory(SiteFactory)
    company = None
    kind = factory.SubFactory(EquipmentKindFactory)
    name = factory.Sequence(lambda n: f"Лифт пассажирский №{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        site, company = kwargs.get("site"), kwargs.get("company")
        if company is None:
            kwargs["company"] = site.company if site is not None else CompanyFactory()
        elif site is not None and site.company_id != company.pk:
            kwargs["site"] = SiteFactory(company=company)  # the default site, made for the given company
        return super()._create(model_class, *args, **kwargs)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.Contract"
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"ТО-{n:04d}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate().replace(month=1, day=1))
    ends_on = factory.LazyFunction(lambda: timezone.localdate().replace(month=12, day=31))

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.all_sites = False
            self.save(update_fields=["all_sites"])
            self.sites.set(extracted)

    @factory.post_generation
    def equipment(self, create, extracted, **kwargs):
        if create and extracted:
            self.equipment.set(extracted)

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)
