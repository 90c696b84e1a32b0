import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.choices import TICKETS_PER_PAGE
from tests.factories import ClientUserFactory, ContactFactory, SiteFactory, make_ticket, status
from tickets.choices import ArticleKind, AuthorKind, Channel
from tickets.models import Article, Attachment, ServiceCategory, Ticket
from tickets.reference import reference
from tickets.services import article_create, ticket_assign, ticket_set_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db):
    return ServiceCategory.objects.create(code="hvac", name_ru="Кондиционирование", name_en="Air conditioning")


def test_create_form_offers_portal_categories_and_own_sites_only(portal_client, company, category):
    ServiceCategory.objects.create(code="internal", name_ru="Внутреннее", name_en="Internal", visible_in_portal=False)
    ServiceCategory.objects.create(code="old", name_ru="Старое", name_en="Old", is_active=False)
    SiteFactory(company=company, name="Офис на Ленина")
    SiteFactory(company=company, name="Склад", is_active=False)
    SiteFactory(name="Чужой объект")

    response = portal_client.get(reverse("portal:ticket_create"))

    assert response.status_code == 200
    form = response.context["form"]
    assert [c.code for c in form.fields["category"].queryset] == ["hvac"]
    assert [s.name for s in form.fields["site"].queryset] == ["Офис на Ленина"]
    assert 'type="file" name="attachments" multiple' in response.content.decode()


def test_client_creates_ticket_with_attachment_and_sees_it_in_list(portal_client, client_user, company, category):
    site = SiteFactory(company=company, name="Офис на Ленина")
    photo = SimpleUploadedFile("кондиционер.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    manual = SimpleUploadedFile("manual.pdf", b"%PDF-1.4 fake", content_type="application/pdf")

    response = portal_client.post(
        reverse("portal:ticket_create"),
        {
            "category": category.pk,
            "site": site.pk,
            "title": "Не работает кондиционер",
            "description": "В переговорной жарко.",
            "attachments": [photo, manual],
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ticket_detail", kwargs={"number": ticket.number})
    assert (ticket.title, ticket.description, ticket.channel) == (
        "Не работает кондиционер",
        "В переговорной жарко.",
        Channel.PORTAL,
    )
    assert (ticket.contact, ticket.company, ticket.site, ticket.category) == (
        client_user.contact,
        company,
        site,
        category,
    )
    article = Article.objects.get(ticket=ticket)
    assert (article.author_kind, article.author_user, article.body) == (
        AuthorKind.CONTACT,
        client_user,
        "В переговорной жарко.",
    )
    assert sorted(Attachment.objects.filter(article=article).values_list("filename", "size")) == [
        ("manual.pdf", 13),
        ("кондиционер.jpg", 13),
    ]

    listing = portal_client.get(reverse("portal:ticket_list"))

    assert [t.number for t in listing.context["page"].object_list] == [ticket.number]
    assert "Не работает кондиционер" in listing.content.decode()


def test_create_without_subject_shows_errors_and_creates_nothing(portal_client, category):
    response = portal_client.post(
        reverse("portal:ticket_create"), {"category": category.pk, "title": "", "description": "Текст"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"title": ["This field is required."]}
    assert Ticket.objects.count() == 0


def test_create_refuses_another_companys_site(portal_client, company, category):
    SiteFactory(company=company)
    foreign_site = SiteFactory(name="Чужой объект")

    response = portal_client.post(
        reverse("portal:ticket_create"),
        {"category": category.pk, "site": foreign_site.pk, "title": "Тема", "description": "Текст"},
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["site"]
    assert Ticket.objects.count() == 0


def test_create_refuses_a_file_over_the_size_limit(portal_client, category, settings):
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11, content_type="application/octet-stream")

    response = portal_client.post(
        reverse("portal:ticket_create"),
        {"category": category.pk, "title": "Тема", "description": "Текст", "attachments": [big]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"attachments": ["big.bin is larger than 10\xa0bytes."]}
    assert Ticket.objects.count() == 0


def test_detail_shows_status_engineer_and_public_conversation_without_notes(portal_client, client_user, engineer):
    ticket = make_ticket(actor=client_user, contact=client_user.contact, channel=Channel.PORTAL)
    ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    article_create(ticket=ticket, author=engineer, body="Выезжаем завтра в 10:00.")
    article_create(ticket=ticket, author=engineer, body="СЕКРЕТ: клиент должен за прошлый месяц", kind=ArticleKind.NOTE)

    response = portal_client.get(reverse("portal:ticket_detail", kwargs={"number": ticket.number}))

    content = response.content.decode()
    assert response.status_code == 200
    assert [a.body for a in response.context["articles"]] == [
        "В переговорной жарко, кондиционер не включается.",
        "Выезжаем завтра в 10:00.",
    ]
    assert "СЕКРЕТ" not in content
    assert "Пётр Инженеров" in content
    assert "Engineer:" in content
    assert 'class="badge" style="background: #0891b2"' in content  # "In progress" after assignment


def test_notes_attachments_are_not_listed_to_the_client(portal_client, client_user, engineer):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)
    article_create(
        ticket=ticket,
        author=engineer,
        body="Скан договора",
        kind=ArticleKind.NOTE,
        attachments=[_upload("contract-secret.pdf")],
    )

    response = portal_client.get(reverse("portal:ticket_detail", kwargs={"number": ticket.number}))

    assert "contract-secret.pdf" not in response.content.decode()


def _upload(name: str):
    from tickets.services import UploadedFileData

    return UploadedFileData(name=name, content_type="application/pdf", file=SimpleUploadedFile(name, b"%PDF"))


def test_client_replies_with_attachment(portal_client, client_user):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)

    response = portal_client.post(
        reverse("portal:ticket_detail", kwargs={"number": ticket.number}),
        {
            "body": "Фото прикладываю.",
            "attachments": [SimpleUploadedFile("photo.png", b"\x89PNG", content_type="image/png")],
        },
    )

    reply = Article.objects.filter(ticket=ticket).order_by("-id").first()
    assert response.status_code == 302
    assert response.url == reverse("portal:ticket_detail", kwargs={"number": ticket.number}) + f"#article-{reply.pk}"
    assert (reply.body, reply.kind, reply.author_kind, reply.author_contact) == (
        "Фото прикладываю.",
        ArticleKind.PUBLIC,
        AuthorKind.CONTACT,
        client_user.contact,
    )
    assert list(reply.attachments.values_list("filename", flat=True)) == ["photo.png"]
    page = portal_client.get(response.url).content.decode()
    assert "Фото прикладываю." in page
    assert reverse("tickets:attachment", kwargs={"pk": reply.attachments.get().pk}) in page


def test_empty_reply_is_refused(portal_client, client_user):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)

    response = portal_client.post(reverse("portal:ticket_detail", kwargs={"number": ticket.number}), {"body": "  "})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["Write a message or attach a file."]
    assert Article.objects.filter(ticket=ticket).count() == 1


def test_reply_to_resolved_ticket_reopens_it(portal_client, client_user):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)
    ticket_set_status(ticket=ticket, actor=None, status=status("resolved"))

    portal_client.post(reverse("portal:ticket_detail", kwargs={"number": ticket.number}), {"body": "Снова сломалось."})

    ticket.refresh_from_db()
    assert ticket.status.code == "open"


def test_closed_ticket_takes_no_reply(portal_client, client_user):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)
    ticket_set_status(ticket=ticket, actor=None, status=status("closed"))

    page = portal_client.get(reverse("portal:ticket_detail", kwargs={"number": ticket.number}))
    response = portal_client.post(reverse("portal:ticket_detail", kwargs={"number": ticket.number}), {"body": "Ещё"})

    assert page.context["can_reply"] is False
    assert 'name="body"' not in page.content.decode()
    assert response.status_code == 302
    assert Article.objects.filter(ticket=ticket).count() == 1


def test_list_filters_open_and_closed_newest_first(portal_client, client_user):
    contact = client_user.contact
    first = make_ticket(title="Первая", contact=contact)
    second = make_ticket(title="Вторая", contact=contact)
    done = make_ticket(title="Решённая", contact=contact)
    ticket_set_status(ticket=done, actor=None, status=status("resolved"))

    def numbers(state):
        response = portal_client.get(reverse("portal:ticket_list"), {"state": state})
        return [t.number for t in response.context["page"].object_list]

    assert numbers("all") == [done.number, second.number, first.number]
    assert numbers("open") == [second.number, first.number]
    assert numbers("closed") == [done.number]
    assert numbers("bogus") == [done.number, second.number, first.number]


def test_list_is_paginated(portal_client, client_user):
    for _n in range(TICKETS_PER_PAGE + 1):
        make_ticket(contact=client_user.contact)
    oldest = Ticket.objects.order_by("created_at", "id").first()

    first_page = portal_client.get(reverse("portal:ticket_list"))
    second_page = portal_client.get(reverse("portal:ticket_list"), {"page": 2})

    assert len(first_page.context["page"].object_list) == TICKETS_PER_PAGE
    assert [t.number for t in second_page.context["page"].object_list] == [oldest.number]


def test_list_query_count_does_not_grow_with_tickets(
    portal_client, client_user, engineer, company, django_assert_max_num_queries
):
    site = SiteFactory(company=company)
    for n in range(TICKETS_PER_PAGE):
        ticket = make_ticket(contact=client_user.contact, site=site)
        if n % 2:
            ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)

    reference()  # loaded, as in a running server (tickets/reference.py)
    # session, user, contact, company (visibility), count, page of tickets, and the page's
    # company, contact and site rows (prefetched, not joined; the rest is reference data)
    with django_assert_max_num_queries(9):
        response = portal_client.get(reverse("portal:ticket_list"))

    assert len(response.context["page"].object_list) == TICKETS_PER_PAGE


def test_detail_query_count_does_not_grow_with_conversation(
    portal_client, client_user, engineer, django_assert_max_num_queries
):
    ticket = make_ticket(actor=client_user, contact=client_user.contact)
    ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    for n in range(10):
        article_create(ticket=ticket, author=engineer, body=f"Ответ {n}", attachments=[_upload(f"act-{n}.pdf")])

    reference()  # loaded, as in a running server (tickets/reference.py)
    # session, user, contact, company (visibility), ticket, articles, attachments
    with django_assert_max_num_queries(7):
        response = portal_client.get(reverse("portal:ticket_detail", kwargs={"number": ticket.number}))

    assert response.status_code == 200


def test_contact_sees_only_own_tickets_unless_company_allows_all(client, company):
    colleague = ContactFactory(company=company, full_name="Коллега")
    viewer = ClientUserFactory(contact=ContactFactory(company=company))
    own = make_ticket(title="Моя заявка", contact=viewer.contact)
    colleagues = make_ticket(title="Заявка коллеги", contact=colleague)
    client.force_login(viewer)

    before = client.get(reverse("portal:ticket_list"))
    hidden = client.get(reverse("portal:ticket_detail", kwargs={"number": colleagues.number}))
    company.portal_contacts_see_all_tickets = True
    company.save(update_fields=["portal_contacts_see_all_tickets"])
    after = client.get(reverse("portal:ticket_list"))
    shown = client.get(reverse("portal:ticket_detail", kwargs={"number": colleagues.number}))

    assert [t.number for t in before.context["page"].object_list] == [own.number]
    assert hidden.status_code == 404
    assert [t.number for t in after.context["page"].object_list] == [colleagues.number, own.number]
    assert shown.status_code == 200
