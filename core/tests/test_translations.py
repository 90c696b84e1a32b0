"""The Russian catalogue is complete, keeps every placeholder, and real pages render in Russian."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.choices import Role
from tests.factories import ClientUserFactory, UserFactory

PO_PATH = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# %(name)s, %(n)d, %s, %d … (not the escaped %%); and {value} for python-brace-format.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXorc]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO_PATH)) if not e.obsolete]


def _placeholders(text: str, entry: polib.POEntry) -> set[str]:
    found = set(PERCENT_PLACEHOLDER.findall(text.replace("%%", "")))
    if "python-brace-format" in entry.flags:
        found |= set(BRACE_PLACEHOLDER.findall(text))
    return found


def _label(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def _translations(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


# --- (a) the catalogue itself ---


def test_catalogue_has_a_sensible_number_of_entries():
    assert len(_entries()) > 300


def test_every_entry_is_translated():
    untranslated = [_label(e) for e in _entries() if not all(t.strip() for t in _translations(e))]
    assert untranslated == []


def test_no_entry_is_fuzzy():
    po = polib.pofile(str(PO_PATH))
    assert not po.metadata_is_fuzzy
    assert [_label(e) for e in _entries() if "fuzzy" in e.flags] == []


def test_russian_plural_forms_header():
    metadata = polib.pofile(str(PO_PATH)).metadata
    assert metadata["Language"] == "ru"
    assert metadata["Plural-Forms"].startswith("nplurals=3;")
    plural_entries = [e for e in _entries() if e.msgid_plural]
    assert all(len(e.msgstr_plural) == 3 for e in plural_entries)


def test_placeholders_survive_translation():
    broken = []
    for entry in _entries():
        expected = _placeholders(entry.msgid, entry)
        if entry.msgid_plural:
            expected |= _placeholders(entry.msgid_plural, entry)
        for text in _translations(entry):
            got = _placeholders(text, entry)
            # Every placeholder of the source is kept, and none is invented (a KeyError at run time).
            if not expected <= got or not got <= expected:
                broken.append((_label(entry), sorted(expected), text))
    assert broken == []


def test_entries_with_placeholders_are_flagged_python_format():
    # gettext marks them itself; a missing flag means msgfmt --check would not guard the entry.
    unflagged = [
        _label(e)
        for e in _entries()
        if PERCENT_PLACEHOLDER.search(e.msgid.replace("%%", "")) and "python-format" not in e.flags
    ]
    assert unflagged == []


def test_compiled_catalogue_matches_the_po():
    # The .mo is committed so a fresh checkout is translated at once; it must not lag behind the .po.
    assert MO_PATH.exists()
    compiled = {(e.msgctxt, e.msgid): _translations(e) for e in polib.mofile(str(MO_PATH)) if e.msgid}
    source = {(e.msgctxt, e.msgid): _translations(e) for e in _entries()}
    assert compiled == source


def test_gettext_uses_russian_plurals_and_contexts():
    with translation.override("ru"):
        forms = [
            translation.ngettext(
                "The link works once and expires in %(minutes)s minute.",
                "The link works once and expires in %(minutes)s minutes.",
                n,
            )
            % {"minutes": n}
            for n in (1, 3, 5, 21, 11)
        ]
        assert forms == [
            "Ссылка одноразовая и действует 1 минуту.",
            "Ссылка одноразовая и действует 3 минуты.",
            "Ссылка одноразовая и действует 5 минут.",
            "Ссылка одноразовая и действует 21 минуту.",
            "Ссылка одноразовая и действует 11 минут.",
        ]
        assert translation.pgettext("channel", "Email") == "Эл. почта"
        assert translation.gettext("Internal note") == "Внутренний комментарий"
    with translation.override("en"):
        assert translation.gettext("Internal note") == "Internal note"


# --- (b) real pages in Russian ---


@pytest.mark.django_db
def test_agent_queue_renders_in_russian():
    agent = UserFactory(role=Role.AGENT, language="ru")
    client = Client(headers={"Accept-Language": "en"})  # the profile language wins over the browser's
    client.force_login(agent)

    response = client.get("/tickets/")

    assert response.status_code == 200
    body = response.content.decode()
    assert response.headers["Content-Language"] == "ru"
    for russian in ("Новая заявка", "Заявки", "Фильтры", "Мои открытые заявки", "Выйти"):
        assert russian in body
    for english in ("New ticket", "My open tickets", "Log out", "Filters"):
        assert english not in body


@pytest.mark.django_db
def test_agent_with_english_profile_still_gets_english():
    agent = UserFactory(role=Role.AGENT, language="en")
    client = Client()
    client.force_login(agent)

    body = client.get("/tickets/").content.decode()

    assert "New ticket" in body
    assert "Новая заявка" not in body


@pytest.mark.django_db
def test_client_portal_renders_in_russian():
    client_user = ClientUserFactory(language="ru")
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(client_user)

    response = client.get("/portal/")

    assert response.status_code == 200
    body = response.content.decode()
    assert response.headers["Content-Language"] == "ru"
    for russian in ("Мои заявки", "Новая заявка", "Выйти"):
        assert russian in body
    for english in ("My tickets", "New request", "Log out"):
        assert english not in body


@pytest.mark.django_db
def test_portal_login_page_follows_the_browser_language():
    body = Client(headers={"Accept-Language": "ru"}).get("/portal/login/").content.decode()

    assert "Прислать ссылку для входа" in body
    assert "Email me a login link" not in body
