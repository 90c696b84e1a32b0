"""The embeddable widget on another site: a plain page served from a different origin (and
another site: the page is at 127.0.0.1, Otklik's live server at localhost, so the browser treats
Otklik's frame as third-party, withholding its cookies) loads <script src="<Otklik>/widget.js">; a visitor
opens the widget, fills the form, attaches a file and sends it, and sees the ticket's number and
the tracking link. At phone width the panel fits the screen."""

import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from tickets.models import Attachment, Ticket

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def shop_page(tmp_path: Path, live_server):
    """A tiny static site on a free loopback port whose page embeds the widget."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Магазин</title></head>"
        "<body><h1>Магазин «Ромашка»</h1>"
        f"<script src='{live_server.url}/widget.js' data-lang='ru' async></script></body></html>",
        encoding="utf-8",
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    assert not live_server.url.startswith("http://127.0.0.1")  # another site than the shop's
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_visitor_sends_a_request_with_a_file_through_the_widget_on_another_site(
    live_server, browser, shop_page, tmp_path
):
    # given the shop's page with the widget
    photo = tmp_path / "leak.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n widget test image")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(shop_page)

    # when the visitor opens the widget and sends the form with a file
    page.get_by_role("button", name="Написать в поддержку").click()
    frame = page.frame_locator("iframe[title='Обращение в поддержку']")
    frame.locator("input[name=name]").fill("Ольга Покупатель")
    frame.locator("input[name=phone]").fill("+7 912 555-44-33")
    frame.locator("textarea[name=message]").fill("Протекает потолок в торговом зале")
    frame.locator("input[name=attachments]").set_input_files(str(photo))
    frame.locator("button[type=submit]").click()

    # then the frame shows the ticket's number and a tracking link that opens outside the frame
    number = frame.locator(".ticket-number")
    number.wait_for(timeout=10000)
    ticket = Ticket.objects.get()
    assert number.inner_text() == f"#{ticket.number}"
    link = frame.locator("a[data-track-link]")
    href = link.get_attribute("href")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/request/[\w:-]+/\?lang=ru", href or ""), href
    assert link.get_attribute("target") == "_blank"
    assert (ticket.title, ticket.channel) == ("Протекает потолок в торговом зале", "web")
    attachment = Attachment.objects.get(ticket=ticket)
    with attachment.file.open("rb") as handle:
        assert (attachment.filename, handle.read()) == ("leak.png", b"\x89PNG\r\n\x1a\n widget test image")
    assert errors == []

    # and the tracking link, opened on its own, shows the same request
    tracking = context.new_page()
    tracking.goto(href)
    assert tracking.locator(".ticket-number").inner_text() == f"#{ticket.number}"
    context.close()

    # when the shop's page is opened on a phone-sized screen and the widget opens
    phone = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(shop_page)
    page.get_by_role("button", name="Написать в поддержку").click()
    frame = page.frame_locator("iframe[title='Обращение в поддержку']")
    frame.locator("button[type=submit]").wait_for(timeout=10000)

    # then the panel lies within the screen, the form inside has no sideways scrolling, and it closes
    box = page.get_by_role("dialog").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    scroll_width, client_width = frame.locator("html").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll_width <= client_width
    page.get_by_role("button", name="Закрыть").click()
    assert page.get_by_role("dialog").is_hidden()
    phone.close()
