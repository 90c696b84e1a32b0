"""Stored email HTML → what the ticket page shows (docs/architecture/email.md, "Ticket page").

The HTML rewriting itself is channels.email.sanitize.html_for_display.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from channels.email.parsing import html_for_display
from tickets.models import Article


def articles_prepare_for_display(articles: Iterable[Article], *, show_images_of: set[int]) -> None:
    """Give each article (its attachments read before as `files`: article_thread_for_user) what the
    conversation template shows, without queries: `display_html` / `display_quoted` (HTML through
    html_for_display, "" for text), `images_blocked`, and `listed_attachments` (inline images shown
    in the body are not listed again). `show_images_of`: ids of articles whose remote images the agent asked to see."""
    for article in articles:
        files = article.files  # type: ignore[attr-defined]
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
