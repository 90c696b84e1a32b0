"""Nothing of company A ever reaches a contact of company B; guessing a number gives 404."""

import pytest
from django.urls import reverse

from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, make_ticket
from tickets.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_a_ticket(db):
    company_a = CompanyFactory(name="ООО Альфа", portal_contacts_see_all_tickets=True)
    return make_ticket(title="Секретная заявка Альфы", contact=ContactFactory(company=company_a))


@pytest.fixture
def company_b_client(client, db):
    company_b = CompanyFactory(name="ООО Бета", portal_contacts_see_all_tickets=True)
    client.force_login(ClientUserFactory(contact=ContactFactory(company=company_b)))
    return client


def test_other_companys_ticket_detail_is_404(company_b_client, company_a_ticket):
    response = company_b_client.get(reverse("portal:ticket_detail", kwargs={"number": company_a_ticket.number}))

    assert response.status_code == 404
    assert "Секретная заявка Альфы" not in response.content.decode()


def test_reply_to_other_companys_ticket_is_404_and_writes_nothing(company_b_client, company_a_ticket):
    response = company_b_client.post(
        reverse("portal:ticket_detail", kwargs={"number": company_a_ticket.number}), {"body": "Взлом"}
    )

    assert response.status_code == 404
    assert Article.objects.filter(ticket=company_a_ticket).count() == 1


def test_nonexistent_ticket_number_is_404_too(company_b_client, company_a_ticket):
    response = company_b_client.get(reverse("portal:ticket_detail", kwargs={"number": company_a_ticket.number + 1000}))

    assert response.status_code == 404


@pytest.mark.parametrize("state", ["all", "open", "closed"])
def test_other_companys_ticket_never_listed(company_b_client, company_a_ticket, state):
    response = company_b_client.get(reverse("portal:ticket_list"), {"state": state})

    assert list(response.context["page"].object_list) == []
    assert "Секретная заявка Альфы" not in response.content.decode()


def test_other_companys_attachment_link_is_404(company_b_client, company_a_ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.services import UploadedFileData, article_create

    article = article_create(
        ticket=company_a_ticket,
        author=None,
        author_contact=company_a_ticket.contact,
        body="Акт",
        attachments=[
            UploadedFileData(
                name="act.pdf", content_type="application/pdf", file=SimpleUploadedFile("act.pdf", b"%PDF")
            )
        ],
    )

    response = company_b_client.get(reverse("tickets:attachment", kwargs={"pk": article.attachments.get().pk}))

    assert response.status_code == 404
