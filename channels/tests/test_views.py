import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from accounts.choices import Role
from channels.models import Mailbox
from channels.tests.conftest import deliver, raw_email
from intake.choices import InboundStatus
from intake.models import InboundMessage
from tests.factories import ClientUserFactory, UserFactory
from tickets.models import Status, Ticket
from tickets.reference import reference_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(mailbox, contact):
    """A message that failed: no status a new ticket could start in (fixed by the test later)."""
    Status.objects.update(is_active=False)
    reference_changed()  # a queryset update sends no signal
    row = deliver(raw_email(message_id="<lost@romashka.test>", subject="Потерянная заявка"), mailbox=mailbox)
    assert row.status == InboundStatus.FAILED
    return row


@pytest.fixture
def processing_inline():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def test_the_failed_list_shows_failed_and_quarantined_mail_with_the_first_line_of_the_error(
    login, admin_user, failed, mailbox
):
    # given a processed message and a quarantined one besides the failed one
    Status.objects.update(is_active=True)
    reference_changed()  # a queryset update sends no signal
    deliver(raw_email(subject="Обработано"), mailbox=mailbox)
    InboundMessage.objects.create(
        channel="email",
        source="imap",
        dedup_key="big",
        raw=b"x",
        mailbox=mailbox,
        from_address="big@client.test",
        subject="Огромное письмо",
        status=InboundStatus.QUARANTINED,
        error="Larger than 25 MB\nsecond line",
    )

    # when an administrator opens the failed list
    page = login(admin_user).get(reverse("channels:inbound_failed_list"))

    # then both unfinished messages are listed with a sentence about their error, the processed one not
    assert page.status_code == 200
    assert [row.subject for row in page.context["rows"]] == ["Огромное письмо", "Потерянная заявка"]
    html = page.content.decode()
    assert "Larger than 25 MB" in html and "second line" not in html
    assert "Refused by a check: [&#x27;No status for new tickets is configured.&#x27;]" in html
    assert "django.core.exceptions" not in html
    assert "Обработано" not in html


def test_the_detail_shows_the_whole_error_and_the_eml_downloads_as_an_attachment(login, admin_user, failed):
    # when an administrator opens the failed message and downloads it
    browser = login(admin_user)
    detail = browser.get(reverse("channels:inbound_detail", args=[failed.pk]))
    eml = browser.get(reverse("channels:inbound_download", args=[failed.pk]))

    # then a sentence leads, the whole traceback is kept folded under it, and the raw bytes come
    # as a .eml download, never sniffed
    html = detail.content.decode()
    assert "<p>Refused by a check:" in html
    assert "<details><summary" in html and "Traceback (most recent call last)" in html
    assert eml.status_code == 200
    assert eml.content == bytes(InboundMessage.objects.get(pk=failed.pk).raw)
    assert (eml["Content-Type"], eml["Content-Disposition"], eml["X-Content-Type-Options"]) == (
        "message/rfc822",
        f'attachment; filename="inbound-{failed.pk}.eml"',
        "nosniff",
    )


def test_process_again_after_the_fix_makes_the_ticket(
    login, admin_user, failed, processing_inline, django_capture_on_commit_callbacks
):
    # given the cause is fixed
    Status.objects.update(is_active=True)
    reference_changed()  # a queryset update sends no signal

    # when the administrator processes the message again
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin_user).post(reverse("channels:inbound_process_again", args=[failed.pk]))

    # then it became the ticket it should have been
    failed.refresh_from_db()
    assert response.status_code == 302
    assert (failed.status, failed.error) == (InboundStatus.PROCESSED, "")
    assert list(Ticket.objects.values_list("title", flat=True)) == ["Потерянная заявка"]


def test_setting_a_message_aside_takes_it_off_the_list_and_keeps_it(
    login, admin_user, failed, processing_inline, django_capture_on_commit_callbacks
):
    browser = login(admin_user)

    # when the administrator sets the failed message aside
    response = browser.post(reverse("channels:inbound_set_aside", args=[failed.pk]))

    # then it is off the failed list, on the list of those set aside, and kept whole
    failed.refresh_from_db()
    assert response.status_code == 302
    assert failed.status == InboundStatus.DISMISSED
    assert browser.get(reverse("channels:inbound_failed_list")).context["rows"] == []
    aside = browser.get(reverse("channels:inbound_failed_list") + "?show=dismissed")
    assert [row.pk for row in aside.context["rows"]] == [failed.pk]
    assert bytes(failed.raw).startswith(b"From:") or b"Message-ID" in bytes(failed.raw)

    # and it can still be processed, once the cause is fixed
    Status.objects.update(is_active=True)
    reference_changed()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("channels:inbound_process_again", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED


def test_setting_aside_is_post_only_and_for_administrators(login, admin_user, failed):
    assert login(admin_user).get(reverse("channels:inbound_set_aside", args=[failed.pk])).status_code == 405
    agent = UserFactory(role=Role.AGENT)
    assert login(agent).post(reverse("channels:inbound_set_aside", args=[failed.pk])).status_code in (403, 404)
    failed.refresh_from_db()
    assert failed.status == InboundStatus.FAILED


def test_process_again_is_post_only(login, admin_user, failed):
    response = login(admin_user).get(reverse("channels:inbound_process_again", args=[failed.pk]))

    assert response.status_code == 405


def test_an_uploaded_eml_is_stored_as_an_upload_and_processed(
    login, admin_user, mailbox, contact, processing_inline, django_capture_on_commit_callbacks
):
    # given a message saved as a file
    eml = SimpleUploadedFile("letter.eml", raw_email(subject="Письмо из файла"), "message/rfc822")

    # when an administrator uploads it without choosing a mailbox, and then once more
    browser = login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        first = browser.post(reverse("channels:inbound_upload"), {"file": eml, "mailbox": ""})
    eml.seek(0)
    again = browser.post(reverse("channels:inbound_upload"), {"file": eml, "mailbox": ""}, follow=True)

    # then it is stored once, as an upload, and became a ticket of the mailbox it was sent to
    row = InboundMessage.objects.get()
    assert first.status_code == 302
    assert (row.source, row.status, row.subject, row.from_address) == (
        "upload",
        InboundStatus.PROCESSED,
        "Письмо из файла",
        "Пётр Иванов <petr@romashka.test>",
    )
    assert Ticket.objects.get().team == mailbox.team
    assert "This message was stored before" in again.content.decode()


def test_mailboxes_are_created_and_the_passwords_are_never_shown_again(login, admin_user, team):
    # given an administrator
    browser = login(admin_user)
    data = {
        "name": "Продажи",
        "address": "Sales@Otklik.test",
        "brand_name": "Отклик",
        "signature": "",
        "language": "ru",
        "team": team.pk,
        "category": "",
        "is_active": "on",
        "ticket_tag": "#",
        "max_message_bytes": "9.5",  # MB
        "auto_reply": "on",
        "auto_replies_per_day": 5,
        "inbound": "imap",
        "imap_host": "imap.otklik.test",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_username": "sales",
        "imap_password": "s3cret-imap",
        "imap_folder": "INBOX",
        "imap_processed": "seen",
        "imap_processed_folder": "",
        "imap_quarantine_folder": "",
        "imap_poll_seconds": 60,
        "smtp_host": "",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "smtp_username": "",
        "smtp_password": "s3cret-smtp",
    }

    # when they create a mailbox, open it, and save it again with the password fields empty
    created = browser.post(reverse("channels:mailbox_create"), data)
    mailbox = Mailbox.objects.get()
    page = browser.get(reverse("channels:mailbox_edit", args=[mailbox.pk]))
    browser.post(
        reverse("channels:mailbox_edit", args=[mailbox.pk]),
        {**data, "name": "Отдел продаж", "imap_password": "", "smtp_password": ""},
    )

    # then the address is stored in lower case, the passwords are kept and never rendered back
    mailbox.refresh_from_db()
    assert created.status_code == 302
    assert (mailbox.name, mailbox.address, mailbox.imap_password, mailbox.smtp_password) == (
        "Отдел продаж",
        "sales@otklik.test",
        "s3cret-imap",
        "s3cret-smtp",
    )
    assert "s3cret" not in page.content.decode()
    assert "Stored. Leave empty to keep it." in page.content.decode()
    # the size limit is typed and shown in megabytes, stored in bytes
    assert mailbox.max_message_bytes == int(9.5 * 1024 * 1024)
    assert 'name="max_message_bytes" value="9.5"' in page.content.decode()
    # and a limit that is no round number of tenths of a MB is kept as stored when the form is
    # saved again without touching it
    Mailbox.objects.filter(pk=mailbox.pk).update(max_message_bytes=10_000_000)
    shown = browser.get(reverse("channels:mailbox_edit", args=[mailbox.pk])).content.decode()
    assert 'name="max_message_bytes" value="9.5"' in shown
    browser.post(
        reverse("channels:mailbox_edit", args=[mailbox.pk]),
        {**data, "max_message_bytes": "9.5", "imap_password": "", "smtp_password": ""},
    )
    mailbox.refresh_from_db()
    assert mailbox.max_message_bytes == 10_000_000


def test_a_second_mailbox_with_the_same_address_in_another_case_is_refused(login, admin_user, mailbox):
    response = login(admin_user).post(
        reverse("channels:mailbox_create"), {"name": "Дубль", "address": "SUPPORT@otklik.test"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["address"] == ["Another mailbox already has this address."]
    assert Mailbox.objects.count() == 1


@pytest.mark.parametrize(
    "role, expected",
    [(Role.AGENT, 403), (Role.SUPERVISOR, 403), (Role.ENGINEER, 403), (Role.CONTRACTOR, 403), ("client", 302)],
)
def test_only_administrators_reach_the_mail_pages(login, failed, mailbox, role, expected):
    # given a signed-in person who is not an administrator
    user = ClientUserFactory() if role == "client" else UserFactory(role=role)
    browser = login(user)

    # when they try every page and action
    codes = {
        browser.get(reverse("channels:mailbox_list")).status_code,
        browser.get(reverse("channels:mailbox_create")).status_code,
        browser.get(reverse("channels:mailbox_edit", args=[mailbox.pk])).status_code,
        browser.get(reverse("channels:inbound_failed_list")).status_code,
        browser.get(reverse("channels:inbound_detail", args=[failed.pk])).status_code,
        browser.get(reverse("channels:inbound_download", args=[failed.pk])).status_code,
        browser.post(reverse("channels:inbound_process_again", args=[failed.pk])).status_code,
        browser.post(reverse("channels:inbound_upload"), {}).status_code,
    }

    # then each is refused (clients are sent to the portal), and nothing was reprocessed
    assert codes == {expected}
    assert InboundMessage.objects.get(pk=failed.pk).status == InboundStatus.FAILED


def test_anonymous_visitors_are_sent_to_the_login_page(client, failed):
    response = client.get(reverse("channels:inbound_download", args=[failed.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_administrators_hear_of_a_failed_message_once_until_they_read_it(db, mailbox, contact):
    from notifications.models import Notification

    admin = UserFactory(role=Role.ADMIN, language="en")
    UserFactory(role=Role.AGENT)

    # when two messages fail (no headers: not mail)
    deliver(b"no headers at all", mailbox=mailbox)
    deliver(b"neither has this one", mailbox=mailbox)

    # then each administrator has one alert pointing at the failed list, and no one else has any
    alerts = Notification.objects.filter(kind="inbound_failed")
    assert [(a.user_id, a.ticket_id) for a in alerts] == [(admin.pk, None)]
    assert "Failed inbound messages" in alerts[0].text

    # and once read, the next failure alerts again
    alerts.update(read_at=timezone.now())
    deliver(b"a third one", mailbox=mailbox)
    assert Notification.objects.filter(kind="inbound_failed", read_at__isnull=True).count() == 1
