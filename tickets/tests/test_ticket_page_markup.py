"""The ticket page's parts written in Python (tickets/templatetags/ticket_page.py) give byte for
byte what the template loops they replace gave — the references below are those loops — with
markup in every text, in both languages and in a time zone other than UTC."""

from datetime import timedelta

import pytest
from django.template import engines
from django.utils import timezone, translation

from accounts.choices import Role
from tests.factories import ContactFactory, EquipmentFactory, SiteFactory, UserFactory, make_ticket
from tickets.models import Ticket, TicketEvent
from tickets.reference import reference
from tickets.selectors import event_list_for_ticket, ticket_get_for_page
from tickets.services import article_create, ticket_assign, ticket_set_observers, ticket_set_tags
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
        form = _properties_form(page_ticket, contractor=role == Role.CONTRACTOR)
        context = {"properties_form": form, "staff": reference().staff}
        # when / then
        assert _render("{% load ticket_page %}{% properties_fields properties_form staff %}", **context) == _render(
            FIELDS_BEFORE, **context
        )
