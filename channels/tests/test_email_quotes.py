"""Quoted history and signatures folded away, per mail client, in Russian and English.

Each fixture under fixtures/mail/ is a reply as that client writes it; the table holds the exact
new text the agent must see and the first line of what was folded away."""

import re
from pathlib import Path

import pytest

from channels.email.parsing import parse_email
from channels.email.quotes import signature_start, split_text

FIXTURES = Path(__file__).parent / "fixtures" / "mail"


def _parse(name: str):
    return parse_email((FIXTURES / name).read_bytes())


CLIENTS = [
    (
        "gmail_en.eml",
        "Hi,\n\nThanks, the printer works again after the restart.\n"
        "One more question: can you also check the scanner on the 2nd floor?",
        "Best regards,",
    ),
    (
        "gmail_ru.eml",
        "Добрый день!\n\nКартридж заменили, но принтер всё равно пишет «Замятие бумаги».\nФото экрана приложил.",
        "ср, 12 мар. 2025 г. в 10:15, Служба поддержки <support@demo.local>:",
    ),
    (
        "outlook_en.eml",
        "Hello,\n\nThe new laptop for Anna is set up, thank you. Please close the ticket.",
        "Kind regards,",
    ),
    (
        "outlook_ru.eml",
        "Добрый день!\n\nСервер 1С после обновления снова не запускается, ошибка та же.\n"
        "Прошу прислать инженера сегодня.",
        "С уважением,",
    ),
    (
        "owa_en.eml",
        "Hi team,\n\nThe VPN still drops every 10 minutes, see the log attached to the ticket.\n\nMaria",
        "________________________________",
    ),
    (
        "owa_ru.eml",
        "Коллеги, добрый день.\nПропуск для подрядчика так и не оформлен, прошу ускорить.",
        "От: Служба поддержки <support@demo.local>",
    ),
    ("outlook_original_en.eml", "The line works again since this morning, thanks.", "-----Original Message-----"),
    ("outlook_original_ru.eml", "Кондиционер опять течёт, вода капает на стол.", "-----Исходное сообщение-----"),
    (
        "yandex_ru.eml",
        "Здравствуйте!\n\nКасса на втором этаже не печатает чеки, на экране ошибка 3969.",
        '12.03.2025, 10:15, "Служба поддержки" <support@demo.local>:',
    ),
    ("yandex_en.eml", "Hello,\nThe badge reader works again, the technician replaced the cable.", "--"),
    ("mailru_ru.eml", "Добрый день, в переговорной не работает проектор.\nНужно к 15:00.", "--"),
    (
        "mailru_en.eml",
        'The coffee machine on the 3rd floor shows "Descale" and does not work.',
        "Sent from Mail.ru app for Android",
    ),
    (
        "thunderbird_ru.eml",
        "Добрый день!\n\nСканер включается, но компьютер его не видит. Драйвер переустанавливал, не помогло.",
        "-- ",
    ),
    ("thunderbird_en.eml", "Hello,\nthe shared drive S: is still read-only for the whole accounting team.", "--"),
    ("apple_ru.eml", "Спасибо, всё работает!", "Отправлено с iPhone"),
    (
        "apple_en.eml",
        "Hi,\n\nthe meeting room display is still black. Photo attached.\n\nSam",
        "> On Mar 12, 2025, at 10:15, Otklik Support <support@demo.local> wrote:",
    ),
    (
        "plain_quote_ru.eml",
        "Замок на двери склада заедает, ключ не проворачивается.",
        "> Уточните, какой именно замок?",
    ),
    (
        "signature_ru.eml",
        "Здравствуйте!\n\nС уважением относимся к вашей работе, но почта не работает второй день.\n"
        "Письма не уходят, в Outlook ошибка 0x800CCC0F.",
        "С уважением,",
    ),
    ("signature_en.eml", "Hi,\n\nThe projector remote in room 4 is missing again.", "-- "),
]


@pytest.mark.parametrize(("fixture", "new_text", "folded_first_line"), CLIENTS, ids=[c[0] for c in CLIENTS])
def test_reply_keeps_only_the_new_text(fixture, new_text, folded_first_line):
    # given a reply as the client writes it
    # when it is parsed
    parsed = _parse(fixture)

    # then the agent sees only what is new, and the history is folded, not lost
    assert parsed.text == new_text
    assert parsed.quoted_text.split("\n")[0] == folded_first_line


HTML_CLIENTS = [
    ("gmail_en.eml", "Thanks, the printer works again after the restart.", "On Wed, Mar 12, 2025 at 10:15 AM"),
    ("gmail_ru.eml", "Фото экрана приложил.", "ср, 12 мар. 2025 г. в 10:15"),
    ("outlook_en.eml", "Please close the ticket.", "<b>From:</b> Otklik Support"),
    ("outlook_ru.eml", "Прошу прислать инженера сегодня.", "<b>От:</b> Служба поддержки"),
    ("owa_en.eml", "Maria", "<b>Sent:</b> Wednesday, March 12, 2025 10:15"),
    ("owa_ru.eml", "прошу ускорить.", "<b>Отправлено:</b> 12 марта 2025 г. 10:15"),
    ("yandex_ru.eml", "ошибка 3969.", "Уточните, пожалуйста, номер кассы."),
    ("yandex_en.eml", "replaced the cable.", "Our technician will come today"),
    ("mailru_ru.eml", "Нужно к 15:00.", "Среда, 12 марта 2025, 10:15 +03:00 от Служба поддержки"),
    ("thunderbird_en.eml", "accounting team.", "On 12.03.2025 10:15, Otklik Support wrote:"),
    ("apple_ru.eml", "Спасибо, всё работает!", "написал(а):"),
    ("apple_en.eml", "Photo attached.", "On Mar 12, 2025, at 10:15, Otklik Support"),
]


@pytest.mark.parametrize(("fixture", "new_end", "folded_part"), HTML_CLIENTS, ids=[c[0] for c in HTML_CLIENTS])
def test_html_reply_is_split_at_the_quote(fixture, new_end, folded_part):
    # given an HTML reply
    # when it is parsed
    parsed = _parse(fixture)

    # then the new HTML holds the reply and not the history, which is kept in quoted_html
    assert new_end in parsed.html
    assert folded_part not in parsed.html
    assert folded_part in parsed.quoted_html


def test_html_only_mail_gets_its_text_from_the_new_html_part():
    # given an Outlook-on-the-web reply sent as HTML only
    # when it is parsed
    parsed = _parse("owa_ru.eml")

    # then the plain text comes from the HTML, one line per block, and so does the folded text
    assert parsed.text == "Коллеги, добрый день.\nПропуск для подрядчика так и не оформлен, прошу ускорить."
    assert parsed.quoted_text.split("\n")[:2] == [
        "От: Служба поддержки <support@demo.local>",
        "Отправлено: 12 марта 2025 г. 10:15",
    ]


def test_forwarded_mail_is_not_folded():
    # given a forward: the forwarded message is what the client wants us to read
    # when it is parsed
    parsed = _parse("forward_gmail_en.eml")

    # then nothing is folded away
    assert parsed.text.startswith("Please look at this, we never got the invoice.\n\n---------- Forwarded message")
    assert parsed.text.endswith("Dear customer, invoice 2025-03 is overdue.")
    assert parsed.quoted_text == ""


def test_a_message_that_is_only_a_quote_is_kept_whole():
    # given a reply whose every line is quoted (nothing new would be left)
    text = "> Please restart the printer.\n> Thanks"

    # when it is split
    new, folded = split_text(text)

    # then it is not folded into nothing
    assert (new, folded) == ("> Please restart the printer.\n> Thanks", "")


def test_inline_answers_between_quotes_are_not_folded():
    # given a reply written between quoted lines (the answer comes after a quote)
    text = "> Which floor?\nThe third.\n> Which room?\nRoom 301."

    # when it is split
    new, folded = split_text(text)

    # then the quote is not trailing, so nothing is folded
    assert (new, folded) == (text, "")


def test_a_closing_phrase_in_the_middle_of_the_text_is_not_a_signature():
    # given "Best regards" followed by a long block: real content, not a signature
    lines = ["Hello,", "", "Best regards,", *[f"Step {n}: check the cable number {n}." for n in range(12)]]

    # when a signature is looked for
    start = signature_start(lines)

    # then none is found
    assert start is None


def test_a_lone_signature_is_not_folded():
    # given a message that is nothing but a mobile footer
    # when it is split
    new, folded = split_text("Sent from my iPhone")

    # then it stays
    assert (new, folded) == ("Sent from my iPhone", "")


def test_wrapped_gmail_attribution_is_recognised_only_after_a_date():
    # given a greeting, a question and a Yandex attribution on separate lines
    text = 'Здравствуйте!\nКасса не работает.\n12.03.2025, 10:15, "Поддержка" <support@demo.local>:\n> Номер кассы?'

    # when it is split
    new, folded = split_text(text)

    # then the cut is at the attribution, not at the greeting
    assert new == "Здравствуйте!\nКасса не работает."
    assert folded == '12.03.2025, 10:15, "Поддержка" <support@demo.local>:\n> Номер кассы?'


@pytest.mark.parametrize("name", ["outlook_ru.eml", "outlook_en.eml"])
def test_outlooks_paragraphs_keep_the_margin_outlook_gives_them(name):
    # Outlook writes a line per paragraph and a blank line as an empty one, with margin 0 from a
    # <style> block the sanitizer drops: without it every gap showed three times as tall.
    html = _parse(name).html
    paragraphs = re.findall(r"<p\b[^>]*>", html)
    assert paragraphs and all(tag == '<p style="margin:0">' for tag in paragraphs)


def test_paragraphs_of_other_mailers_keep_their_margins():
    html = _parse("outlook_original_ru.eml").html or _parse("gmail_ru.eml").html
    assert "<p" in html or "<div" in html
    assert 'style="margin:0"' not in html
