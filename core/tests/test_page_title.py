"""The browser tab's title (core/templatetags/page_title.py, used by base.html)."""

import re

import pytest
from django.test import Client

from core.templatetags.page_title import page_title
from tests.factories import UserFactory


def test_a_pages_title_is_followed_by_the_site_name_after_a_separator():
    assert page_title("Все открытые") == "Все открытые · Otklik"
    assert page_title("\n  Заявка   №12 \n") == "Заявка №12 · Otklik"
    assert page_title("") == "Otklik"
    assert page_title("  \n ") == "Otklik"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/tickets/"])
def test_rendered_pages_carry_the_separator_in_the_tab_title(path):
    client = Client()
    if path != "/accounts/login/":
        client.force_login(UserFactory(role="agent"))
    html = client.get(path, follow=True).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert re.fullmatch(r"\S.* · Otklik", title), title
