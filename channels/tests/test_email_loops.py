"""No automatic reply to machines, lists, loops, or our own mail coming back."""

import pytest

from channels.email.parsing import parse_email


def _mail(headers: str, sender: str = "Client <client@example.org>", message_id: str = "<m1@example.org>") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@demo.local\r\nSubject: Вопрос\r\nMessage-ID: {message_id}\r\n{headers}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nТекст"
    ).encode()


REFUSALS = [
    ("Auto-Submitted: auto-replied\r\n", "auto-submitted"),
    ("Auto-Submitted: auto-generated\r\n", "auto-submitted"),
    ("Auto-Submitted: auto-notified; owner-email=x@example.org\r\n", "auto-submitted"),
    ("X-Loop: helpdesk@example.org\r\n", "x-loop"),
    ("Precedence: bulk\r\n", "precedence-bulk"),
    ("Precedence: junk\r\n", "precedence-junk"),
    ("Precedence: list\r\n", "precedence-list"),
    ("X-Auto-Response-Suppress: All\r\n", "auto-response-suppress"),
    ("X-Auto-Response-Suppress: DR, OOF\r\n", "auto-response-suppress"),
    ("X-Auto-Response-Suppress: RN, NRN, AutoReply\r\n", "auto-response-suppress"),
    ("X-Autoreply: yes\r\n", "x-autoreply"),
    ("List-Id: Staff <staff.lists.example.org>\r\n", "mailing-list"),
    ("List-Unsubscribe: <mailto:leave@lists.example.org>\r\n", "mailing-list"),
    ("Return-Path: <>\r\n", "null-sender"),
]


@pytest.mark.parametrize(("headers", "reason"), REFUSALS)
def test_auto_reply_is_refused_with_a_reason(headers, reason):
    # given mail with a header that marks it as automatic or bulk
    # when parsed
    parsed = parse_email(_mail(headers))

    # then no auto-reply may go to it, and the reason says why
    assert parsed.auto_reply_refused == reason


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.org",
        "Mail Delivery System <postmaster@example.org>",
        "noreply@shop.example",
        "no-reply@bank.example",
        "Robot <do-not-reply@crm.example>",
        "noreply-12345@notifications.example",
    ],
)
def test_machine_senders_get_no_auto_reply(sender):
    # given mail from an address no person reads
    # when parsed
    parsed = parse_email(_mail("", sender=sender))

    # then it is refused
    assert parsed.auto_reply_refused == "machine-sender"


def test_our_own_message_id_coming_back_is_refused():
    # given a message carrying a Message-ID of our own domain (our mail looped back)
    raw = _mail("", message_id="<ticket-12-3@demo.local>")

    # when parsed with our domains
    parsed = parse_email(raw, own_domains=["demo.local"])

    # then it is refused
    assert parsed.auto_reply_refused == "own-message-id"


@pytest.mark.parametrize(
    "headers", ["", "Auto-Submitted: no\r\n", "Precedence: first-class\r\n", "X-Auto-Response-Suppress: DR, RN\r\n"]
)
def test_ordinary_mail_may_get_an_auto_reply(headers):
    # given a person's mail (Auto-Submitted: no is explicitly a person)
    # when parsed
    parsed = parse_email(_mail(headers), own_domains=["demo.local"])

    # then an auto-reply is allowed
    assert parsed.auto_reply_refused == ""
