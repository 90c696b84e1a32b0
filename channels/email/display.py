"""Stored email HTML → what the ticket page shows (docs/architecture/email.md, "Ticket page").

Merge note: the parse branch (mail-parse) adds `html_for_display` with this signature to
channels/email/sanitize.py, exported by parsing.py; this module is the minimal stand-in for it
and the ticket page's article preparation, which stays. Replace the function below by
`from channels.email.parsing import html_for_display` when both are merged.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from django.urls import reverse

from channels.email.parsing import sanitize_html
from tickets.models import Article

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)


def html_for_display(html: str, *, show_remote_images: bool, cid_urls: Mapping[str, str]) -> str:
    """Stored HTML ready for the ticket page: `cid:` images point at the given URLs (keys are
    Content-IDs without brackets, any case), and unless `show_remote_images`, http(s) images are
    blanked with the original kept in data-remote-src. Sanitizes again first: safe on any input."""
    clean = sanitize_html(html)
    if "<img" not in clean:
        return clean
    lookup = {key.strip().strip("<>").lower(): url for key, url in cid_urls.items()}

    def rewrite(match: re.Match[str]) -> str:
        tag = match.group()
        src_match = _SRC.search(tag)
        if src_match is None:
            return tag
        src = htmllib.unescape(src_match.group(1))
        scheme = src.split(":", 1)[0].lower()
        if scheme == "cid":
            url = lookup.get(unquote(src[4:]).strip().strip("<>").lower())
            if url is None:
                return tag
            replacement = f' src="{htmllib.escape(url, quote=True)}"'
        elif scheme in ("http", "https") and not show_remote_images:
            replacement = f' src="" data-remote-src="{src_match.group(1)}"'
        else:
            return tag
        return tag[: src_match.start()] + replacement + tag[src_match.end() :]

    return _IMG_TAG.sub(rewrite, clean)


def articles_prepare_for_display(articles: Iterable[Article], *, show_images_of: set[int]) -> None:
    """Give each article (attachments prefetched) what the conversation template shows, without
    queries: `display_html` / `display_quoted` (HTML through html_for_display, "" for text),
    `images_blocked`, and `listed_attachments` (inline images shown in the body are not listed
    again). `show_images_of`: ids of articles whose remote images the agent asked to see."""
    for article in articles:
        files = list(article.attachments.all())
        cid_urls = {
            f.content_id: f"{reverse('tickets:attachment', args=[f.pk])}?inline=1" for f in files if f.content_id
        }
        show = article.pk in show_images_of
        article.display_html = (  # type: ignore[attr-defined]
            html_for_display(article.body_html, show_remote_images=show, cid_urls=cid_urls) if article.body_html else ""
        )
        article.display_quoted = (  # type: ignore[attr-defined]
            html_for_display(article.quoted, show_remote_images=show, cid_urls=cid_urls)
            if article.quoted and article.quoted_is_html
            else ""
        )
        article.images_blocked = "data-remote-src=" in article.display_html + article.display_quoted  # type: ignore[attr-defined]
        shown_in_body = {cid.lower() for cid in cid_urls} if article.body_html else set()
        article.listed_attachments = [  # type: ignore[attr-defined]
            f for f in files if not (f.is_inline and f.content_id and f.content_id.lower() in shown_in_body)
        ]
