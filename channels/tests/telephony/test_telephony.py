import base64
import hashlib
import hmac
import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from accounts.choices import Role
from channels.choices import CallState
from channels.models import Call, Mailbox
from channels.telephony.providers import Zadarma
from intake.choices import InboundStatus
from intake.models import InboundMessage
from intake.services import inbound_process
from notifications.models import OutboxMessage
from tests.factories import CompanyFactory, ContactFactory, UserFactory, make_ticket
from tickets.choices import ArticleKind, Channel
from tickets.models import Article, Ticket

pytestmark = pytest.mark.django_db

MANGO_KEY, MANGO_SALT, ZADARMA_SECRET, GENERIC_SECRET = "mango-key", "mango-salt", "zd-secret", "generic-secret"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.LANGUAGE_CODE = "en"  # ticket texts are in the installation's language
    settings.OTKLIK_TELEPHONY_MANGO_API_KEY = MANGO_KEY
    settings.OTKLIK_TELEPHONY_MANGO_API_SALT = MANGO_SALT
    settings.OTKLIK_TELEPHONY_ZADARMA_SECRET = ZADARMA_SECRET
    settings.OTKLIK_TELEPHONY_GENERIC_SECRET = GENERIC_SECRET


def process_all():
    for row in InboundMessage.objects.filter(status=InboundStatus.RECEIVED).order_by("id"):
        inbound_process(inbound_id=row.pk)


def mango(client, kind, data, *, sign=None):
    payload = json.dumps(data)
    body = {
        "vpbx_api_key": MANGO_KEY,
        "sign": sign or hashlib.sha256(f"{MANGO_KEY}{payload}{MANGO_SALT}".encode()).hexdigest(),
        "json": payload,
    }
    url = reverse("channels:telephony_webhook", kwargs={"provider": "mango"}) + f"events/{kind}"
    return client.post(url, urlencode(body), content_type="application/x-www-form-urlencoded")


def zadarma(client, fields, *, signature=None):
    url = reverse("channels:telephony_webhook", kwargs={"provider": "zadarma"})
    return client.post(
        url,
        urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_SIGNATURE=signature or Zadarma.signature(fields, ZADARMA_SECRET),
    )


def generic(client, data, *, signature=None, raw=None):
    body = raw if raw is not None else json.dumps(data).encode()
    expected = "sha256=" + hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    url = reverse("channels:telephony_webhook", kwargs={"provider": "generic"})
    return client.post(url, body, content_type="application/json", HTTP_X_OTKLIK_SIGNATURE=signature or expected)


@pytest.fixture
def caller():
    contact = ContactFactory(full_name="Иван Сидоров", company=CompanyFactory(name="Ромашка"))
    contact.phones.create(phone="+7 912 345-67-89")
    contact.emails.create(email="sidorov@romashka.test", is_primary=True)
    return contact


# --- Mango Office ----------------------------------------------------------------------------


def test_mango_missed_call_opens_a_ticket_for_the_caller(client, caller):
    # (a mailbox the client could be written to from: a ticket of another channel would be acknowledged)
    Mailbox.objects.create(name="Поддержка", address="support@romashka-service.test", language="ru")
    # given a call that appears at extension 101 and is never answered
    base = {"entry_id": "E1", "from": {"number": "79123456789"}, "to": {"number": "74950000000", "extension": "101"}}
    assert mango(client, "call", {**base, "call_id": "c1", "seq": 1, "call_state": "Appeared"}).status_code == 200
    assert mango(client, "call", {**base, "call_id": "c1", "seq": 2, "call_state": "Disconnected"}).status_code == 200

    # when the summary says nobody answered
    assert mango(client, "summary", {**base, "entry_result": 0, "call_direction": 1}).status_code == 200
    process_all()

    # then a phone ticket "Missed call from <contact>" is open for them
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.channel, ticket.contact_id) == (
        "Missed call from Иван Сидоров",
        Channel.PHONE,
        caller.pk,
    )
    call = Call.objects.get()
    assert (call.provider, call.call_id, call.state, call.ticket_id) == ("mango", "E1", CallState.MISSED, ticket.pk)
    # and the caller is sent no "request received": they asked for nothing yet, the team calls back
    assert not OutboxMessage.objects.filter(ticket=ticket).exists()


def test_mango_bad_signature_is_401_and_nothing_is_stored(client):
    response = mango(client, "call", {"entry_id": "E1", "call_state": "Appeared"}, sign="0" * 64)

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_mango_malformed_json_is_400_and_nothing_is_stored(client):
    payload = "{not json"
    body = {
        "vpbx_api_key": MANGO_KEY,
        "sign": hashlib.sha256(f"{MANGO_KEY}{payload}{MANGO_SALT}".encode()).hexdigest(),
        "json": payload,
    }
    url = reverse("channels:telephony_webhook", kwargs={"provider": "mango"})
    response = client.post(url, urlencode(body), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_mango_replayed_event_is_stored_once(client, caller):
    summary = {"entry_id": "E9", "from": {"number": "79123456789"}, "to": {"extension": "101"}, "entry_result": 0}

    mango(client, "summary", summary)
    mango(client, "summary", summary)
    process_all()

    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


# --- Zadarma ---------------------------------------------------------------------------------


def test_zadarma_answered_call_makes_no_ticket_but_rings_the_right_agent(client, caller):
    # given two agents, one at extension 101
    anna = UserFactory(phone_extension="101")
    other = UserFactory(phone_extension="102")
    start = {
        "event": "NOTIFY_START",
        "call_start": "2026-12-01 10:00:00",
        "pbx_call_id": "in_1",
        "caller_id": "+79123456789",
        "called_did": "74950000000",
    }

    # when the call rings at 101
    zadarma(client, start)
    zadarma(client, {**start, "event": "NOTIFY_INTERNAL", "internal": "101"})
    process_all()

    # then Anna's pages show the caller's card with their company and open tickets; the other agent's none
    open_ticket = make_ticket(contact=caller, title="Протекает крыша")
    client.force_login(anna)
    card = client.get(reverse("channels:telephony_ringing")).content.decode()
    assert "Иван Сидоров" in card and "Ромашка" in card and f"#{open_ticket.number}" in card
    assert f"?contact={caller.pk}" in card
    client.force_login(other)
    assert client.get(reverse("channels:telephony_ringing")).content == b""
    # and a contractor at that extension is not shown the client's name (404, like the customer base)
    client.force_login(UserFactory(phone_extension="101", role=Role.CONTRACTOR))
    assert client.get(reverse("channels:telephony_ringing")).status_code == 404

    # and when it is answered and ends, there is no new ticket
    zadarma(client, {**start, "event": "NOTIFY_ANSWER", "destination": "101", "internal": "101"})
    zadarma(client, {**start, "event": "NOTIFY_END", "disposition": "answered", "duration": "60"})
    process_all()
    assert Ticket.objects.count() == 1
    assert Call.objects.get().state == CallState.ENDED
    client.force_login(anna)
    assert client.get(reverse("channels:telephony_ringing")).content == b""


def test_zadarma_bad_signature_is_401_and_nothing_is_stored(client):
    response = zadarma(client, {"event": "NOTIFY_START", "pbx_call_id": "x"}, signature="bm9wZQ==")

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_zadarma_signature_is_base64_of_the_hex_hmac_sha1_of_the_listed_fields():
    fields = {"event": "NOTIFY_START", "caller_id": "7912", "called_did": "7495", "call_start": "2026-12-01 10:00:00"}
    digest = hmac.new(b"zd-secret", b"791274952026-12-01 10:00:00", hashlib.sha1).hexdigest()

    assert Zadarma.signature(fields, "zd-secret") == base64.b64encode(digest.encode()).decode()


def test_zadarma_unknown_event_is_400_and_nothing_is_stored(client):
    response = zadarma(client, {"event": "NOTIFY_SOMETHING", "pbx_call_id": "x"})

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_zadarma_url_check_echoes(client):
    url = reverse("channels:telephony_webhook", kwargs={"provider": "zadarma"})

    assert client.get(url, {"zd_echo": "abc123"}).content == b"abc123"


def test_zadarma_recording_is_linked_on_the_missed_call_ticket(client, caller):
    start = {
        "event": "NOTIFY_START",
        "call_start": "2026-12-01 10:00:00",
        "pbx_call_id": "in_2",
        "caller_id": "+79123456789",
        "called_did": "74950000000",
    }
    zadarma(client, start)
    zadarma(client, {**start, "event": "NOTIFY_END", "disposition": "no answer"})
    zadarma(client, {"event": "NOTIFY_RECORD", "pbx_call_id": "in_2", "call_id_with_rec": "1733.123"})
    process_all()

    ticket = Ticket.objects.get()
    note = Article.objects.filter(ticket=ticket).order_by("id").last()
    assert (note.kind, note.body) == (ArticleKind.NOTE, "Recording of the call: 1733.123")


# --- generic JSON ----------------------------------------------------------------------------


def test_generic_missed_call_from_an_unknown_number_then_the_recording_link(client):
    # given an unknown number calling and nobody answering
    generic(client, {"call_id": "g1", "event": "ring", "from": "+7 900 111-22-33", "extension": "101"})
    generic(client, {"call_id": "g1", "event": "end", "answered": False})
    process_all()
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.contact_id) == ("Missed call from +7 900 111-22-33", None)

    # when the recording arrives later
    generic(client, {"call_id": "g1", "event": "recording", "recording_url": "https://pbx.example/rec/g1.mp3"})
    process_all()

    # then it is linked on the call's ticket
    note = Article.objects.filter(ticket=ticket).order_by("id").last()
    assert note.body == "Recording of the call: https://pbx.example/rec/g1.mp3"
    assert Call.objects.get().recording == "https://pbx.example/rec/g1.mp3"


def test_generic_bad_signature_is_401_and_nothing_is_stored(client):
    response = generic(client, {"call_id": "g1", "event": "ring"}, signature="sha256=00")

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


def test_generic_malformed_json_is_400_and_nothing_is_stored(client):
    response = generic(client, None, raw=b"{oops")

    assert response.status_code == 400
    assert InboundMessage.objects.count() == 0


def test_generic_replay_is_one_event(client):
    event = {"call_id": "g2", "event": "end", "answered": False, "from": "+79001112233"}

    generic(client, event)
    generic(client, event)
    process_all()

    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_provider_without_a_secret_is_not_found(client, settings):
    settings.OTKLIK_TELEPHONY_GENERIC_SECRET = ""

    assert generic(client, {"call_id": "g1", "event": "ring"}).status_code == 404


def test_the_intake_form_is_prefilled_from_the_caller_card_link(client, admin_user, caller):
    client.force_login(admin_user)

    page = client.get(reverse("tickets:create"), {"contact": caller.pk}).content.decode()
    unknown = client.get(reverse("tickets:create"), {"phone": "+79001112233"}).content.decode()

    assert "Иван Сидоров" in page
    assert 'value="+79001112233"' in unknown
