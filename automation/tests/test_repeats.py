"""Repeated complaints (automation/repeats): realistic Russian texts, the window, the site,
linking, priority, the potential incident and the supervisor's one click."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from automation.choices import IncidentState
from automation.models import PotentialIncident
from automation.repeats.services import incident_dismiss, incident_make_parent
from automation.repeats.text import complaint_of, similar, topic_similarity
from channels.models import Mailbox
from notifications.models import OutboxKind, OutboxMessage
from tests.factories import ContactFactory, EquipmentFactory, SiteFactory, make_ticket, priority
from tickets.models import Ticket, TicketLink

LIGHT_3RD_FLOOR = [
    ("Мигает свет на 3 этаже", "Добрый день! Мигает свет на 3 этаже, работать невозможно."),
    ("На третьем этаже моргает освещение", "В open space на третьем этаже моргает освещение с утра."),
    ("свет мерцает в коридоре 3 этаж", "Свет мерцает в коридоре, 3 этаж, у лифтов."),
]


@pytest.fixture
def site(db):
    return SiteFactory(name="БЦ Октябрь")


def _complain(site, title, description, **kwargs):
    contact = kwargs.pop("contact", None) or ContactFactory(company=site.company)
    ticket = make_ticket(site=site, contact=contact, title=title, description=description, **kwargs)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Мигает свет на 3 этаже", "На третьем этаже моргает освещение", True),
        ("Мигает свет на 3 этаже", "свет мерцает в коридоре 3 этаж", True),
        ("Мигают лампы в коридоре третьего этажа", "мерцает свет 3-й этаж", True),
        ("Течёт батарея в кабинете 204", "Протекает радиатор, каб. 204", True),
        ("Мигает свет на 3 этаже", "Мигает свет на 5 этаже", False),  # another floor
        ("Течёт батарея в кабинете 204", "Течёт батарея в кабинете 310", False),  # another room
        ("Мигает свет на 3 этаже", "Не работает кондиционер на 3 этаже", False),  # another fault
        ("Застрял лифт", "Мигает свет в холле", False),
    ],
)
def test_similarity_of_realistic_russian_complaints(a, b, expected):
    assert similar(complaint_of(a), complaint_of(b), threshold=0.5) is expected


def test_complaint_takes_out_floor_and_room_and_folds_synonyms():
    complaint = complaint_of("Здравствуйте! На ТРЕТЬЕМ этаже в кабинете № 305 моргает освещение, просьба починить")
    assert complaint.floors == frozenset({"3"})
    assert complaint.rooms == frozenset({"305"})
    assert complaint.topic == frozenset({"flicker", "light"})
    assert topic_similarity(complaint_of("ёлка мигает"), complaint_of("елка моргает")) == 1.0


def test_three_similar_complaints_make_one_potential_incident(site):
    # given two complaints from the 3rd floor
    first = _complain(site, *LIGHT_3RD_FLOOR[0])
    second = _complain(site, *LIGHT_3RD_FLOOR[1])
    assert not PotentialIncident.objects.exists()
    # when the third arrives
    third = _complain(site, *LIGHT_3RD_FLOOR[2])
    # then: one incident with all three, linked to the first, each raised normal → high
    incident = PotentialIncident.objects.get()
    assert incident.state == IncidentState.OPEN
    assert incident.site == site
    assert incident.summary == "Мигает свет на 3 этаже"
    assert sorted(incident.tickets.values_list("pk", flat=True)) == [first.pk, second.pk, third.pk]
    assert sorted(TicketLink.objects.values_list("source_id", "target_id")) == [
        (second.pk, first.pk),
        (third.pk, first.pk),
    ]
    assert list(Ticket.objects.order_by("pk").values_list("priority__code", flat=True)) == ["high", "high", "high"]


def test_a_fourth_similar_complaint_joins_the_same_incident(site):
    # given
    tickets = [_complain(site, *text) for text in LIGHT_3RD_FLOOR]
    # when
    fourth = _complain(site, "Опять мигают лампы на 3 этаже", "Третий этаж, лампы мигают")
    # then
    incident = PotentialIncident.objects.get()
    assert incident.tickets.count() == 4
    assert TicketLink.objects.filter(source=fourth, target=tickets[0]).exists()
    fourth.refresh_from_db()
    assert fourth.priority.code == "high"


def test_negatives_other_site_outside_the_window_unrelated_text(site):
    # given: one complaint two days ago (outside the 24 h window), one at another site, one unrelated
    old = _complain(site, *LIGHT_3RD_FLOOR[0])
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    other_site = SiteFactory(company=site.company, name="Склад")
    _complain(other_site, *LIGHT_3RD_FLOOR[1])
    _complain(site, "Не работает кондиционер на 3 этаже", "Жарко, кондиционер не включается")
    _complain(site, "Мигает свет на 5 этаже", "На пятом этаже мигает свет")
    # when
    _complain(site, *LIGHT_3RD_FLOOR[2])
    _complain(site, *LIGHT_3RD_FLOOR[1])
    # then: only two similar in the window at this site and floor
    assert not PotentialIncident.objects.exists()
    assert not TicketLink.objects.exists()
    assert set(Ticket.objects.values_list("priority__code", flat=True)) == {"normal"}


def test_the_same_equipment_is_similar_whatever_the_words(site):
    # given
    unit = EquipmentFactory(company=site.company, site=site)
    _complain(site, "Не холодит", "Витрина тёплая", equipment=unit)
    _complain(site, "Гудит компрессор", "Шумит сильно", equipment=unit)
    # when
    _complain(site, "Капает вода из-под витрины", "Лужа на полу", equipment=unit)
    # then
    assert PotentialIncident.objects.get().tickets.count() == 3


def test_priority_rises_one_step_and_stops_at_the_top(site):
    # given
    _complain(site, *LIGHT_3RD_FLOOR[0], priority=priority("critical"))
    _complain(site, *LIGHT_3RD_FLOOR[1], priority=priority("low"))
    # when
    _complain(site, *LIGHT_3RD_FLOOR[2], priority=priority("high"))
    # then
    assert list(Ticket.objects.order_by("pk").values_list("priority__code", flat=True)) == [
        "critical",
        "normal",
        "critical",
    ]


def test_make_parent_incident_links_children_and_tells_each_client_once(site, supervisor):
    # given three complaints from three clients (one English-speaking), a potential incident
    contacts = [
        ContactFactory(company=site.company, full_name="Иван Петров"),
        ContactFactory(company=site.company, full_name="Мария Сидорова"),
        ContactFactory(company=site.company, full_name="John Smith", language="en"),
    ]
    children = [
        _complain(site, *text, contact=contact) for text, contact in zip(LIGHT_3RD_FLOOR, contacts, strict=True)
    ]
    Mailbox.objects.create(name="Сервис", address="service@otklik.test")
    incident = PotentialIncident.objects.get()
    # when
    parent = incident_make_parent(incident=incident, actor=supervisor)
    # then
    incident.refresh_from_db()
    assert incident.state == IncidentState.CONFIRMED
    assert incident.parent == parent
    assert parent.title == "Incident: Мигает свет на 3 этаже"
    assert parent.site == site
    assert parent.priority.code == "high"
    assert sorted(parent.children.values_list("pk", flat=True)) == [c.pk for c in children]
    assert not PotentialIncident.objects.filter(tickets=parent).exists()  # the parent is no complaint
    for child in children:
        assert child.articles.filter(kind="public", author_user=supervisor).count() == 1
    assert children[0].articles.filter(author_user=supervisor).get().body.startswith("Мы знаем об этой проблеме")
    assert children[2].articles.filter(author_user=supervisor).get().body.startswith("We know about this problem")
    # one reply each, queued on the client's channel by the normal delivery path
    replies = OutboxMessage.objects.filter(kind=OutboxKind.REPLY).order_by("ticket_id")
    assert [(r.ticket_id, r.recipient) for r in replies] == [
        (child.pk, contact.primary_email) for child, contact in zip(children, contacts, strict=True)
    ]
    # and the click cannot be repeated
    with pytest.raises(ValidationError):
        incident_make_parent(incident=incident, actor=supervisor)


def test_a_complaint_after_the_parent_incident_becomes_its_child_and_is_told_the_same(site, supervisor):
    # given
    for text in LIGHT_3RD_FLOOR:
        _complain(site, *text)
    incident = PotentialIncident.objects.get()
    parent = incident_make_parent(incident=incident, actor=supervisor, notice="Меняем драйвер светильников, до 18:00.")
    # when
    late = _complain(site, "И у нас мигает свет, 3 этаж", "")
    # then
    late.refresh_from_db()
    assert late.parent == parent
    assert PotentialIncident.objects.count() == 1
    assert late.articles.filter(author_user=supervisor).get().body == "Меняем драйвер светильников, до 18:00."


def test_a_dismissed_incident_takes_later_complaints_quietly(site, supervisor):
    # given
    for text in LIGHT_3RD_FLOOR:
        _complain(site, *text)
    incident = PotentialIncident.objects.get()
    incident_dismiss(incident=incident, actor=supervisor)
    # when
    late = _complain(site, "Мигает свет на 3 этаже", "снова")
    # then
    assert PotentialIncident.objects.count() == 1
    assert incident.tickets.filter(pk=late.pk).exists()
    assert late.priority.code == "normal"


def test_detection_costs_two_queries_when_nothing_is_similar(site, django_assert_num_queries):
    # given
    from automation.repeats.services import ticket_detect_repeats

    _complain(site, "Не работает кондиционер", "Жарко")
    ticket = _complain(site, "Застрял лифт", "Между 2 и 3 этажом")
    # when / then
    with django_assert_num_queries(2):  # the site's lock, the site's recent tickets
        assert ticket_detect_repeats(ticket=ticket) is None
    no_site = make_ticket(title="Мигает свет")
    with django_assert_num_queries(0):
        assert ticket_detect_repeats(ticket=no_site) is None
