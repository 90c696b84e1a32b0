import pytest
from django.urls import reverse

from channels.email.display import html_for_display
from channels.tests.conftest import deliver, raw_email
from tickets.models import Article, Attachment, Ticket

pytestmark = pytest.mark.django_db

HTML = (
    '<p>Фото <img src="cid:photo1@client"> и трекер <img src="https://tracker.test/pixel.gif?u=1"></p>'
    "<script>alert(1)</script>"
)


@pytest.fixture
def email_ticket(mailbox, contact):
    deliver(
        raw_email(
            message_id="<html@romashka.test>",
            cc="Мария <maria@romashka.test>",
            html=HTML,
            inline_images=(("photo1@client", "image/png", b"\x89PNG inline"),),
            attachments=(("акт.pdf", "application/pdf", b"%PDF-1.4 act"),),
        ),
        mailbox=mailbox,
    )
    return Ticket.objects.get()


def test_an_email_article_shows_its_html_with_inline_images_in_place_and_remote_ones_held_back(
    login, agent, email_ticket
):
    # when the agent opens the ticket
    page = login(agent).get(reverse("tickets:detail", args=[email_ticket.number]))

    # then the body is the sanitized HTML, the inline image comes from our attachment URL and is
    # not listed again, the tracker is blanked behind a "Show images" button
    html = page.content.decode()
    article = Article.objects.get()
    inline = Attachment.objects.get(is_inline=True)
    pdf = Attachment.objects.get(is_inline=False)
    assert f'<img src="/tickets/attachments/{inline.pk}/?inline=1">' in html
    assert '<img src="" data-remote-src="https://tracker.test/pixel.gif?u=1">' in html
    assert f'href="?images={article.pk}#article-{article.pk}"' in html
    assert "<script>alert(1)</script>" not in html
    assert [f.pk for f in page.context["articles"][0].listed_attachments] == [pdf.pk]
    assert "📎 photo1@client.png" not in html and "📎 акт.pdf" in html


def test_show_images_reveals_the_remote_images_of_that_article(login, agent, email_ticket):
    # when the agent asks to see the images of the article
    article = Article.objects.get()
    page = login(agent).get(reverse("tickets:detail", args=[email_ticket.number]), {"images": article.pk})

    # then the remote image is shown and nothing is held back any more
    html = page.content.decode()
    assert '<img src="https://tracker.test/pixel.gif?u=1">' in html
    assert "data-remote-src" not in html
    assert "Show images</a>" not in html


def test_an_email_article_shows_its_envelope_and_folds_the_quoted_text(login, agent, email_ticket):
    # given the article's quoted history was folded away by the parser
    Article.objects.update(quoted="> Старое письмо\n> с историей", quoted_is_html=False)

    # when the agent opens the ticket
    html = login(agent).get(reverse("tickets:detail", args=[email_ticket.number])).content.decode()

    # then From, To, Cc and the subject are shown, the history behind "Show quoted text"
    assert "From:</span> Пётр Иванов &lt;petr@romashka.test&gt;" in html
    assert "To:</span> &lt;support@otklik.test&gt;" in html
    assert "Cc:</span> Мария &lt;maria@romashka.test&gt;" in html
    assert "Subject:</span> Не работает лифт" in html
    assert (
        '<details class="email-quoted"><summary><span class="if-closed">Show quoted text</span>'
        '<span class="if-open">Hide quoted text</span></summary>\n'
        '    <div class="article-body">&gt; Старое письмо\n&gt; с историей</div>'
    ) in html


def test_a_strangers_article_is_flagged_on_the_page(login, agent, email_ticket, mailbox):
    # given someone unrelated wrote into the thread
    deliver(raw_email(sender="someone@elsewhere.test", in_reply_to="<html@romashka.test>"), mailbox=mailbox)

    # when the agent opens the ticket
    html = login(agent).get(reverse("tickets:detail", args=[email_ticket.number])).content.decode()

    # then that one article carries the flag
    assert html.count("Unknown sender</span>") == 1
    assert html.count("from-stranger") == 1


def test_the_ticket_page_costs_the_same_queries_with_more_email_articles(
    login, agent, email_ticket, mailbox, django_assert_max_num_queries
):
    # given the agent's page with one email article
    browser = login(agent)
    url = reverse("tickets:detail", args=[email_ticket.number])
    browser.get(url)
    with django_assert_max_num_queries(100) as one:
        browser.get(url)

    # when four more replies with files arrive
    for n in range(4):
        deliver(
            raw_email(
                in_reply_to="<html@romashka.test>",
                html=f'<p>Ответ {n} <img src="cid:p{n}@client"></p>',
                inline_images=((f"p{n}@client", "image/png", b"\x89PNG"),),
            ),
            mailbox=mailbox,
        )
    with django_assert_max_num_queries(100) as five:
        browser.get(url)

    # then the page takes exactly as many queries
    assert len(five.captured_queries) == len(one.captured_queries)


def test_display_points_cid_images_at_urls_in_any_case_and_escapes_them():
    shown = html_for_display(
        '<img src="cid:Image001.PNG@01DB"><img src="cid:unknown@x"><img src="http://t.test/a.gif">',
        show_remote_images=False,
        cid_urls={"image001.png@01db": '/a?b=1&c="2"'},
    )

    assert shown == (
        '<img src="/a?b=1&amp;c=&quot;2&quot;"><img src="cid:unknown@x"><img src="" data-remote-src="http://t.test/a.gif">'
    )


def test_web_addresses_in_a_plain_text_message_are_links_that_open_apart():
    from tickets.templatetags.ticket_page import linked_text

    text = "Запись: https://pbx.example/rec/c-2.mp3?x=1&y=<2>\nКарта www.openstreetmap.org/?mlat=55 и a@b.ru"
    html = linked_text(text)
    assert (
        '<a rel="noopener noreferrer nofollow" target="_blank" href="https://pbx.example/rec/c-2.mp3?x=1&amp;y=' in html
    )
    assert '<a rel="noopener noreferrer nofollow" target="_blank" href="http://www.openstreetmap.org/?mlat=55">' in html
    assert "<script" not in linked_text("<script>alert(1)</script> https://x.test/")
    assert linked_text("Без ссылок <b>") == "Без ссылок &lt;b&gt;"
