"""The ticket page: conversation, replies and notes, properties, links, merge, live refresh, presence."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assets.models import Equipment
from tests.factories import EquipmentFactory, SiteFactory, make_ticket, priority, status
from tickets.choices import ArticleKind, EventKind
from tickets.models import Article, Attachment, Ticket, TicketLink, TicketPresence
from tickets.services import (
    article_create,
    presence_touch,
    ticket_assign,
    ticket_link,
    ticket_merge,
    ticket_reopen_delayed,
    ticket_set_observers,
    ticket_set_parent,
    ticket_set_status,
    ticket_set_tags,
    ticket_update,
)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _properties(ticket, **overrides) -> dict:
    """The properties form as the page renders it for `ticket`, with some fields changed."""
    data = {
        "status": ticket.status_id,
        "delayed_until": "",
        "priority": ticket.priority_id,
        "type": ticket.type_id or "",
        "category": ticket.category_id or "",
        "team": ticket.team_id or "",
        "assignee": ticket.assignee_id or "",
        "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
    }
    data.update(overrides)
    return data


def test_the_ticket_page_shows_the_conversation_with_internal_notes(agent_client, agent, team, contact):
    # given
    ticket = make_ticket(team=team, contact=contact, title="Не работает лифт")
    article_create(ticket=ticket, author=agent, body="Позвонить в диспетчерскую лифтов", kind=ArticleKind.NOTE)
    article_create(ticket=ticket, author=agent, body="Мастер выехал")
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Не работает лифт" in html
    assert "Позвонить в диспетчерскую лифтов" in html
    assert "Мастер выехал" in html
    assert [a.body for a in response.context["articles"]] == [
        "В переговорной жарко, кондиционер не включается.",
        "Позвонить в диспетчерскую лифтов",
        "Мастер выехал",
    ]
    assert response.context["event_cursor"] == ticket.events.order_by("-id").first().pk


def test_a_public_reply_through_the_page(agent_client, agent, team, contact):
    # given
    ticket = make_ticket(team=team, contact=contact)
    # when
    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Мастер будет в 15:00"})
    # then
    article = ticket.articles.order_by("-id").first()
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (article.kind, article.body, article.author_user) == (ArticleKind.PUBLIC, "Мастер будет в 15:00", agent)
    assert ticket.first_response_at == article.created_at


def test_a_reply_no_channel_can_deliver_says_so_instead_of_sent(agent_client, team):
    # given a ticket whose caller left no address (a missed call from an unknown number)
    ticket = make_ticket(team=team, contact=None, channel="phone")

    # when the agent replies
    response = agent_client.post(
        f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Перезвоним"}, follow=True
    )

    # then the reply is kept, and the agent is told it went nowhere
    assert ticket.articles.order_by("-id").first().body == "Перезвоним"
    [message] = _messages(response)
    assert message.startswith("The reply is saved, but no message went out")


def test_a_reply_to_a_client_with_an_address_is_sent(agent_client, team, contact, settings):
    from channels.models import Mailbox

    Mailbox.objects.create(name="Поддержка", address="support@romashka-service.test", language="ru")
    contact.emails.create(email="client@romashka.test", is_primary=True)
    ticket = make_ticket(team=team, contact=contact, channel="portal")

    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": "Едем"}, follow=True)

    assert _messages(response) == ["Reply sent."]


def test_a_note_through_the_page(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.post(
        f"/tickets/{ticket.number}/reply/", {"kind": "note", "body": "Клиент грубит"}, follow=True
    )
    # then
    article = ticket.articles.order_by("-id").first()
    ticket.refresh_from_db()
    assert (article.kind, article.body) == (ArticleKind.NOTE, "Клиент грубит")
    assert ticket.first_response_at is None
    assert _messages(response) == ["Internal note added."]


def test_a_reply_with_files_and_a_status(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    photo = SimpleUploadedFile("щиток.jpg", b"\xff\xd8\xff jpeg", content_type="image/jpeg")
    act = SimpleUploadedFile("act.pdf", b"%PDF-1.4", content_type="application/pdf")
    # when
    agent_client.post(
        f"/tickets/{ticket.number}/reply/",
        {"kind": "public", "body": "Фото и акт", "attachments": [photo, act], "status": status("resolved").pk},
    )
    # then
    ticket.refresh_from_db()
    article = ticket.articles.order_by("-id").first()
    assert sorted(Attachment.objects.filter(article=article).values_list("filename", "size")) == [
        ("act.pdf", 8),
        ("щиток.jpg", 8),
    ]
    assert ticket.status == status("resolved")


def test_a_file_over_the_limit_is_refused_with_a_message(settings, agent_client, team):
    # given
    settings.OTKLIK_ATTACHMENT_MAX_BYTES = 4
    ticket = make_ticket(team=team)
    # when
    response = agent_client.post(
        f"/tickets/{ticket.number}/reply/",
        {"kind": "public", "body": "Фото", "attachments": [SimpleUploadedFile("big.jpg", b"12345")]},
        follow=True,
    )
    # then
    assert ticket.articles.count() == 1
    assert Attachment.objects.count() == 0
    assert len(_messages(response)) == 1
    assert "big.jpg" in _messages(response)[0]


def test_an_empty_reply_is_refused_with_a_message(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"kind": "public", "body": " "}, follow=True)
    # then
    assert ticket.articles.count() == 1
    assert _messages(response) == ["Write a message or attach a file."]


def test_the_reply_endpoint_is_post_only(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/reply/")
    # then
    assert response.status_code == 405


# properties


def test_updating_the_properties(agent_client, engineer, team):
    # given
    ticket = make_ticket(team=team)
    ticket_set_status(ticket=ticket, actor=None, status=status("open"))
    ticket.refresh_from_db()
    # when
    response = agent_client.post(
        f"/tickets/{ticket.number}/update/",
        _properties(ticket, priority=priority("high").pk, assignee=engineer.pk, tags="лифт, срочно"),
    )
    # then
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.priority == priority("high")
    assert ticket.assignee == engineer
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["лифт", "срочно"]
    assert ticket.status == status("open")


def test_saving_the_properties_keeps_a_retired_unit(agent_client, company):
    # given: the ticket's unit was retired after the ticket came in
    site = SiteFactory(company=company)
    unit = EquipmentFactory(site=site, company=company)
    ticket = make_ticket(company=company, site=site, equipment=unit)
    Equipment.objects.filter(pk=unit.pk).update(is_active=False)
    # when
    page = agent_client.get(f"/tickets/{ticket.number}/")
    response = agent_client.post(
        f"/tickets/{ticket.number}/update/", _properties(ticket, equipment=unit.pk, priority=priority("high").pk)
    )
    # then
    ticket.refresh_from_db()
    assert unit in page.context["properties_form"].fields["equipment"].queryset
    assert response.status_code == 302
    assert (ticket.equipment, ticket.priority) == (unit, priority("high"))


def test_saving_the_properties_keeps_a_unit_of_another_site(agent_client, company, monkeypatch):
    # given: a company with more units than the list shows, so only the ticket's site's are offered
    monkeypatch.setattr("tickets.forms.EQUIPMENT_CHOICES_MAX", 1)
    site, other_site = SiteFactory(company=company), SiteFactory(company=company)
    here = EquipmentFactory(site=site, company=company)
    elsewhere = EquipmentFactory(site=site, company=company)
    ticket = make_ticket(company=company, site=site, equipment=elsewhere)
    Equipment.objects.filter(pk=elsewhere.pk).update(site=other_site)  # the unit moved since
    # when
    form = agent_client.get(f"/tickets/{ticket.number}/").context["properties_form"]
    agent_client.post(f"/tickets/{ticket.number}/update/", _properties(ticket, equipment=elsewhere.pk))
    # then
    ticket.refresh_from_db()
    assert sorted(form.fields["equipment"].queryset.values_list("pk", flat=True)) == sorted([here.pk, elsewhere.pk])
    assert ticket.equipment == elsewhere


def test_assigning_a_new_ticket_on_the_page_opens_it(agent_client, engineer, team):
    # given: the form shows the ticket as "new"; the agent only picks an assignee
    ticket = make_ticket(team=team)
    # when
    agent_client.post(f"/tickets/{ticket.number}/update/", _properties(ticket, assignee=engineer.pk))
    # then
    ticket.refresh_from_db()
    assert ticket.assignee == engineer
    assert ticket.status == status("open")
    assert list(ticket.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
    ]


def test_adding_an_observer_on_the_page(agent_client, engineer, team):
    # given
    ticket = make_ticket(team=team)
    # when
    agent_client.post(f"/tickets/{ticket.number}/update/", _properties(ticket, observers=[engineer.pk]))
    # then
    assert list(ticket.observers.all()) == [engineer]
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.OBSERVERS_CHANGED]
    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'<option value="{engineer.pk}" selected>' in page


def test_saving_unchanged_properties_records_nothing(agent_client, team):
    # given
    ticket = make_ticket(team=team, tags=["лифт"])
    # when
    agent_client.post(f"/tickets/{ticket.number}/update/", _properties(ticket))
    # then
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_delaying_a_ticket_on_the_page(agent_client, agent, team):
    # given
    agent.time_zone = "Asia/Yekaterinburg"
    agent.save()
    ticket = make_ticket(team=team)
    # when
    agent_client.post(
        f"/tickets/{ticket.number}/update/",
        _properties(ticket, status=status("delayed").pk, delayed_until="2099-01-02T10:30"),
    )
    # then: 10:30 in Yekaterinburg (UTC+5) is 05:30 UTC
    ticket.refresh_from_db()
    assert ticket.status == status("delayed")
    assert ticket.delayed_until.isoformat() == "2099-01-02T05:30:00+00:00"


def test_a_delay_in_the_past_is_refused_with_a_message(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.post(
        f"/tickets/{ticket.number}/update/",
        _properties(ticket, status=status("delayed").pk, delayed_until="2001-01-01T10:00"),
        follow=True,
    )
    # then
    ticket.refresh_from_db()
    assert ticket.status == status("new")
    assert _messages(response) == ["Choose a date and time in the future."]


def test_moving_a_ticket_to_no_team(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    agent_client.post(f"/tickets/{ticket.number}/update/", _properties(ticket, team=""))
    # then
    ticket.refresh_from_db()
    assert ticket.team is None


# links and merge


def test_linking_and_unlinking_through_the_page(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    other = make_ticket(team=team)
    # when
    agent_client.post(f"/tickets/{ticket.number}/links/", {"action": "related", "number": other.number})
    linked = TicketLink.objects.count()
    page = agent_client.get(f"/tickets/{other.number}/")
    agent_client.post(f"/tickets/{other.number}/links/", {"action": "unlink", "number": ticket.number})
    # then
    assert linked == 1
    assert [t.number for t in page.context["related"]] == [ticket.number]
    assert TicketLink.objects.count() == 0


def test_parent_and_child_through_the_page(agent_client, team):
    # given
    parent = make_ticket(team=team)
    child = make_ticket(team=team)
    # when
    agent_client.post(f"/tickets/{parent.number}/links/", {"action": "child", "number": child.number})
    page = agent_client.get(f"/tickets/{parent.number}/")
    cycle = agent_client.post(
        f"/tickets/{parent.number}/links/", {"action": "parent", "number": child.number}, follow=True
    )
    agent_client.post(f"/tickets/{child.number}/links/", {"action": "detach"})
    # then
    child.refresh_from_db()
    assert [t.number for t in page.context["children"]] == [child.number]
    assert _messages(cycle) == ["This would make a ticket its own ancestor."]
    assert child.parent is None


def test_linking_to_a_ticket_one_cannot_see_says_not_found(agent_client, team, other_team):
    # given
    ticket = make_ticket(team=team)
    hidden = make_ticket(team=other_team)
    # when
    response = agent_client.post(
        f"/tickets/{ticket.number}/links/", {"action": "related", "number": hidden.number}, follow=True
    )
    # then
    assert TicketLink.objects.count() == 0
    assert _messages(response) == [f"Ticket #{hidden.number} was not found."]


def test_merging_through_the_page(agent_client, team):
    # given
    source = make_ticket(team=team, title="Дубль")
    target = make_ticket(team=team, title="Основная")
    # when
    response = agent_client.post(f"/tickets/{source.number}/merge/", {"number": target.number, "confirm": "1"})
    # then
    source.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{target.number}/"
    assert source.merged_into == target
    assert target.articles.count() == 2


def test_merging_needs_a_confirmation(agent_client, team):
    # given
    source = make_ticket(team=team)
    target = make_ticket(team=team)
    # when
    response = agent_client.post(f"/tickets/{source.number}/merge/", {"number": target.number}, follow=True)
    # then
    source.refresh_from_db()
    assert source.merged_into is None
    assert _messages(response) == ["Enter the target ticket number and confirm."]


def test_merging_into_a_ticket_one_cannot_see_is_refused(agent_client, team, other_team):
    # given
    source = make_ticket(team=team)
    hidden = make_ticket(team=other_team)
    # when
    response = agent_client.post(
        f"/tickets/{source.number}/merge/", {"number": hidden.number, "confirm": "1"}, follow=True
    )
    # then
    source.refresh_from_db()
    assert source.merged_into is None
    assert hidden.articles.count() == 1
    assert _messages(response) == [f"Ticket #{hidden.number} was not found."]


# live refresh and presence


def test_live_with_the_current_cursor_returns_presence_only(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    cursor = ticket.events.order_by("-id").first().pk
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/live/?since={cursor}")
    # then
    assert response.status_code == 200
    assert "hx-swap-oob" not in response.content.decode()
    assert response.content.decode().strip() == ""


def test_live_after_a_change_swaps_the_changed_regions(agent_client, other_agent, team):
    # given
    ticket = make_ticket(team=team)
    cursor = ticket.events.order_by("-id").first().pk
    article_create(ticket=ticket, author=other_agent, body="Новый ответ коллеги")
    # when
    since_zero = agent_client.get(f"/tickets/{ticket.number}/live/?since=0")
    since_cursor = agent_client.get(f"/tickets/{ticket.number}/live/?since={cursor}")
    # then
    for response in (since_zero, since_cursor):
        html = response.content.decode()
        assert 'id="conversation" hx-swap-oob="true"' in html
        assert 'id="history-list" hx-swap-oob="true"' in html
        assert 'id="ticket-side" hx-swap-oob="true"' in html
        assert "Новый ответ коллеги" in html
        assert f'id="event-cursor" value="{ticket.events.order_by("-id").first().pk}"' in html


def test_live_with_a_garbage_cursor_refreshes_everything(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/live/?since=abc")
    # then
    assert response.status_code == 200
    assert 'id="conversation" hx-swap-oob="true"' in response.content.decode()


def test_another_agent_viewing_is_shown(login, agent, other_agent, team):
    # given
    ticket = make_ticket(team=team)
    login(other_agent).get(f"/tickets/{ticket.number}/")
    cursor = ticket.events.order_by("-id").first().pk
    # when
    response = login(agent).get(f"/tickets/{ticket.number}/live/?since={cursor}")
    # then
    assert "Борис Диспетчер is viewing this ticket" in response.content.decode()


def test_another_agent_writing_is_shown(login, agent, other_agent, team):
    # given
    ticket = make_ticket(team=team)
    cursor = ticket.events.order_by("-id").first().pk
    login(other_agent).get(f"/tickets/{ticket.number}/live/?since={cursor}&replying=1")
    # when
    response = login(agent).get(f"/tickets/{ticket.number}/live/?since={cursor}")
    # then
    assert "Борис Диспетчер is writing a reply" in response.content.decode()


def test_the_page_itself_names_the_colleagues_present_in_order(login, agent, other_agent, team):
    # given: two colleagues on the ticket (one writing, one viewing), one who left long ago
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import UserFactory
    from tickets.models import TicketPresence

    ticket = make_ticket(team=team)
    writer = UserFactory(full_name="Алла Инженер", language="en")
    gone = UserFactory(full_name="Вера Ушла", language="en")
    login(other_agent).get(f"/tickets/{ticket.number}/")
    TicketPresence.objects.create(ticket=ticket, user=writer, is_replying=True)
    TicketPresence.objects.create(ticket=ticket, user=gone, seen_at=timezone.now() - timedelta(seconds=13))
    # when
    html = login(agent).get(f"/tickets/{ticket.number}/").content.decode()
    # then: by name, the viewer themself and the colleague gone not named
    writing = html.index("Алла Инженер is writing a reply")
    viewing = html.index("Борис Диспетчер is viewing this ticket")
    assert writing < viewing
    assert "Вера Ушла is" not in html and f"{agent.full_name} is viewing" not in html


def test_presence_expires_after_twelve_seconds(login, agent, other_agent, team):
    # given
    ticket = make_ticket(team=team)
    login(other_agent).get(f"/tickets/{ticket.number}/")
    TicketPresence.objects.filter(user=other_agent).update(seen_at=timezone.now() - timedelta(seconds=13))
    cursor = ticket.events.order_by("-id").first().pk
    # when
    response = login(agent).get(f"/tickets/{ticket.number}/live/?since={cursor}")
    # then
    assert "Борис Диспетчер" not in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.usefixtures("migrated_data_restored_afterwards", "search_index_emptied_afterwards")
def test_presence_is_one_row_per_person_refreshed_in_place_outside_any_transaction(agent, team):
    # given: a presence written in its own transaction (as the page writes it, not inside a test's)
    from django.db import IntegrityError, connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket(team=team)
    with CaptureQueriesContext(connection) as queries:
        presence_touch(ticket=ticket, user=agent, is_replying=True)
    first = TicketPresence.objects.get(ticket=ticket, user=agent)
    # when: touched again
    presence_touch(ticket=ticket, user=agent, is_replying=False)
    # then: the same row, refreshed
    rows = list(TicketPresence.objects.filter(ticket=ticket, user=agent))
    assert [(r.pk, r.is_replying) for r in rows] == [(first.pk, False)]
    assert rows[0].seen_at >= first.seen_at
    if connection.vendor == "postgresql":
        # one round trip: the setting made by the upsert itself, for its own implicit transaction
        assert len(queries) == 1
        assert "set_config('synchronous_commit', 'off', true)" in queries[0]["sql"]
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # for that transaction only
    # and for a ticket gone meanwhile the upsert fails whole, leaving no transaction open
    gone = Ticket(pk=ticket.pk + 10_000)
    with pytest.raises(IntegrityError):
        presence_touch(ticket=gone, user=agent, is_replying=False)
    assert not connection.in_atomic_block
    assert TicketPresence.objects.filter(ticket_id=gone.pk).count() == 0


def test_one_does_not_see_oneself_as_present(agent_client, team):
    # given
    ticket = make_ticket(team=team)
    agent_client.get(f"/tickets/{ticket.number}/")
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    assert response.context["present"] == []


@pytest.mark.parametrize("kind", ["public", "note"])
def test_replying_clears_the_writing_flag(login, agent, team, kind):
    # given
    ticket = make_ticket(team=team)
    browser = login(agent)
    browser.get(f"/tickets/{ticket.number}/live/?since=0&replying=1")
    # when
    browser.post(f"/tickets/{ticket.number}/reply/", {"kind": kind, "body": "Готово"})
    # then
    assert TicketPresence.objects.get(user=agent).is_replying is False
    assert Article.objects.filter(ticket=ticket, body="Готово", kind=kind).count() == 1


def test_the_history_tells_every_kind_of_change(agent_client, agent, engineer, team):
    # given
    ticket = make_ticket(team=team, title="Лифт")
    other = make_ticket(team=team)
    duplicate = make_ticket(team=team)
    until = timezone.now() + timedelta(days=1)
    ticket_update(ticket=ticket, actor=agent, title="Лифт застрял", priority=priority("high"))
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer)
    article_create(ticket=ticket, author=agent, body="Заметка", kind=ArticleKind.NOTE)
    ticket_set_tags(ticket=ticket, actor=agent, tags=["лифт"])
    ticket_set_observers(ticket=ticket, actor=agent, observers=[agent])
    ticket_link(ticket=ticket, actor=agent, other=other)
    ticket_set_parent(ticket=ticket, actor=agent, parent=other)
    ticket_merge(source=duplicate, target=ticket, actor=agent)
    ticket_set_status(ticket=ticket, actor=agent, status=status("delayed"), delayed_until=until)
    ticket_reopen_delayed(now=until + timedelta(minutes=1))
    # when
    response = agent_client.get(f"/tickets/{ticket.number}/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "created the ticket (Phone)",
        "Subject: Лифт → Лифт застрял",
        "Priority: Normal → High",
        "Assignee: — → Иван Инженер",
        "Status: New → In progress",
        "added an internal note",
        "Tags: — → лифт",
        "Observers: Анна Диспетчер",
        f"linked as related to #{other.number}",
        f"Parent ticket: — → #{other.number}",
        f"merged in ticket #{duplicate.number} (1 message)",
        "reopened the ticket: the delay ended",
    ]:
        assert text in html, text
