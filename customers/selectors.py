"""Reads of companies, contacts and sites, scoped to the person asking."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from core.db import ModelColumns, icontains_q
from customers.models import Company, Contact, ContactEmail, ContactPhone, Site, normalize_phone


def company_list_for_user(*, user: User) -> QuerySet[Company]:
    """Staff see every company; a client contact sees only their own company."""
    if user.is_authenticated and user.is_agent_side and user.role != "contractor":
        return Company.objects.all()
    if user.is_authenticated and user.is_client and user.contact and user.contact.company_id:
        return Company.objects.filter(pk=user.contact.company_id)
    return Company.objects.none()


def company_search_for_user(*, user: User, query: str, limit: int = 10) -> list[Company]:
    """Companies whose name contains `query` (a trigram index answers it on PostgreSQL), by name;
    only id and name loaded, for a list of links."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    matching = company_list_for_user(user=user).filter(icontains_q("name", query))
    return list(matching.only("pk", "name").order_by("name")[:limit])


def company_get_for_user(*, user: User, company_id: int) -> Company:
    try:
        return company_list_for_user(user=user).get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def contact_list_for_user(*, user: User) -> QuerySet[Contact]:
    """Staff see every contact; a client sees the contacts of their company (or only themselves
    when the company has no company-wide visibility)."""
    qs = Contact.objects.select_related("company").prefetch_related(
        Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
        Prefetch("phones", queryset=ContactPhone.objects.order_by("-is_primary", "id")),
    )
    if user.is_authenticated and user.is_agent_side and user.role != "contractor":
        return qs
    if user.is_authenticated and user.is_client and user.contact:
        contact = user.contact
        if contact.company is not None and contact.company.portal_contacts_see_all_tickets:
            return qs.filter(company=contact.company)
        return qs.filter(pk=contact.pk)
    return qs.none()


def contact_get_for_user(*, user: User, contact_id: int) -> Contact:
    try:
        return contact_list_for_user(user=user).get(pk=contact_id)
    except (Contact.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def contact_match_q(query: str) -> Q:
    """Contacts whose name, email or phone contains `query`. Phones are stored without the
    country prefix, so a number typed from its start ("+7 912", "8 912 34") also matches.

    One `IN (… UNION …)` of three lookups, each answered by its own trigram index on PostgreSQL
    (customers migration 0005), rather than an OR across joins, which reads every contact."""
    query = query.strip()
    branches = [
        Contact.objects.filter(icontains_q("full_name", query)).order_by().values("pk"),
        ContactEmail.objects.filter(email__icontains=query.lower()).order_by().values("contact_id"),
    ]
    digits = normalize_phone(query)
    if len(digits) >= 3:
        phone = Q(normalized__contains=digits)
        typed = re.sub(r"\D", "", query)
        if query.startswith(("+7", "8")) and len(typed) >= 4:
            phone |= Q(normalized__startswith=typed[1:])
        branches.append(ContactPhone.objects.filter(phone).order_by().values("contact_id"))
    return Q(pk__in=branches[0].union(*branches[1:]))


def contact_search_for_user(*, user: User, query: str, limit: int = 10) -> list[Contact]:
    """Contacts matching a name, email or phone fragment as an agent types (phone intake)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    return list(contact_list_for_user(user=user).filter(contact_match_q(query)).order_by("full_name")[:limit])


def site_list_for_user(*, user: User) -> QuerySet[Site]:
    qs = Site.objects.select_related("company")
    if user.is_authenticated and user.is_agent_side and user.role != "contractor":
        return qs
    if user.is_authenticated and user.is_client and user.contact and user.contact.company_id:
        return qs.filter(company_id=user.contact.company_id)
    return qs.none()


def site_get_for_user(*, user: User, site_id: int) -> Site:
    try:
        return site_list_for_user(user=user).get(pk=site_id)
    except (Site.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


# Addresses anyone can get: a sender at one of these says nothing about their company.
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "mail.ru", "bk.ru", "list.ru", "inbox.ru", "internet.ru", "yandex.ru", "ya.ru", "yandex.com", "yandex.by",
        "yandex.kz", "narod.ru", "rambler.ru", "ro.ru", "lenta.ru", "autorambler.ru", "myrambler.ru", "qip.ru",
        "pochta.ru", "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com",
        "gmx.de", "zoho.com", "ukr.net", "tut.by",
    }
)  # fmt: skip


_CONTACT = ModelColumns(Contact)
_COMPANY = ModelColumns(Company)


def companies_by_email_domain(*, domains: Iterable[str]) -> dict[str, Company]:
    """The active company whose `email_domains` lists each domain (the first by name when two
    claim it); public mail services never match. One hand-written statement for all the domains
    (the intake pipeline reads this for every message from a new sender; the ORM's statement cost
    more than running it). For the intake pipeline, which acts for no viewer."""
    wanted = {d.strip().lower() for d in domains if d and d.strip().lower() not in PUBLIC_EMAIL_DOMAINS}
    if not wanted:
        return {}
    q = connection.ops.quote_name
    # A substring match narrows the rows; the comma-separated list is then split and compared.
    patterns = ["%" + d.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for d in sorted(wanted)]
    match = f"LOWER(co.{q('email_domains')}) LIKE %s ESCAPE '\\'"
    sql = (
        f"SELECT {_COMPANY.select('co')} FROM {q(Company._meta.db_table)} co "
        f"WHERE co.{q('is_active')} AND ({' OR '.join([match] * len(patterns))}) "
        f"ORDER BY co.{q('name')}, co.{q('id')}"
    )
    found: dict[str, Company] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, patterns)
        for row in cursor.fetchall():
            company = _COMPANY.build(row)
            for domain in (d.strip().lower() for d in company.email_domains.split(",")):  # type: ignore[attr-defined]
                if domain in wanted and domain not in found:
                    found[domain] = company  # type: ignore[assignment]
    return found


def contacts_by_email(*, addresses: Iterable[str]) -> dict[str, Contact]:
    """The contact having each of these addresses (compared lower-cased; the keys are the
    lower-cased addresses), its company loaded with it. One hand-written statement: the intake
    pipeline reads this for every message, and the ORM's statement for the three tables cost more
    than running it. For the pipeline, which acts for no viewer."""
    wanted = sorted({a.lower() for a in addresses if a})
    if not wanted:
        return {}
    q = connection.ops.quote_name
    sql = (
        f"SELECT LOWER(ce.{q('email')}), {_CONTACT.select('c')}, {_COMPANY.select('co')} "
        f"FROM {q(ContactEmail._meta.db_table)} ce "
        f"JOIN {q(Contact._meta.db_table)} c ON c.{q('id')} = ce.{q('contact_id')} "
        f"LEFT JOIN {q(Company._meta.db_table)} co ON co.{q('id')} = c.{q('company_id')} "
        f"WHERE LOWER(ce.{q('email')}) IN ({', '.join(['%s'] * len(wanted))})"
    )
    company_field = Contact._meta.get_field("company")
    found: dict[str, Contact] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, wanted)
        for row in cursor.fetchall():  # an address is unique whatever its case (contact_email_unique_ci)
            contact = _CONTACT.build(row[1 : 1 + _CONTACT.width])
            company_values = row[1 + _CONTACT.width :]
            company_field.set_cached_value(contact, _COMPANY.build(company_values) if company_values[0] else None)
            found[row[0]] = contact  # type: ignore[assignment]
    return found
