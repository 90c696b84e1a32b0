"""The queue's rows, written with html.escape, are byte for byte what format_html gives — the
reference below is the rows as the queue first built them — for rows with and without a contact,
site, company, team, assignee, tags and SLA, with markup in every text, in both languages."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.choices import Role
from tests.factories import ContactFactory, SiteFactory, TeamFactory, UserFactory, make_ticket, priority
from tickets.models import Ticket
from tickets.selectors import ticket_rows, with_related
from tickets.services import ticket_assign, ticket_set_tags
from tickets.templatetags.tickets_extras import QUEUE_ROW, queue_rows, sla_badge_html, ticket_url

pytestmark = pytest.mark.django_db

MARKUP = "<script>alert(\"x\")</script> & 'quotes'"


def _reference_rows(tickets, flash_after=None):  # type: ignore[no-untyped-def]
    unassigned = format_html('<span class="muted">{}</span>', translation.gettext("unassigned"))
    now = timezone.now()
    rows = []
    for t in tickets:
        meta = " · ".join(
            part for part in (t.contact.full_name if t.contact else "", t.site.name if t.site else "") if part
        )
        meta = f"{meta} · {t.get_channel_display()}" if meta else str(t.get_channel_display())
        updated = timezone.localtime(t.updated_at)
        rows.append(
            format_html(
                QUEUE_ROW,
                number=t.number,
                pk=t.pk,
                flash="flash" if flash_after and t.updated_at > flash_after else "",
                url=ticket_url(t.number),
                title=t.title,
                meta=meta,
                tags=format_html_join("", ' <span class="tag">{}</span>', ((tag.name,) for tag in t.tags.all())),
                status_colour=t.status.colour,
                status=t.status.name,
                priority_colour=t.priority.colour,
                priority=t.priority.name,
                sla=sla_badge_html(t, now),
                company=t.company.name if t.company else "—",
                team=t.team.name if t.team else "—",
                assignee=t.assignee.full_name if t.assignee else unassigned,
                updated_full=date_format(updated, "DATETIME_FORMAT"),
                updated=updated.strftime("%d.%m %H:%M"),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308


@pytest.mark.parametrize("light", [False, True], ids=["models", "light rows"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_rows_equal_the_format_html_reference(language, light):
    # given: a bare ticket, and one with every part holding markup
    team = TeamFactory(code="markup", name_ru=MARKUP, name_en=MARKUP)
    engineer = UserFactory(role=Role.ENGINEER, full_name=MARKUP)
    team.members.add(engineer)
    site = SiteFactory(name=MARKUP)
    contact = ContactFactory(company=site.company, full_name=MARKUP)
    make_ticket(title="Просто заявка", channel="phone")
    full = make_ticket(
        title=MARKUP, contact=contact, site=site, team=team, priority=priority("critical"), channel="telegram"
    )
    ticket_assign(ticket=full, actor=None, assignee=engineer)
    ticket_set_tags(ticket=full, actor=None, tags=[MARKUP, "лифт"])
    rows = list(with_related(Ticket.objects.all(), tags=True).order_by("id"))
    shown = list(ticket_rows(Ticket.objects.order_by("id"))) if light else rows
    flash_after = timezone.now() - timedelta(days=1)
    with translation.override(language), timezone.override("Europe/Moscow"):
        # when (twice: the second time the times' texts are remembered)
        fast = str(queue_rows(shown, flash_after=flash_after))
        assert str(queue_rows(shown, flash_after=flash_after)) == fast
        reference = str(_reference_rows(rows, flash_after=flash_after))
    # then
    assert fast == reference
    assert "<script>" not in fast and "&lt;script&gt;" in fast


def test_minute_format_is_djangos_to_the_minute_and_formats_seconds_afresh():
    from django.utils import dateformat

    from tickets.templatetags.tickets_extras import minute_format

    base = timezone.localtime(timezone.now()).replace(second=5)
    with timezone.override("Europe/Moscow"):
        for language in ("ru", "en"):
            with translation.override(language):
                for moment in (base, base.replace(second=59), base + timedelta(minutes=1), base - timedelta(days=40)):
                    local = timezone.localtime(moment)
                    for fmt in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
                        from django.utils.formats import get_format

                        assert minute_format(local, get_format(fmt)) == date_format(local, fmt)
                # a format showing seconds is not remembered by the minute
                assert minute_format(base, "H:i:s") == dateformat.format(base, "H:i:s")
                assert minute_format(base.replace(second=59), "H:i:s").endswith(":59")
