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
