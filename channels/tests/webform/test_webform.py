import json
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from channels.webform.forms import submission_token_new
from channels.webform.services import WebSubmission, track_inbound, track_token, webform_submit
from customers.models import Contact
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process
from tests.factories import ContactFactory, ServiceCategoryFactory, make_ticket
from tickets.choices import ArticleKind, Channel
from tickets.models import Article, Ticket
from tickets.services import article_create, ticket_merge

pytestmark = pytest.mark.django_db


def _post(client, *, embed=False, ip="10.0.0.1", **fields):
    data = {
        "name": "Анна Петрова",
        "email": "anna@example.test",
        "phone": "",
        "message": "Не работает кондиционер\nВ переговорной жарко.",
        "site": "",
        "website": "",
        "submission": submission_token_new(),
        **fields,
    }
    url = reverse("webform:form") + ("?embed=1&lang=en" if embed else "")
    return client.post(url, data, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def test_a_submission_with_a_file_opens_a_web_ticket_and_shows_its_tracking_page(
    client, django_capture_on_commit_callbacks
):
    # given a visitor filling in the hosted form with a photo and a service
    category = ServiceCategoryFactory()
    photo = SimpleUploadedFile("кондиционер.png", b"\x89PNG photo", content_type="image/png")

    # when they send it
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, attachments=[photo], category=category.pk, site="Ленина 5, офис 12")

    # then one web ticket is open for a new unverified contact, with the file and the SLA start at arrival
    ticket = Ticket.objects.get()
    inbound = InboundMessage.objects.get()
    assert (ticket.channel, ticket.title, ticket.category_id) == (Channel.WEB, "Не работает кондиционер", category.pk)
    assert ticket.contact.full_name == "Анна Петрова"
    assert ticket.contact.is_verified is False
    assert [e.email for e in ticket.contact.emails.all()] == ["anna@example.test"]
    assert "Address or site: Ленина 5, офис 12" in ticket.description
    article = Article.objects.get(ticket=ticket)
    assert [a.filename for a in article.attachments.all()] == ["кондиционер.png"]
    assert (inbound.status, inbound.ticket_id, inbound.article_id) == (InboundStatus.PROCESSED, ticket.pk, article.pk)
    assert ticket.created_at >= inbound.received_at
    raw = json.loads(bytes(inbound.raw))
    assert (raw["name"], raw["category_id"], raw["files"][0]["name"]) == (
        "Анна Петрова",
        category.pk,
        "кондиционер.png",
    )
    # and the staged upload is gone once the ticket has its copy
    assert not default_storage.exists(raw["files"][0]["path"])
    # and the client lands on the tracking page with the ticket's number
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f"#{ticket.number}" in page.content.decode()


def test_a_known_email_files_the_ticket_under_the_existing_contact(client):
    # given a contact with that email
    contact = ContactFactory()
    contact.emails.create(email="anna@example.test", is_primary=True)

    # when the form is sent with it
    _post(client)

    # then the ticket is theirs and no contact is made
    assert Ticket.objects.get().contact_id == contact.pk
    assert Contact.objects.count() == 1


def test_a_known_phone_files_the_ticket_under_the_existing_contact(client):
    contact = ContactFactory()
    contact.phones.create(phone="+7 (912) 345-67-89")

    _post(client, email="", phone="8 912 3456789")

    assert Ticket.objects.get().contact_id == contact.pk


def test_the_honeypot_answers_like_a_success_and_stores_nothing(client):
    response = _post(client, website="http://spam.test")

    assert response.status_code == 200
    assert "Request received" in response.content.decode()
    assert InboundMessage.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_form_without_email_or_phone_is_refused(client):
    response = _post(client, email="", phone="")

    assert response.status_code == 400
    assert "Leave a phone number or an email" in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_posts_past_the_hourly_limit_per_address_get_a_friendly_429(client, settings):
    # given a limit of two posts an hour from one address
    settings.OTKLIK_WEBFORM_PER_IP_HOUR = 2
    _post(client, email="a@example.test")
    _post(client, email="b@example.test")

    # when a third comes from the same address
    response = _post(client, email="c@example.test")

    # then it is refused kindly, and another address still gets through
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Too many requests" in response.content.decode()
    assert _post(client, email="d@example.test", ip="10.0.0.2").status_code == 302
    assert Ticket.objects.count() == 3


def test_posts_past_the_hourly_limit_per_contact_are_refused_from_any_address(client, settings):
    settings.OTKLIK_WEBFORM_PER_CONTACT_HOUR = 1
    _post(client, ip="10.0.0.1")

    response = _post(client, ip="10.0.0.9")

    assert response.status_code == 429
    assert Ticket.objects.count() == 1


def test_an_oversize_file_is_refused_and_nothing_is_stored(client, settings):
    settings.OTKLIK_WEBFORM_MAX_FILE_BYTES = 10
    big = SimpleUploadedFile("scan.pdf", b"x" * 11, content_type="application/pdf")

    response = _post(client, attachments=[big])

    assert response.status_code == 400
    assert "scan.pdf is larger than 10" in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_a_file_of_a_type_not_allowed_is_refused(client):
    script = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")

    response = _post(client, attachments=[script])

    assert response.status_code == 400
    assert "run.exe: files of this type are not accepted" in response.content.decode()


def _tracked(response) -> InboundMessage | None:
    match = re.fullmatch(r"/request/([^/]+)/", response["Location"])
    assert match, response["Location"]
    return track_inbound(match.group(1))


def test_a_double_submit_makes_one_ticket_and_both_land_on_the_same_tracking_page(client):
    # given one form (one submission id) sent twice, as a double click does
    token = submission_token_new()

    # when
    first = _post(client, submission=token)
    second = _post(client, submission=token)

    # then
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    # (the links are signed with the time they were made, so they name the submission, not one string)
    assert _tracked(first) == _tracked(second) == InboundMessage.objects.get()


def test_a_submission_stored_twice_by_the_service_keeps_one_row():
    submission = WebSubmission(submission_id="abc", name="Анна", message="Привет", email="a@example.test")

    first = webform_submit(submission=submission)
    second = webform_submit(submission=submission)

    assert first.pk == second.pk
    assert InboundMessage.objects.filter(channel=Channel.WEB).count() == 1


def test_a_forged_submission_token_is_refused(client):
    response = _post(client, submission="forged")

    assert response.status_code == 400
    assert "The form has expired" in response.content.decode()
    assert InboundMessage.objects.count() == 0


def test_the_hosted_form_is_csrf_protected_and_the_embed_form_is_not():
    # given a client that enforces CSRF like a browser would
    browser = Client(enforce_csrf_checks=True)

    # then a post without a token is refused on the hosted form, accepted in the embed layout
    assert _post(browser).status_code == 403
    assert _post(browser, embed=True).status_code == 302


def test_the_tracking_page_shows_public_replies_only_and_takes_the_clients_reply(client, admin_user):
    # given a submitted request with an agent's reply and an internal note
    response = _post(client)
    ticket = Ticket.objects.get()
    article_create(ticket=ticket, author=admin_user, body="Мастер приедет завтра")
    article_create(ticket=ticket, author=admin_user, body="Секретная заметка", kind=ArticleKind.NOTE)
    url = response["Location"]

    # when the client opens the link and replies
    page = client.get(url).content.decode()
    reply = client.post(url, {"body": "Спасибо, жду"}, REMOTE_ADDR="10.0.0.1")

    # then
    assert "Мастер приедет завтра" in page
    assert "Секретная заметка" not in page
    assert reply.status_code == 302
    last = Article.objects.filter(ticket=ticket).order_by("id").last()
    assert (last.body, last.author_contact_id, last.channel) == ("Спасибо, жду", ticket.contact_id, Channel.WEB)


def test_replies_on_a_tracking_page_are_limited_per_request_not_by_the_form_limit_of_the_address(
    client, settings, monkeypatch
):
    # given an office behind one address that used up the form's hourly limit, one request of theirs
    settings.OTKLIK_WEBFORM_PER_IP_HOUR = 1
    url = _post(client)["Location"]
    assert _post(client, email="colleague@example.test").status_code == 429
    ticket = Ticket.objects.get()

    # when the client replies on their request's page: it goes through
    assert client.post(url, {"body": "Уточнение"}, REMOTE_ADDR="10.0.0.1").status_code == 302

    # and past the request's own limit a reply is refused
    monkeypatch.setattr("channels.webform.services.TRACK_REPLIES_PER_HOUR", 2)
    assert client.post(url, {"body": "Ещё"}, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(url, {"body": "И ещё"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert list(ticket.articles.order_by("id").values_list("body", flat=True))[-2:] == ["Уточнение", "Ещё"]


def test_a_forged_tracking_token_is_not_found(client):
    assert client.get(reverse("webform:track", kwargs={"token": "1:forged"})).status_code == 404


def test_the_tracking_page_of_a_submission_not_processed_yet_says_so(client):
    inbound = webform_submit(
        submission=WebSubmission(submission_id="x1", name="Анна", message="Привет", email="a@example.test")
    )

    page = client.get(reverse("webform:track", kwargs={"token": track_token(inbound)}), HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert "Your request is being registered" in page.content.decode()


def test_a_failed_submission_is_kept_and_processes_when_retried(client):
    # given processing failing (no category) — simulated by a submission naming a missing file
    inbound = webform_submit(
        submission=WebSubmission(submission_id="x2", name="Анна", message="Привет", email="a@example.test")
    )
    InboundMessage.objects.filter(pk=inbound.pk).update(raw=b"not json")

    row = inbound_process(inbound_id=inbound.pk)

    assert row.status == InboundStatus.FAILED
    assert Ticket.objects.count() == 0


def test_widget_js_is_served_as_javascript(client):
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"/request/?embed=1" in response.content


def test_only_the_embed_layout_may_be_framed(client, settings):
    # given two allowed origins
    settings.OTKLIK_WEBFORM_FRAME_ANCESTORS = ["https://shop.example", "https://www.shop.example"]

    embed = client.get(reverse("webform:form") + "?embed=1&lang=ru")
    hosted = client.get(reverse("webform:form"))
    login = client.get(reverse("portal:login"))

    assert "X-Frame-Options" not in embed
    assert embed["Content-Security-Policy"] == "frame-ancestors https://shop.example https://www.shop.example"
    assert "Отправить заявку" in embed.content.decode()
    assert hosted["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in hosted
    assert login["X-Frame-Options"] == "DENY"


def test_the_embed_layout_keeps_embed_through_the_post_and_the_tracking_page(client):
    response = _post(client, embed=True)

    assert re.search(r"\?embed=1&lang=en$", response["Location"])
    page = client.get(response["Location"])
    assert "X-Frame-Options" not in page
    assert page["Content-Security-Policy"] == "frame-ancestors *"


def test_a_request_merged_into_another_shows_nothing_of_the_other_and_takes_no_reply(client, admin_user):
    # given a web request (the form trusts a typed address) merged by an agent into another
    # person's ticket with its own conversation
    response = _post(client)
    ticket = Ticket.objects.get()
    other = make_ticket(title="Чужая заявка")
    article_create(ticket=other, author=admin_user, body="Реквизиты для оплаты: …")
    ticket_merge(source=ticket, target=other, actor=admin_user)
    url = response["Location"]

    # when the submitter opens their link and tries to reply
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    reply = client.post(url, {"body": "Дайте реквизиты"}, REMOTE_ADDR="10.0.0.1")

    # then they see their own request, told it was joined with another, and nothing of it
    assert f"#{ticket.number}" in page
    assert "joined with another one" in page
    assert "Реквизиты для оплаты" not in page and "Чужая заявка" not in page
    assert reply.status_code == 200
    assert not Article.objects.filter(body="Дайте реквизиты").exists()


def test_the_tracking_page_reads_a_fixed_number_of_queries_however_long_the_conversation(client, admin_user):
    # given a request with one reply, then the same with four more replies carrying files
    from django.core.files.base import ContentFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.services import UploadedFileData

    response = _post(client)
    ticket = Ticket.objects.get()
    url = response["Location"]
    article_create(ticket=ticket, author=admin_user, body="Первый ответ")
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for number in range(4):
        article_create(
            ticket=ticket,
            author=admin_user,
            body=f"Ответ {number}",
            attachments=[
                UploadedFileData(
                    name=f"акт-{number}.pdf", content_type="application/pdf", file=ContentFile(b"%PDF-1.4")
                )
            ],
        )

    # when the page is read again
    with CaptureQueriesContext(connection) as long:
        page = client.get(url).content.decode()

    # then it costs the same queries, and shows the files
    assert "акт-3.pdf" in page
    assert len(long.captured_queries) == len(short.captured_queries)
