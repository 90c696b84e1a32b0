"""The day-one journey: a client reports a problem with a photo in the portal, it appears in the
dispatcher's open queue without a reload, the dispatcher assigns an engineer, adds an internal
note and replies; the client sees the reply and the engineer's name, never the note."""

import base64
import re

import pytest
from django.conf import settings

from accounts.choices import Role
from tests.e2e.pages import log_in
from tests.factories import ClientUserFactory, CompanyFactory, ContactFactory, TeamFactory, UserFactory
from tickets.models import ServiceCategory, Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]

# A 2x2 red PNG: a real image file for the upload.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@pytest.fixture
def world(db):
    dispatch = TeamFactory(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")
    dispatcher = UserFactory(
        email="disp@otklik.test", full_name="Дарья Диспетчер", role=Role.AGENT, password="Disp-pass-123"
    )
    engineer = UserFactory(email="eng@otklik.test", full_name="Игорь Инженеров", role=Role.ENGINEER)
    dispatch.members.add(dispatcher, engineer)
    ServiceCategory.objects.create(
        code="hvac", name_ru="Кондиционирование", name_en="Air conditioning", default_team=dispatch
    )
    company = CompanyFactory(name="ООО Ромашка")
    contact = ContactFactory(company=company, full_name="Пётр Клиентов", email="petr@romashka.test")
    client = ClientUserFactory(
        email="petr@romashka.test", full_name="Пётр Клиентов", contact=contact, password="Client-pass-123"
    )
    return {"dispatcher": dispatcher, "engineer": engineer, "client": client}


def test_client_to_dispatcher_and_back(live_server, browser, world, tmp_path):
    base = live_server.url
    photo = tmp_path / "leak.png"
    photo.write_bytes(PHOTO)

    # given: the dispatcher has the open queue on screen
    dispatcher_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    queue = dispatcher_ctx.new_page()
    log_in(queue, f"{base}/accounts/login/", "disp@otklik.test", "Disp-pass-123")
    queue.goto(f"{base}/tickets/?view=all_open")
    queue.evaluate("window.__noReload = true")

    # when: the client submits a ticket with a photo in the portal
    client_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    portal = client_ctx.new_page()
    log_in(portal, f"{base}/portal/login/", "petr@romashka.test", "Client-pass-123", prefix="password-")
    portal.goto(f"{base}/portal/new/")
    portal.select_option("select[name=category]", label="Кондиционирование")
    portal.fill("input[name=title]", "Течёт кондиционер в переговорной")
    portal.fill("textarea[name=description]", "С утра капает вода с кондиционера, фото прилагаю.")
    portal.set_input_files("input[name=attachments]", str(photo))
    portal.locator("form button[type=submit]").last.click()
    portal.wait_for_url(re.compile(r".*/portal/tickets/\d+/$"))
    number = int(re.search(r"/portal/tickets/(\d+)/", portal.url).group(1))
    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "portal"
    assert ticket.attachments.count() == 1

    # then: it appears in the dispatcher's queue without a reload (polling every 2 s)
    queue.locator(f"tr[data-ticket='{number}']").wait_for(timeout=6000)
    assert queue.evaluate("window.__noReload") is True
    assert "Течёт кондиционер" in queue.locator(f"tr[data-ticket='{number}']").inner_text()
    # the filter panel's lists arrive when it is opened
    queue.click("details:has(.filters-body) > summary")
    queue.locator(".filters-body select[name=assignee]").wait_for(timeout=5000)

    # when: the dispatcher assigns the engineer, writes an internal note and replies
    page = queue
    page.click(f"tr[data-ticket='{number}'] a.ticket-title")
    page.wait_for_url(f"**/tickets/{number}/")
    assert page.locator(".attachment img").count() == 1
    page.select_option("#properties-form select[name=assignee]", label="Игорь Инженеров")
    page.locator("#properties-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.click("label:has(input[name=kind][value=note])")
    page.fill("#id_body", "Внутренняя заметка: проверить гарантию на кондиционер")
    page.locator("#reply-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.click("label:has(input[name=kind][value=public])")
    page.fill("#id_body", "Инженер Игорь выедет к вам сегодня до 15:00.")
    page.locator("#reply-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".article.note").count() == 1

    # then: the client sees the reply and the engineer's name, and not the internal note
    portal.reload()
    text = portal.locator("main").inner_text()
    assert "Инженер Игорь выедет к вам сегодня до 15:00." in text
    assert "Игорь Инженеров" in text
    assert "проверить гарантию" not in text
    ticket.refresh_from_db()
    assert ticket.assignee == world["engineer"]
    assert ticket.first_response_at is not None
    dispatcher_ctx.close()
    client_ctx.close()
