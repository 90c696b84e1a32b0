"""MIME structure: alternatives, mixed bodies, forwarded messages, inline images, attachment names
as Russian mailers write them, uuencode and winmail.dat."""

import base64
import struct
from pathlib import Path

import pytest

from channels.email.parsing import parse_email

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _head(content_type: str, extra: str = "") -> str:
    return (
        "From: Client <client@example.org>\r\nTo: support@demo.local\r\nSubject: test\r\n"
        f"Message-ID: <m@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n{extra}\r\n"
    )


def _attachment_part(disposition: str, content_type: str = "application/pdf") -> bytes:
    return (
        f"--b\r\nContent-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
    ).encode("latin-1", errors="surrogateescape")


def _with_attachment(disposition_bytes: bytes) -> bytes:
    return (
        _head('multipart/mixed; boundary="b"').encode()
        + b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
        + b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: "
        + disposition_bytes
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
    )


FILENAMES = [
    (b"attachment; filename*=utf-8''%D0%A1%D1%87%D1%91%D1%82%20%E2%84%96%2042.pdf", "Счёт № 42.pdf"),
    (b"attachment; filename*0*=utf-8''%D0%A1%D1%87%D1%91; filename*1*=%D1%82.pdf", "Счёт.pdf"),  # continuation
    (b"attachment; filename*=''%D1%F7%E5%F2.pdf", "Счет.pdf"),  # RFC 2231 without a charset, cp1251 bytes
    (b"attachment; filename*=koi8-r''%D1%F7%E5%F2.pdf", "Счет.pdf"),  # wrong charset: really cp1251
    (b'attachment; filename="=?utf-8?B?0JDQutGCINGB0LLQtdGA0LrQuC5wZGY=?="', "Акт сверки.pdf"),  # 2047 in quotes
    (b'attachment; filename="=?windows-1251?B?wOryIPHi5fDq6C5wZGY=?="', "Акт сверки.pdf"),
    (b'attachment; filename="' + "Акт сверки.pdf".encode("cp1251") + b'"', "Акт сверки.pdf"),  # raw 8-bit
    (b'attachment; filename="' + "Акт сверки.pdf".encode("koi8-r") + b'"', "Акт сверки.pdf"),
    (b'attachment; filename="' + "Акт сверки.pdf".encode() + b'"', "Акт сверки.pdf"),
    (b'attachment; filename="..\\\\..\\\\windows\\\\evil.pdf"', "evil.pdf"),  # no directories
    (b'attachment; filename="/etc/passwd"', "passwd"),
    (b"attachment", "attachment-1.pdf"),  # nameless
]


@pytest.mark.parametrize(("disposition", "expected"), FILENAMES)
def test_attachment_filenames_are_decoded_however_they_are_written(disposition, expected):
    # given an attachment whose name is written the way some mailer writes it
    raw = _with_attachment(disposition)

    # when parsed
    parsed = parse_email(raw)

    # then the name reads right and is safe to store
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        (expected, "application/pdf", b"%PDF-1.4\n")
    ]
    assert parsed.text == "See attached."


def test_name_from_content_type_when_disposition_has_none():
    # given an old mailer's attachment named only in Content-Type
    raw = (
        _head('multipart/mixed; boundary="b"')
        + "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        + '--b\r\nContent-Type: application/octet-stream; name="=?utf-8?B?0KTQvtGC0L4uanBn?="\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the name comes from Content-Type, and the type from the name instead of octet-stream
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("Фото.jpg", "image/jpeg")]


def test_alternative_gives_both_text_and_html():
    # given multipart/alternative with plain text and HTML
    raw = (
        _head('multipart/alternative; boundary="b"')
        + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПринтер *сломался*\r\n"
        + "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Принтер <b>сломался</b></p>\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the text comes from the plain part and the HTML from the HTML part
    assert parsed.text == "Принтер *сломался*"
    assert parsed.html == "<p>Принтер <b>сломался</b></p>"


def test_html_only_mail_gets_a_text_rendering():
    # given HTML only, with lists, breaks and a link
    html = (
        "<div>Здравствуйте!</div><div><br></div><div>Не работает:</div><ul><li>принтер</li><li>сканер</li></ul>"
        '<p>Инструкция: <a href="https://help.example.org/scan">здесь</a><br>Спасибо</p>'
    )
    raw = (_head("text/html; charset=utf-8") + html).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the text keeps the lines, the list and the link target
    assert parsed.text == (
        "Здравствуйте!\n\nНе работает:\n- принтер\n- сканер\nИнструкция: здесь (https://help.example.org/scan)\nСпасибо"
    )


def test_mixed_body_parts_are_joined_in_order():
    # given a body in two text parts around an image (Apple Mail writes this)
    raw = (
        _head('multipart/mixed; boundary="b"')
        + "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nДо картинки\r\n"
        + "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=a.png\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode()
        + "\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПосле картинки\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then both texts are there in order, and the image is an attachment
    assert parsed.text == "До картинки\n\nПосле картинки"
    assert [(a.filename, a.data) for a in parsed.attachments] == [("a.png", PNG)]


def test_inline_cid_images_are_attachments_referenced_from_the_html():
    # given an Apple Mail message whose HTML shows an image by cid:
    parsed = parse_email((FIXTURES / "apple_en.eml").read_bytes())

    # when it is parsed
    [image] = parsed.attachments

    # then the image is an inline attachment and the HTML still points to it by cid
    assert (image.filename, image.content_type, image.content_id, image.inline, image.data) == (
        "IMG_0412.png",
        "image/png",
        "4F1E2D3C-5B6A-4798-8A9B-0C1D2E3F4A5B@home",
        True,
        PNG,
    )
    assert '<img src="cid:4F1E2D3C-5B6A-4798-8A9B-0C1D2E3F4A5B@home">' in parsed.html


def test_cid_image_not_used_by_the_html_is_an_ordinary_attachment():
    # given a related part with a Content-ID nobody references
    raw = (
        _head('multipart/related; boundary="b"')
        + "--b\r\nContent-Type: text/html\r\n\r\n<p>no images here</p>\r\n"
        + "--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(PNG).decode()
        + "\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then it is kept, not inline
    assert [(a.filename, a.content_id, a.inline) for a in parsed.attachments] == [("attachment-1.png", "logo@x", False)]


def test_forwarded_message_is_shown_and_its_attachments_kept():
    # given a message forwarded as an attachment (message/rfc822) with a PDF inside
    parsed = parse_email((FIXTURES / "forward_attached_ru.eml").read_bytes())

    # when it is parsed
    # then its text follows the sender's words under a forwarded-message header, and its PDF is kept
    assert parsed.text == (
        "Посмотрите, пожалуйста, письмо ниже.\n\n"
        "---------- Forwarded message ----------\n"
        "From: Отдел продаж <sales@vendor.example>\n"
        "Date: Tue, 11 Mar 2025 16:00:00 +0300\n"
        "Subject: Счёт на картриджи\n"
        "To: olga.smirnova@gmail.example\n\n"
        "Добрый день! Счёт на картриджи во вложении."
    )
    assert parsed.quoted_text == ""
    assert [(a.filename, a.content_type, a.data[:8]) for a in parsed.attachments] == [
        ("Счёт № 42.pdf", "application/pdf", b"%PDF-1.4")
    ]


def test_uuencoded_block_in_the_text_becomes_an_attachment():
    # given a text body with an uuencoded file in it (old Outlook Express)
    import binascii

    data = b"log line 1\nlog line 2\n" * 5
    lines = [binascii.b2a_uu(data[i : i + 45]).decode().rstrip("\n") for i in range(0, len(data), 45)]
    body = "Лог во вложении.\r\n\r\nbegin 644 error.log\r\n" + "\r\n".join(lines) + "\r\n`\r\nend\r\n\r\nСпасибо\r\n"
    raw = (_head("text/plain; charset=utf-8") + body).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the file is an attachment and the text no longer holds the block
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("error.log", "application/octet-stream", data)
    ]
    assert parsed.text == "Лог во вложении.\n\n\nСпасибо"


def test_quoted_printable_and_base64_bodies():
    # given the same Russian text in quoted-printable and base64 parts
    raw = (
        _head('multipart/mixed; boundary="b"')
        + "--b\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + "=CF=F0=E8=E2=E5=F2=\r\n, =EC=E8=F0\r\n"
        + "--b\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("Второй абзац".encode("koi8-r")).decode()
        + "\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then both decode
    assert parsed.text == "Привет, мир\n\nВторой абзац"


def test_format_flowed_lines_are_joined():
    # given format=flowed text (Thunderbird)
    raw = (
        _head("text/plain; charset=utf-8; format=flowed")
        + "Сканер включается, но компьютер его \r\nне видит.\r\n\r\n-- \r\nПавел\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then soft breaks are joined and the signature folded
    assert parsed.text == "Сканер включается, но компьютер его не видит."
    assert parsed.quoted_text == "-- \nПавел"


# A winmail.dat built to the TNEF spec (MS-OXTNEF): legacy attributes for a body and for two
# attachments, one named in Russian through the MAPI long filename property.


def _tnef_attribute(level: int, attribute_id: int, attribute_type: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, attribute_id, attribute_type, len(data)) + data + struct.pack("<H", checksum)


def _mapi_unicode(property_id: int, text: str) -> bytes:
    value = text.encode("utf-16-le") + b"\x00\x00"
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("<HHII", 0x001F, property_id, 1, len(value)) + value + padding


def _winmail_dat() -> bytes:
    message, attachment = 1, 2
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _tnef_attribute(message, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # TNEF version
    out += _tnef_attribute(message, 0x800C, 0x0002, "Отчёт во вложении.".encode("cp1251"))  # body
    out += _tnef_attribute(attachment, 0x9002, 0x0006, b"\x00" * 14)  # rendering data opens an attachment
    out += _tnef_attribute(attachment, 0x8010, 0x0001, b"REPORT~1.TXT\x00")
    out += _tnef_attribute(attachment, 0x800F, 0x0006, b"quarterly figures\n")
    mapi = struct.pack("<I", 1) + _mapi_unicode(0x3707, "Отчёт за квартал.txt")
    out += _tnef_attribute(attachment, 0x9005, 0x0006, mapi)
    out += _tnef_attribute(attachment, 0x9002, 0x0006, b"\x00" * 14)
    out += _tnef_attribute(attachment, 0x8010, 0x0001, b"photo.jpg\x00")
    out += _tnef_attribute(attachment, 0x800F, 0x0006, b"\xff\xd8\xff\xe0JFIF")
    return out


def test_winmail_dat_is_unpacked_into_its_attachments_and_body():
    # given an Outlook message whose content came wrapped in winmail.dat
    raw = (
        _head('multipart/mixed; boundary="b"')
        + '--b\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
        + 'Content-Disposition: attachment; filename="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(_winmail_dat()).decode()
        + "--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then its files are ordinary attachments, and its body is the text
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("Отчёт за квартал.txt", "text/plain", b"quarterly figures\n"),
        ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0JFIF"),
    ]
    assert parsed.text == "Отчёт во вложении."


def test_unreadable_winmail_dat_is_kept_as_it_is():
    # given a winmail.dat that is not TNEF inside
    raw = (
        _head('multipart/mixed; boundary="b"')
        + "--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
        + "--b\r\nContent-Type: application/ms-tnef\r\nContent-Disposition: attachment; filename=winmail.dat\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n"
    ).encode()

    # when parsed
    parsed = parse_email(raw)

    # then the file stays, untouched
    assert [(a.filename, a.data) for a in parsed.attachments] == [("winmail.dat", b"\x00\x00\x00")]


def test_headers_threading_and_date():
    # given a reply with the usual threading headers
    raw = (
        b"From: =?utf-8?B?0JjQstCw0L0=?= <Ivan@Example.org>\r\nTo: support@demo.local\r\n"
        b"Cc: A <a@example.org>, b@example.org\r\nReply-To: boss@example.org\r\n"
        b"Subject: Re: [#12] x\r\nMessage-ID: <abc@example.org>\r\nIn-Reply-To: <t-12-1@demo.local>\r\n"
        b"References: <t-12-0@demo.local>\r\n <t-12-1@demo.local>\r\nDate: Wed, 12 Mar 2025 10:15:00 +0300\r\n\r\nok"
    )

    # when parsed
    parsed = parse_email(raw)

    # then every field is exact
    assert parsed.message_id == "abc@example.org"
    assert parsed.in_reply_to == ["t-12-1@demo.local"]
    assert parsed.references == ["t-12-0@demo.local", "t-12-1@demo.local"]
    assert (parsed.sender.name, parsed.sender.address) == ("Иван", "ivan@example.org")
    assert [a.address for a in parsed.cc] == ["a@example.org", "b@example.org"]
    assert [a.address for a in parsed.reply_to] == ["boss@example.org"]
    assert parsed.date is not None and parsed.date.isoformat() == "2025-03-12T10:15:00+03:00"
