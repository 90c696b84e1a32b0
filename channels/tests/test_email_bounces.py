"""Delivery failures of our own mail: standard DSNs and the plain-text kind."""

from pathlib import Path

import pytest

from channels.email.parsing import Bounce, parse_email

FIXTURES = Path(__file__).parent / "fixtures" / "mail"

BOUNCES = [
    (
        "bounce_dsn_postfix.eml",
        Bounce(
            original_message_id="ticket-347-2@demo.local",
            recipient="ivan.old@acme.example",
            status="5.1.1",
            diagnostic="550 5.1.1 <ivan.old@acme.example>: Recipient address rejected: User unknown in virtual "
            "mailbox table",
        ),
    ),
    (
        "bounce_exim.eml",
        Bounce(
            original_message_id="ticket-351-2@demo.local",
            recipient="nobody@globex.example",
            status="5.1.1",
            diagnostic="550 5.1.1 No such user here",
        ),
    ),
    (
        "bounce_mailru_ru.eml",
        Bounce(
            original_message_id="ticket-357-2@demo.local",
            recipient="petrov.old@mail.example",
            status="5.0.0",
            diagnostic="550 Message was not accepted -- invalid mailbox. Local mailbox petrov.old@mail.example is "
            "unavailable: user not found",
        ),
    ),
    (
        "bounce_yandex_ru.eml",
        Bounce(
            original_message_id="ticket-355-2@demo.local",
            recipient="sidorov@yandex.example",
            status="5.2.2",
            diagnostic="Ответ сервера: 552 5.2.2 Mailbox size limit exceeded",
        ),
    ),
]


@pytest.mark.parametrize(("fixture", "bounce"), BOUNCES, ids=[b[0] for b in BOUNCES])
def test_bounce_names_the_original_message_and_the_failure(fixture, bounce):
    # given a bounce of one of our messages
    # when it is parsed
    parsed = parse_email((FIXTURES / fixture).read_bytes())

    # then it points at our message, says who failed and why, and gets no auto-reply
    assert parsed.bounce == bounce
    assert parsed.auto_reply_refused == "bounce"


def test_delay_notice_is_not_a_bounce():
    # given a DSN that only reports a delay
    raw = (
        b"From: MAILER-DAEMON@mx.example.org\r\nTo: support@demo.local\r\n"
        b"Subject: Delayed Mail (still being retried)\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nStill trying.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        b"Final-Recipient: rfc822; slow@example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n--b--\r\n"
    )

    # when parsed
    parsed = parse_email(raw)

    # then there is no bounce, and still no auto-reply to it
    assert parsed.bounce is None
    assert parsed.auto_reply_refused == "bounce"
    assert parsed.text == "Still trying."


def test_a_person_writing_about_a_failed_delivery_is_not_a_bounce():
    # given a client's own mail titled like a bounce
    raw = (
        b"From: Client <client@example.org>\r\nTo: support@demo.local\r\nSubject: Undelivered mail to our office?\r\n"
        b"Content-Type: text/plain\r\n\r\nOur mail to boss@example.org is not delivered, 550 5.1.1 error.\r\n"
    )

    # when parsed
    parsed = parse_email(raw)

    # then it is a normal message
    assert parsed.bounce is None
    assert parsed.auto_reply_refused == ""
