"""Writes of companies, contacts and sites."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.db import insert_model
from customers.models import Company, Contact, ContactEmail, ContactPhone, ContactRole, Site, normalize_phone
from customers.selectors import contacts_by_email


def _clean_emails(emails: Iterable[str], *, exclude_contact: Contact | None = None) -> list[str]:
    cleaned: list[str] = []
    for raw in emails:
        email = (raw or "").strip().lower()
        if not email or email in cleaned:
            continue
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"emails": _("%(email)s is not a valid email address.") % {"email": email}}) from exc
        taken = ContactEmail.objects.filter(email__iexact=email)
        if exclude_contact is not None:
            taken = taken.exclude(contact=exclude_contact)
        if taken.exists():
            raise ValidationError({"emails": _("%(email)s already belongs to another contact.") % {"email": email}})
        cleaned.append(email)
    return cleaned


def _clean_phones(phones: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in phones:
        phone = (raw or "").strip()
        if not phone:
            continue
        if len(normalize_phone(phone)) < 5:
            raise ValidationError({"phones": _("%(phone)s is not a valid phone number.") % {"phone": phone}})
        if phone not in cleaned:
            cleaned.append(phone)
    return cleaned


@transaction.atomic
def contact_create(
    *,
    full_name: str,
    company: Company | None = None,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    position: str = "",
    notes: str = "",
    language: str = "ru",
    role: str = ContactRole.REQUESTER,
    external_id: str = "",
    is_verified: bool = True,
) -> Contact:
    """Create a contact with any number of emails and phones (the first of each is primary);
    `is_verified=False` for one nobody has vouched for (see Contact.is_verified).
    Raises ValidationError naming the field for an empty name, a bad or already used email."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("A name is required.")})
    email_list = _clean_emails(emails)
    phone_list = _clean_phones(phones)
    if role not in ContactRole.values:
        raise ValidationError({"role": _("Unknown contact role.")})
    contact = Contact.objects.create(
        full_name=full_name[:200],
        company=company,
        position=position,
        notes=notes,
        language=language,
        role=role,
        external_id=external_id,
        is_verified=is_verified,
    )
    for i, email in enumerate(email_list):
        ContactEmail.objects.create(contact=contact, email=email, is_primary=i == 0)
    for i, phone in enumerate(phone_list):
        ContactPhone.objects.create(contact=contact, phone=phone, is_primary=i == 0)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    full_name: str | None = None,
    company: Company | object | None = ...,
    emails: Iterable[str] | None = None,
    phones: Iterable[str] | None = None,
    position: str | None = None,
    notes: str | None = None,
    role: str | None = None,
    external_id: str | None = None,
) -> Contact:
    """Change a contact; `emails`/`phones`, when given, replace the whole list."""
    fields: list[str] = []
    if full_name is not None:
        if not full_name.strip():
            raise ValidationError({"full_name": _("A name is required.")})
        contact.full_name = full_name.strip()[:200]
        fields.append("full_name")
    if company is not ...:
        contact.company = company  # type: ignore[assignment]
        fields.append("company")
    if position is not None:
        contact.position = position
        fields.append("position")
    if notes is not None:
        contact.notes = notes
        fields.append("notes")
    if role is not None:
        if role not in ContactRole.values:
            raise ValidationError({"role": _("Unknown contact role.")})
        contact.role = role
        fields.append("role")
    if external_id is not None:
        contact.external_id = external_id.strip()[:100]
        fields.append("external_id")
    if fields:
        contact.save(update_fields=[*fields, "updated_at"])
    if emails is not None:
        email_list = _clean_emails(emails, exclude_contact=contact)
        contact.emails.all().delete()
        for i, email in enumerate(email_list):
            ContactEmail.objects.create(contact=contact, email=email, is_primary=i == 0)
    if phones is not None:
        phone_list = _clean_phones(phones)
        contact.phones.all().delete()
        for i, phone in enumerate(phone_list):
            ContactPhone.objects.create(contact=contact, phone=phone, is_primary=i == 0)
    return contact


def contact_verify(*, contact: Contact) -> Contact:
    """Mark a contact as checked by staff (see Contact.is_verified). Idempotent."""
    if not contact.is_verified:
        contact.is_verified = True
        contact.save(update_fields=["is_verified", "updated_at"])
    return contact


def inn_clean(value: str) -> str:
    """An INN without surrounding spaces: blank, or 10 digits (organisation) or 12 (sole trader).
    Raises ValidationError with the message only; callers say which field it is."""
    inn = (value or "").strip()
    if inn and (not inn.isdigit() or len(inn) not in (10, 12)):
        raise ValidationError(_("An INN is 10 digits (organisation) or 12 digits (sole trader)."))
    return inn


def kpp_clean(value: str) -> str:
    """A KPP without surrounding spaces: blank, or 9 characters of which the first four are digits."""
    kpp = (value or "").strip()
    if kpp and (len(kpp) != 9 or not kpp[:4].isdigit()):
        raise ValidationError(_("A KPP is 9 characters, the first four digits."))
    return kpp


def _clean_tax_ids(fields: dict[str, object]) -> None:
    """Clean `inn`/`kpp` in `fields` in place; one ValidationError naming every bad one."""
    errors: dict[str, list[str]] = {}
    for name, clean in (("inn", inn_clean), ("kpp", kpp_clean)):
        if name in fields:
            try:
                fields[name] = clean(str(fields[name] or ""))
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def company_create(*, name: str, **fields: object) -> Company:
    """Create a company from any of its fields. Raises ValidationError naming the field for an
    empty name, a malformed INN or KPP, or any other invalid value."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    _clean_tax_ids(fields)
    company = Company(name=name[:255], **fields)
    company.full_clean()
    company.save()
    return company


@transaction.atomic
def company_update(*, company: Company, **fields: object) -> Company:
    """Change the given fields of a company; validated as company_create does."""
    if "name" in fields:
        fields["name"] = str(fields["name"] or "").strip()[:255]
        if not fields["name"]:
            raise ValidationError({"name": _("A name is required.")})
    _clean_tax_ids(fields)
    for name, value in fields.items():
        setattr(company, name, value)
    company.full_clean()
    company.save(update_fields=[*fields.keys(), "updated_at"])
    return company


@transaction.atomic
def site_create(
    *,
    company: Company,
    name: str,
    address: str = "",
    time_zone: str = "Europe/Moscow",
    notes: str = "",
    is_active: bool = True,
    **details: object,
) -> Site:
    """`details`: any other Site field (coordinates, floors, default team and engineer, access
    hours, external id)."""
    site = Site(
        company=company,
        name=(name or "").strip()[:255],
        address=address,
        time_zone=time_zone,
        notes=notes,
        is_active=is_active,
        **details,
    )
    site.full_clean()
    site.save()
    return site


@transaction.atomic
def site_update(*, site: Site, **fields: object) -> Site:
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean()
    site.save(update_fields=[*fields.keys(), "updated_at"])
    return site


@dataclass(frozen=True)
class EmailPerson:
    """Someone an email names (From, To, Cc): an address and the display name, if any."""

    address: str
    name: str = ""


def contacts_create_from_email(
    *, people: Iterable[EmailPerson], companies: dict[str, Company], language: str
) -> dict[str, Contact]:
    """Contacts for addresses nobody has yet (the intake pipeline's unknown senders and Cc'd
    people), the company matched by the address's domain in `companies`. The name is the display
    name, else the address's local part. When a concurrent message stored one of the addresses
    first, its contact is used instead (and the one made for it here removed). Returns address →
    contact (lowercased addresses).

    No savepoint: the addresses are inserted with ON CONFLICT DO NOTHING, so an address taken
    meanwhile breaks no transaction — the intake pipeline's batch runs without a savepoint per
    message, and two statements of about ten per email were this savepoint's."""
    wanted: dict[str, EmailPerson] = {}
    for person in people:
        address = person.address.strip().lower()
        if address and address not in wanted and len(address) <= 254:
            wanted[address] = person
    if not wanted:
        return {}
    made = {
        address: Contact(
            full_name=(person.name.strip() or address.split("@", 1)[0])[:200],
            company=companies.get(address.rpartition("@")[2]),
            language=language,
        )
        for address, person in wanted.items()
    }
    if len(made) == 1:  # the common case, the sender alone: the INSERT built once (core.db)
        insert_model(*made.values())
    else:
        Contact.objects.bulk_create(made.values())
    stored = _emails_insert_new({address: contact.pk for address, contact in made.items()})
    taken = [address for address in made if address not in stored]
    if taken:
        # Someone else stored these addresses a moment ago: theirs are kept, ours removed.
        Contact.objects.filter(pk__in=[made[address].pk for address in taken]).delete()
        theirs = contacts_by_email(addresses=taken)
        for address in taken:
            made[address] = theirs[address]
    return made


def _emails_insert_new(contact_of: dict[str, int]) -> set[str]:
    """INSERT each (lowercased) address as its contact's primary email unless an address equal
    to it whatever the case is stored (contact_email_unique_ci); returns the addresses inserted."""
    q = connection.ops.quote_name
    table = q(ContactEmail._meta.db_table)
    true = "true" if connection.vendor == "postgresql" else "1"
    values = ", ".join([f"(%s, %s, {true})"] * len(contact_of))
    sql = (
        f"INSERT INTO {table} ({q('contact_id')}, {q('email')}, {q('is_primary')}) VALUES {values} "
        f"ON CONFLICT DO NOTHING RETURNING {q('email')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for address, pk in contact_of.items() for value in (pk, address)])
        return {row[0] for row in cursor.fetchall()}
