from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_ticket, status
from tickets.models import Article, Ticket
from tickets.services import UploadedFileData, article_create, ticket_set_status


def articles_url(ticket):
    return f"/api/v1/tickets/{ticket.number}/articles/"


def test_agent_sees_the_whole_conversation_oldest_first(world, api_as):
    note = article_create(ticket=world.ticket_a, author=world.agent, body="Клиент нервный", kind="note")
    reply = article_create(ticket=world.ticket_a, author=world.agent, body="Выезжаем завтра")

    response = api_as(world.agent).get(articles_url(world.ticket_a))

    assert response.status_code == 200
    results = response.json()["results"]
    first = world.ticket_a.articles.order_by("id").first()
    assert [row["id"] for row in results] == [first.pk, note.pk, reply.pk]
    assert results[1] == {
        "id": note.pk,
        "kind": "note",
        "author_kind": "agent",
        "author_name": "Ирина Агентова",
        "author_user_id": world.agent.pk,
        "author_contact_id": None,
        "channel": "agent",
        "body": "Клиент нервный",
        "received_at": results[1]["received_at"],
        "created_at": results[1]["created_at"],
        "attachments": [],
    }


def test_client_never_sees_internal_notes(world, api_as):
    article_create(ticket=world.ticket_a, author=world.agent, body="Клиент нервный", kind="note")
    reply = article_create(ticket=world.ticket_a, author=world.agent, body="Выезжаем завтра")

    results = api_as(world.client_a).get(articles_url(world.ticket_a)).json()["results"]

    assert [row["kind"] for row in results] == ["public", "public"]
    assert results[-1]["id"] == reply.pk
    assert "Клиент нервный" not in str(results)


def test_client_replies_over_the_api_and_reopens_a_pending_ticket(world, api_as):
    ticket_set_status(ticket=world.ticket_a, actor=world.agent, status=status("waiting_client"))

    response = api_as(world.client_a).post(articles_url(world.ticket_a), {"body": "Заработало, спасибо"}, format="json")

    assert response.status_code == 201, response.json()
    article = Article.objects.get(pk=response.json()["id"])
    assert (article.kind, article.author_kind, article.author_contact, article.channel) == (
        "public",
        "contact",
        world.contact_a,
        "api",
    )
    assert response.json()["author_name"] == "Анна Петрова"
    assert Ticket.objects.get(pk=world.ticket_a.pk).status.code == "open"


def test_client_cannot_write_an_internal_note(world, api_as):
    response = api_as(world.client_a).post(
        articles_url(world.ticket_a), {"body": "секрет", "kind": "note"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"kind": ["Clients cannot write internal notes."]}
    assert not Article.objects.filter(body="секрет").exists()


def test_agent_writes_an_internal_note(world, api_as):
    response = api_as(world.agent).post(
        articles_url(world.ticket_a), {"body": "Позвонить в пятницу", "kind": "note"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert Ticket.objects.get(pk=world.ticket_a.pk).first_response_at is None


def test_empty_message_names_the_body(world, api_as):
    response = api_as(world.agent).post(articles_url(world.ticket_a), {"body": "   "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"body": ["Write a message or attach a file."]}


def test_unknown_kind_names_the_field(world, api_as):
    response = api_as(world.agent).post(articles_url(world.ticket_a), {"body": "x", "kind": "secret"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["kind"]


def test_reply_with_attachments_and_their_download(world, api_as):
    client = api_as(world.client_a)
    files = [
        SimpleUploadedFile("акт.pdf", b"%PDF-1.4 act", content_type="application/pdf"),
        SimpleUploadedFile("photo.png", b"\x89PNG fake", content_type="image/png"),
    ]

    response = client.post(
        articles_url(world.ticket_a), {"body": "Акт и фото", "attachments": files}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    attachments = response.json()["attachments"]
    assert [(a["filename"], a["content_type"], a["size"]) for a in attachments] == [
        ("акт.pdf", "application/pdf", 12),
        ("photo.png", "image/png", 9),
    ]
    stored = world.ticket_a.attachments.order_by("id").first()
    assert attachments[0]["url"] == f"http://testserver/api/v1/tickets/{world.ticket_a.number}/attachments/{stored.pk}/"
    download = client.get(attachments[0]["url"], HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 act"
    assert download["Content-Type"] == "application/pdf"
    assert "attachment;" in download["Content-Disposition"]
    download.close()


def test_attachment_of_an_internal_note_is_hidden_from_clients(world, api_as):
    note = article_create(
        ticket=world.ticket_a,
        author=world.agent,
        body="Фото счёта",
        kind="note",
        attachments=[_upload("invoice.txt", b"internal")],
    )
    url = f"/api/v1/tickets/{world.ticket_a.number}/attachments/{note.attachments.get().pk}/"

    assert api_as(world.client_a).get(url).status_code == 404
    download = api_as(world.agent).get(url)
    assert b"".join(download.streaming_content) == b"internal"
    download.close()


def test_another_companys_conversation_and_files_are_404(world, api_as):
    article = article_create(
        ticket=world.ticket_a, author=world.agent, body="Смета", attachments=[_upload("estimate.txt", b"100")]
    )
    client_b = api_as(world.client_b)
    attachment_url = f"/api/v1/tickets/{world.ticket_a.number}/attachments/{article.attachments.get().pk}/"
    # The same attachment id under B's own ticket does not leak it either.
    via_own_ticket = f"/api/v1/tickets/{world.ticket_b.number}/attachments/{article.attachments.get().pk}/"

    assert client_b.get(articles_url(world.ticket_a)).status_code == 404
    assert client_b.post(articles_url(world.ticket_a), {"body": "влезаю"}, format="json").status_code == 404
    assert client_b.get(attachment_url).status_code == 404
    assert client_b.get(via_own_ticket).status_code == 404
    assert not Article.objects.filter(body="влезаю").exists()


def test_article_pages_walk_the_conversation(world, api_as):
    ticket = make_ticket(title="Длинная переписка", contact=world.contact_a)
    for i in range(4):
        article_create(ticket=ticket, author=world.agent, body=f"Ответ {i}")
    client = api_as(world.client_a)

    bodies, url = [], f"{articles_url(ticket)}?page_size=2"
    while url:
        page = client.get(url).json()
        bodies += [row["body"] for row in page["results"]]
        url = page["next"]

    assert bodies == ["В переговорной жарко, кондиционер не включается.", "Ответ 0", "Ответ 1", "Ответ 2", "Ответ 3"]


def _upload(name, content):
    return UploadedFileData(name=name, content_type="text/plain", file=ContentFile(content, name=name))


def test_too_large_attachment_names_the_field(world, api_as, settings):
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.bin", b"x" * 11, content_type="application/octet-stream")

    response = api_as(world.agent).post(
        articles_url(world.ticket_a), {"body": "Файл", "attachments": [big]}, format="multipart"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["attachments"]
    assert not Article.objects.filter(body="Файл").exists()
