"""Attachment download: only for people who may see the ticket (and, for clients, the article)."""

from tests.factories import make_ticket, upload
from tickets.choices import ArticleKind
from tickets.models import Attachment
from tickets.services import article_create


def _attach(ticket, author, *, kind=ArticleKind.PUBLIC, name="отчёт.pdf", content=b"%PDF-1.4 report"):
    article = article_create(
        ticket=ticket, author=author, body="Файл", kind=kind, attachments=[upload(name, content, "application/pdf")]
    )
    return Attachment.objects.get(article=article)


def test_a_staff_member_who_sees_the_ticket_downloads_the_file(agent_client, agent, team):
    # given
    attachment = _attach(make_ticket(team=team), agent)
    # when
    response = agent_client.get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 report"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_html_file_is_never_rendered(agent_client, agent, team):
    # given
    ticket = make_ticket(team=team)
    article = article_create(
        ticket=ticket,
        author=agent,
        body="",
        attachments=[upload("page.html", b"<script>alert(1)</script>", "text/html")],
    )
    attachment = Attachment.objects.get(article=article)
    # when
    response = agent_client.get(f"/tickets/attachments/{attachment.pk}/?inline=1")
    # then
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_image_may_be_shown_inline(agent_client, agent, team):
    # given
    ticket = make_ticket(team=team)
    article = article_create(ticket=ticket, author=agent, body="", attachments=[upload("фото.png")])
    attachment = Attachment.objects.get(article=article)
    # when
    response = agent_client.get(f"/tickets/attachments/{attachment.pk}/?inline=1")
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "image/png"


def test_someone_who_cannot_see_the_ticket_gets_404(login, agent, other_engineer, contractor, team):
    # given
    attachment = _attach(make_ticket(team=team), agent)
    # when
    responses = [login(user).get(f"/tickets/attachments/{attachment.pk}/") for user in (other_engineer, contractor)]
    # then
    assert [r.status_code for r in responses] == [404, 404]


def test_an_anonymous_visitor_gets_404(client, agent, team):
    # given
    attachment = _attach(make_ticket(team=team), agent)
    # when
    response = client.get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 404


def test_a_client_downloads_a_public_file_of_their_ticket(login, agent, client_user, contact, team):
    # given
    attachment = _attach(make_ticket(team=team, contact=contact), agent)
    # when
    response = login(client_user).get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 report"


def test_a_client_gets_404_for_a_file_on_an_internal_note(login, agent, client_user, contact, team):
    # given
    attachment = _attach(make_ticket(team=team, contact=contact), agent, kind=ArticleKind.NOTE)
    # when
    response = login(client_user).get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 404


def test_a_client_gets_404_for_another_contacts_file(login, agent, client_user, colleague, team):
    # given
    attachment = _attach(make_ticket(team=team, contact=colleague), agent)
    # when
    response = login(client_user).get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 404


def test_a_missing_file_is_404(agent_client, agent, team):
    # given
    attachment = _attach(make_ticket(team=team), agent)
    attachment.file.storage.delete(attachment.file.name)
    # when
    response = agent_client.get(f"/tickets/attachments/{attachment.pk}/")
    # then
    assert response.status_code == 404
