"""WhatsApp journey: a client sends a photo to the business number (a signed Cloud API webhook),
the ticket appears in the dispatcher's queue without a reload, the dispatcher replies in the
browser, the reply goes to WhatsApp (recorded by the local stand-in Graph API server), and the
"read" status WhatsApp reports back shows on the reply."""

import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from channels.models import WhatsAppAccount
from channels.tests.whatsapp_standin import WhatsAppStandIn
from intake.models import InboundMessage
from intake.services import inbound_process
from notifications.models import OutboxMessage
from notifications.outbox import outbox_send_due
from tests.e2e.pages import log_in
from tests.factories import TeamFactory, UserFactory
from tickets.models import Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]

NUMBER_ID = "106540352242922"
WA_ID = "79120001122"
SECRET = "journey-app-secret"


@pytest.fixture
def standin():
    server = WhatsAppStandIn(phone_number_id=NUMBER_ID, token="EAAG-journey")
    yield server
    server.close()


def _post(account: WhatsAppAccount, value: dict[str, object]) -> None:
    """One signed webhook call, then the worker's processing of what it stored."""
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "74950000000",
                                                           "phone_number_id": NUMBER_ID}, **value}  # fmt: skip
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
                                                                                     "value": value}]}]}  # fmt: skip
    raw = json.dumps(body, ensure_ascii=False).encode()
    before = set(InboundMessage.objects.values_list("pk", flat=True))
    response = Client().post(
        f"/channels/whatsapp/{account.pk}/webhook/",
        data=raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()},
    )
    assert response.status_code == 200
    for row in InboundMessage.objects.exclude(pk__in=before):
        assert inbound_process(inbound_id=row.pk).status == "processed"


def test_whatsapp_photo_to_agent_reply_read(live_server, browser, standin):
    # given: a dispatcher with the open queue on screen and a WhatsApp number
    dispatch = TeamFactory(code="dispatch", name_ru="Диспетчерская", name_en="Dispatch")
    dispatcher = UserFactory(email="disp@otklik.test", full_name="Дарья", role=Role.AGENT, password="Disp-pass-123")
    dispatch.members.add(dispatcher)
    account = WhatsAppAccount.objects.create(
        name="WhatsApp", phone_number_id=NUMBER_ID, access_token="EAAG-journey", app_secret=SECRET,
        api_base_url=standin.url, team=dispatch,
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    log_in(page, f"{live_server.url}/accounts/login/", "disp@otklik.test", "Disp-pass-123")
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    page.evaluate("window.__noReload = true")

    # when: the client sends a photo with a caption
    standin.media["777"] = ("image/jpeg", b"\xff\xd8jpeg-bytes")
    message = {
        "from": WA_ID,
        "id": "wamid.JOURNEY1",
        "timestamp": str(int(timezone.now().timestamp())),
        "type": "image",
        "image": {"id": "777", "mime_type": "image/jpeg", "caption": "Сломан замок"},
    }
    _post(account, {"contacts": [{"profile": {"name": "Пётр"}, "wa_id": WA_ID}], "messages": [message]})
    ticket = Ticket.objects.get()

    # then: it appears in the queue without a reload
    row = page.locator(f"tr[data-ticket='{ticket.number}']")
    row.wait_for(timeout=8000)
    assert page.evaluate("window.__noReload") is True
    assert "Сломан замок" in row.inner_text()

    # when: the dispatcher replies in the browser
    page.click(f"tr[data-ticket='{ticket.number}'] a.ticket-title")
    page.wait_for_url(f"**/tickets/{ticket.number}/")
    assert page.locator(".attachment img").count() == 1
    page.click("label:has(input[name=kind][value=public])")
    page.fill("#id_body", "Мастер приедет через час.")
    page.locator("#reply-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    outbox_send_due()

    # then: the stand-in recorded the text message to the client (after the acknowledgement)
    sent = [(r.body["to"], r.body["text"]["body"]) for r in standin.calls("messages")]
    assert sent == [
        (WA_ID, f"Ваша заявка №{ticket.number} «{ticket.title}» принята. Мы ответим как можно скорее."),
        (WA_ID, "Мастер приедет через час."),
    ]

    # when: WhatsApp reports the reply read
    wamid = OutboxMessage.objects.get(article__body="Мастер приедет через час.").message_id
    _post(account, {"statuses": [{"id": wamid, "status": "read", "timestamp": "1", "recipient_id": WA_ID}]})
    page.reload()

    # then
    assert page.locator(".delivery").last.inner_text().startswith("WhatsApp Прочитано")
    context.close()
