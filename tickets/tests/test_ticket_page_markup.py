"""The ticket page's parts written in Python (tickets/templatetags/ticket_page.py) give byte for
byte what the template loops they replace gave — the references below are those loops — with
markup in every text, in both languages and in a time zone other than UTC."""

import re
from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from accounts.choices import Role
from channels.email.display import articles_prepare_for_display
from notifications.models import OutboxMessage
from tests.factories import ContactFactory, EquipmentFactory, SiteFactory, UserFactory, make_ticket, upload
from tickets.choices import ArticleKind
from tickets.models import Ticket, TicketEvent
from tickets.reference import reference
from tickets.selectors import article_thread_for_user, event_list_for_ticket, ticket_get_for_page, ticket_page_relations
from tickets.services import ArticleEmail, article_create, ticket_assign, ticket_set_observers, ticket_set_tags
from tickets.views.ticket import _properties_form

MARKUP = "<b>\"Ж\"</b> & 'q'"

HISTORY_BEFORE = """{% load i18n tickets_extras %}
<ul class="history">
{% for e in events %}
  <li><time datetime="{{ e.created_at|date:'c' }}">{{ e.created_at|date:"d.m.Y H:i" }}</time>
    <strong>{% if e.actor %}{{ e.actor.full_name }}{% elif e.actor_contact %}{{ e.actor_contact.full_name }}{% else %}{% translate "System" %}{% endif %}</strong>:
    {% event_text e %}</li>
{% empty %}<li class="muted">{% translate "No changes yet." %}</li>
{% endfor %}
</ul>
"""  # noqa: E501

FIELDS_BEFORE = """{% load fast_forms %}{% for field in properties_form %}
    <div class="field"><label for="{{ field.id_for_label }}">{{ field.label|capfirst }}</label>{% if field.name == "assignee" or field.name == "observers" %}{% fast_select field objects=staff %}{% elif field.field.widget.input_type == "select" %}{% fast_select field %}{% else %}{{ field }}{% endif %}{% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}</div>
  {% endfor %}"""  # noqa: E501


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def ticket(team, agent, engineer, company):
    """A ticket whose history has a system entry, a contact's, staff's, and markup everywhere."""
    contact = ContactFactory(company=company, full_name=MARKUP)
    site = SiteFactory(company=company)
    ticket = make_ticket(team=team, contact=contact, company=company, site=site, equipment=EquipmentFactory(site=site))
    article_create(ticket=ticket, author=None, author_contact=contact, body="again")
    ticket_assign(ticket=ticket, actor=agent, assignee=engineer, team=team)
    ticket_set_tags(ticket=ticket, actor=agent, tags=[MARKUP, "vip"])
    ticket_set_observers(ticket=ticket, actor=agent, observers=[engineer])
    ticket_set_tags(ticket=ticket, actor=None, tags=[MARKUP])  # by the system
    TicketEvent.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(days=3))
    type(agent).objects.filter(pk=agent.pk).update(full_name=MARKUP)
    return ticket


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_history_is_the_templates(ticket, agent, language):
    # given
    events = list(event_list_for_ticket(user=agent, ticket=ticket))
    assert {e.actor_id is None and e.actor_contact_id is None for e in events} == {True, False}
    # when / then
    with translation.override(language), timezone.override("Asia/Vladivostok"):
        expected = _render(HISTORY_BEFORE, events=events)
        assert (
            _render('{% load ticket_page %}\n<ul class="history">\n{% history_items events %}\n</ul>\n', events=events)
            == expected
        )
        assert _render(HISTORY_BEFORE, events=[]) == _render(
            '{% load ticket_page %}\n<ul class="history">\n{% history_items events %}\n</ul>\n', events=[]
        )


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("role", [Role.AGENT, Role.CONTRACTOR])
def test_the_properties_fields_are_the_templates(ticket, team, language, role):
    # given: the form as the page builds it for staff, and for a contractor (no unit field)
    viewer = UserFactory(role=role)
    team.members.add(viewer)
    Ticket.objects.filter(pk=ticket.pk).update(delayed_until=timezone.now() + timedelta(days=1))
    if role == Role.CONTRACTOR:
        Ticket.objects.filter(pk=ticket.pk).update(assignee=viewer)
    page_ticket = ticket_get_for_page(user=viewer, number=ticket.number)
    with translation.override(language), timezone.override("Asia/Vladivostok"):
        form = _properties_form(page_ticket, ticket_page_relations(page_ticket), contractor=role == Role.CONTRACTOR)
        context = {"properties_form": form, "staff": reference().staff}
        # when / then
        assert _render("{% load ticket_page %}{% properties_fields properties_form staff %}", **context) == _render(
            FIELDS_BEFORE, **context
        )


# The conversation loop the tag replaced; the parts most articles lack were, and still are, these
# two templates.
CONVERSATION_BEFORE = """{% load i18n %}
{% for a in articles %}
<article class="article {% if a.kind == 'note' %}note{% elif a.author_kind == 'contact' %}from-client{% else %}from-agent{% endif %}{% if a.from_stranger %} from-stranger{% endif %}" id="article-{{ a.pk }}">
  <div class="article-head">
    <span><strong>{{ a.author_name }}</strong>
      {% if a.kind == 'note' %}<span class="badge" style="background:#b45309">{% translate "Internal note" %}</span>{% elif a.author_kind == 'contact' %}<span class="muted">{% translate "client" %}</span>{% endif %}
      {% if a.from_stranger %}<span class="badge badge-stranger" title="{% translate 'Neither the contact of this ticket, nor a colleague of theirs, nor anyone in this thread wrote it. The client was not notified.' %}">{% translate "Unknown sender" %}</span>{% endif %}
      <span class="muted">· {{ a.get_channel_display }}</span></span>
    <time datetime="{{ a.created_at|date:'c' }}">{{ a.created_at|date:"d.m.Y H:i" }}</time>
  </div>
  {% include "tickets/_article_top.html" %}
  {% if a.display_html %}<div class="article-body email-html">{{ a.display_html|safe }}</div>{% else %}<div class="article-body">{{ a.body }}</div>{% endif %}
  {% include "tickets/_article_bottom.html" %}
</article>
{% endfor %}
"""  # noqa: E501


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_conversation_is_the_templates(rf, agent, team, contact, language):
    # given: every kind of article — the description, a note, a reply with deliveries of every
    # status and route, an email from a stranger with headers, remote images, quoted HTML and files,
    # a message with plain quoted text, markup everywhere
    ticket = make_ticket(team=team, contact=contact, company=contact.company, description=MARKUP)
    article_create(ticket=ticket, author=agent, body=MARKUP, kind=ArticleKind.NOTE)
    reply = article_create(ticket=ticket, author=agent, body="on it")
    OutboxMessage.objects.filter(article=reply).delete()
    for key, fields in {
        "sent": {"status": "sent", "sent_at": timezone.now()},
        "once": {"status": "queued", "attempts": 1, "channel": "whatsapp", "route": "template", "subject": MARKUP},
        "twice": {"status": "queued", "attempts": 2, "route": "email"},
        "failed": {"status": "failed", "last_error": MARKUP, "route": "window_closed"},
        "read": {"status": "read", "channel": "whatsapp"},
    }.items():
        OutboxMessage.objects.create(
            **{"channel": "email", **fields},
            kind="reply",
            dedup_key=key,
            ticket=ticket,
            article=reply,
            recipient=MARKUP,
        )
    meta = {
        "from": {"name": MARKUP, "address": "a@x.ru"},
        "to": [{"name": "", "address": "b@x.ru"}, {"name": MARKUP, "address": "c@x.ru"}],
        "cc": [{"name": "Boss", "address": "d@x.ru"}],
        "subject": MARKUP,
    }
    email = ArticleEmail(
        body_html='<p>Hi <img src="https://example.com/a.png"><img src="cid:logo@x"></p>',
        quoted="<blockquote>old</blockquote>",
        quoted_is_html=True,
        has_remote_images=True,
        from_stranger=True,
        meta=meta,
    )
    files = [upload(), upload("act <1>.pdf", b"%PDF", "application/pdf")]
    shown = article_create(
        ticket=ticket, author=None, author_contact=contact, body="Hi", channel="email", email=email, attachments=files
    )
    article_create(
        ticket=ticket, author=None, author_contact=contact, body="x", channel="telegram",
        email=ArticleEmail(quoted=MARKUP),
    )  # fmt: skip
    request = rf.get("/")
    request.user = agent
    with translation.override(language), timezone.override("Asia/Vladivostok"):
        for show_images_of in (set(), {shown.pk}):
            articles = article_thread_for_user(user=agent, ticket=ticket)
            articles_prepare_for_display(articles, show_images_of=show_images_of)
            # when
            after = (
                engines["django"]
                .from_string("{% load ticket_page %}\n{% conversation_articles articles %}\n")
                .render({"articles": articles}, request)
            )
            before = engines["django"].from_string(CONVERSATION_BEFORE).render({"articles": articles}, request)
            # then
            assert _without_csrf_tokens(after) == _without_csrf_tokens(before)
            assert after.count("<article") == 5
            for part in ("note", "from-stranger", "email-meta", "delivery-failed", "delivery-route", "email-quoted"):
                assert part in after
            assert ("email-images-blocked" in after) is not bool(show_images_of)
            assert after.count('class="attachment"') == 2


def _without_csrf_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("data", [None, {"hours": "-1", "quantity": "", "name": MARKUP}])
def test_the_field_blocks_are_the_include_loop(db, language, data):
    # given: the work form as the page shows it, and one posted with errors
    from contracts.forms import TicketWorkForm
    from contracts.models import PriceList, PriceListItem

    price_list = PriceList.objects.create(name="Базовый")
    PriceListItem.objects.create(price_list=price_list, name=MARKUP, price=10)
    with translation.override(language):
        form = TicketWorkForm(data, price_list=price_list.pk)
        # when / then
        assert _render("{% load ticket_page %}{% field_blocks form %}", form=form) == _render(
            '{% for field in form %}{% include "includes_field.html" %}{% endfor %}', form=form
        )
        assert ("has-error" in _render("{% load ticket_page %}{% field_blocks form %}", form=form)) is bool(data)
