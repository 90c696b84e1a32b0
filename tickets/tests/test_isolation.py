"""Tenant isolation: every staff page taking an id answers 404 (never 403 or 500) for an id the
viewer may not see, and changes nothing."""

import pytest

from tests.factories import SiteFactory, make_ticket, upload
from tickets.models import Article, Attachment, TicketEvent, TicketLink
from tickets.services import article_create


@pytest.fixture
def hidden(team, agent, contact, company):
    """A ticket of `team` with a file, and the company, contact and site around it."""
    ticket = make_ticket(team=team, contact=contact, title="Секретная заявка")
    article = article_create(ticket=ticket, author=agent, body="Файл", attachments=[upload()])
    visible_to_everyone = make_ticket(team=None, title="Общая")
    return {
        "ticket": ticket,
        "other": visible_to_everyone,
        "attachment": Attachment.objects.get(article=article),
        "company": company,
        "contact": contact,
        "site": SiteFactory(company=company),
    }


TICKET_REQUESTS = [
    ("get", "/tickets/{ticket.number}/", {}),
    ("get", "/tickets/{ticket.number}/live/?since=0", {}),
    ("post", "/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Взлом"}),
    ("post", "/tickets/{ticket.number}/reply/", {"kind": "note", "body": "Взлом"}),
    ("post", "/tickets/{ticket.number}/update/", {"status": "1", "priority": "1", "tags": "x"}),
    ("post", "/tickets/{ticket.number}/links/", {"action": "related", "number": "{other.number}"}),
    ("post", "/tickets/{ticket.number}/merge/", {"number": "{other.number}", "confirm": "1"}),
    ("get", "/tickets/attachments/{attachment.pk}/", {}),
]
CUSTOMER_REQUESTS = [
    ("get", "/customers/companies/{company.pk}/", {}),
    ("get", "/customers/companies/{company.pk}/edit/", {}),
    ("post", "/customers/companies/{company.pk}/edit/", {"name": "Взломано"}),
    ("get", "/customers/contacts/{contact.pk}/", {}),
    ("get", "/customers/contacts/{contact.pk}/edit/", {}),
    ("post", "/customers/contacts/{contact.pk}/edit/", {"full_name": "Взломано"}),
    ("get", "/customers/companies/{company.pk}/sites/new/", {}),
    ("post", "/customers/companies/{company.pk}/sites/new/", {"name": "Взломано", "time_zone": "Europe/Moscow"}),
    ("get", "/customers/companies/{company.pk}/sites/{site.pk}/", {}),
    ("post", "/customers/companies/{company.pk}/sites/{site.pk}/", {"name": "Взломано", "time_zone": "Europe/Moscow"}),
    ("get", "/tickets/contacts/lookup/?select={contact.pk}", {}),
]


def _request(browser, method, url, data, objects):
    url = url.format(**objects)
    data = {k: v.format(**objects) for k, v in data.items()}
    return getattr(browser, method)(url, data)


def _snapshot():
    return (
        Article.objects.count(),
        TicketEvent.objects.count(),
        TicketLink.objects.count(),
        sorted(Article.objects.values_list("ticket_id", flat=True)),
    )


@pytest.mark.parametrize(("method", "url", "data"), TICKET_REQUESTS)
@pytest.mark.parametrize("viewer", ["contractor", "other_engineer"])
def test_ticket_pages_are_404_for_a_ticket_one_cannot_see(login, request, hidden, viewer, method, url, data):
    # given
    browser = login(request.getfixturevalue(viewer))
    before = _snapshot()
    # when
    response = _request(browser, method, url, data, hidden)
    # then
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "url", "data"), CUSTOMER_REQUESTS)
def test_customer_pages_are_404_for_a_contractor(login, contractor, hidden, method, url, data):
    # given
    browser = login(contractor)
    # when
    response = _request(browser, method, url, data, hidden)
    # then
    hidden["company"].refresh_from_db()
    hidden["contact"].refresh_from_db()
    hidden["site"].refresh_from_db()
    assert response.status_code == 404
    assert hidden["company"].name == "ООО Ромашка"
    assert hidden["contact"].full_name == "Пётр Иванов"
    assert hidden["company"].sites.count() == 1
    assert hidden["site"].name != "Взломано"


def test_a_site_of_another_company_is_404_not_a_new_site(agent_client, hidden, other_company):
    # given
    site = hidden["site"]
    # when
    page = agent_client.get(f"/customers/companies/{other_company.pk}/sites/{site.pk}/")
    post = agent_client.post(
        f"/customers/companies/{other_company.pk}/sites/{site.pk}/", {"name": "Подмена", "time_zone": "Europe/Moscow"}
    )
    # then
    assert page.status_code == 404
    assert post.status_code == 404
    assert other_company.sites.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/999999/",
        "/tickets/999999/live/?since=0",
        "/tickets/attachments/999999/",
        "/customers/companies/999999/",
        "/customers/contacts/999999/",
        "/customers/companies/999999/sites/new/",
    ],
)
def test_ids_that_do_not_exist_are_404(agent_client, url):
    # when
    response = agent_client.get(url)
    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/",
        "/tickets/rows/",
        "/tickets/new/",
        "/tickets/search/?q=лифт",
        "/tickets/{ticket.number}/",
        "/customers/companies/",
        "/customers/contacts/",
    ],
)
def test_a_client_on_a_staff_page_goes_to_the_portal(login, client_user, hidden, url):
    # when
    response = login(client_user).get(url.format(**hidden))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/")


def test_an_anonymous_visitor_goes_to_the_login_page(client):
    # when
    response = client.get("/tickets/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/tickets/"


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/?view=²",
        "/tickets/?view=99999",
        "/tickets/?after=²&before=x",
        "/tickets/rows/?since=²",
        "/tickets/rows/?since=-1",
        "/tickets/search/?q=%23²",
        "/tickets/search/?q=%2399999999999999999999",
        "/tickets/{ticket.number}/live/?since=²",
        "/tickets/contacts/lookup/?q=²²²",
    ],
)
def test_odd_parameters_never_break_a_page(agent_client, hidden, url):
    # when
    response = agent_client.get(url.format(**hidden))
    # then
    assert response.status_code in (200, 204)
