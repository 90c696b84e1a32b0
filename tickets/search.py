"""Full-text search over tickets. See docs/architecture/search.md.

One search document per ticket: number, title, description, every article, the contact's
name/emails/phones and the company name. PostgreSQL keeps it as a tsvector built with the
`russian` configuration (Russian snowball stemmer for Cyrillic words, English stemmer for Latin
ones) in a GIN-indexed side table; SQLite keeps it in an FTS5 table holding text stemmed by
Snowball in Python, so "лифты" finds "лифт" on both.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection

from core.deferred import defer_ids

TABLE = "tickets_search"
WORD_RE = re.compile(r"[\w@.+-]+", re.UNICODE)
CYRILLIC_RE = re.compile(r"[а-яё]", re.IGNORECASE)
# Ranking of a very common word over hundreds of thousands of matches is what makes search slow;
# rank only the most recent matches (newest first by ticket id) — users look for recent tickets.
RANK_WINDOW = 300
# How far back from the newest ticket each search pass looks (ids); None = everything.
SEARCH_WINDOWS: tuple[int | None, ...] = (20_000, 200_000, None)


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if CYRILLIC_RE.search(word):
        return _stemmer("russian").stemWord(word)
    return _stemmer("english").stemWord(word)


def _tokens(text: str) -> list[str]:
    words: list[str] = []
    for raw in WORD_RE.findall(text or ""):
        raw = raw.strip(".-+")
        if not raw:
            continue
        # Keep emails/phones whole and also split into parts so "ivanov@x.ru" and "ivanov" match.
        parts = [p for p in re.split(r"[@.+-]", raw) if p] if re.search(r"[@.+-]", raw) else []
        words.extend(_stem(w) for w in [raw, *parts])
    return words


def stemmed_text(text: str) -> str:
    return " ".join(_tokens(text))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def create_schema(schema_editor) -> None:  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            " ticket_id bigint PRIMARY KEY REFERENCES tickets_ticket(id)"
            " ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
            " document tsvector NOT NULL)"
        )
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_document ON {TABLE} USING gin (document)")
    else:
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(content, tokenize='unicode61 remove_diacritics 2')"
        )


def drop_schema(schema_editor) -> None:  # type: ignore[no-untyped-def]
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _document_parts(ticket_id: int) -> tuple[str, str]:
    """(heading, body) text of a ticket's search document. Three small queries (this runs on every
    ticket write, the email intake's included): the ticket with its contact's and company's names
    (two plain outer joins, cheap to plan, unlike the selectors' wide ones: see with_related in
    tickets/selectors.py), the articles' bodies, and the contact's emails and phones together."""
    from customers.models import ContactEmail, ContactPhone
    from tickets.models import Article, Ticket

    number, title, description, contact_id, contact_name, company_name = Ticket.objects.values_list(
        "number", "title", "description", "contact_id", "contact__full_name", "company__name"
    ).get(pk=ticket_id)
    body_parts = [description]
    body_parts.extend(Article.objects.filter(ticket_id=ticket_id).values_list("body", flat=True))
    if contact_id:
        body_parts.append(contact_name)
        emails: list[str] = []
        phones: list[str] = []
        normalized: list[str] = []
        with connection.cursor() as cursor:
            # Emails, then phones, each primary first and then by id (their models' ordering).
            cursor.execute(
                f"SELECT 0 AS kind, email, '' AS normalized, is_primary, id FROM {ContactEmail._meta.db_table}"
                " WHERE contact_id = %s"
                f" UNION ALL SELECT 1, phone, normalized, is_primary, id FROM {ContactPhone._meta.db_table}"
                " WHERE contact_id = %s ORDER BY kind, is_primary DESC, id",
                [contact_id, contact_id],
            )
            for kind, value, value_normalized, _primary, _id in cursor.fetchall():
                if kind == 0:
                    emails.append(value)
                else:
                    phones.append(value)
                    normalized.append(value_normalized)
        body_parts.extend([*emails, *phones, *normalized])
    if company_name:
        body_parts.append(company_name)
    return f"{number} {title}", "\n".join(p for p in body_parts if p)


@lru_cache(maxsize=1)
def _pg_index_sql() -> str:
    """One statement that builds and stores tickets' documents in PostgreSQL (its parameter: a list
    of ticket ids) from exactly the text `_document_parts` gives (heading "number title"; body: the
    description, the articles' bodies in their order, the contact's name, emails, phones and
    normalised phones, the company's name, empty parts left out, joined by newlines) — one round
    trip for any number of tickets instead of four per ticket."""
    from customers.models import Company, Contact, ContactEmail, ContactPhone
    from tickets.models import Article, Ticket

    def agg(column: str, table: str) -> str:
        return (
            f"(SELECT string_agg(NULLIF({column}, ''), E'\\n' ORDER BY is_primary DESC, id)"
            f" FROM {table} WHERE contact_id = t.contact_id)"
        )

    emails, phones = ContactEmail._meta.db_table, ContactPhone._meta.db_table
    body = (
        "concat_ws(E'\\n', NULLIF(t.description, ''),"
        f" (SELECT string_agg(NULLIF(a.body, ''), E'\\n' ORDER BY a.created_at, a.id)"
        f"  FROM {Article._meta.db_table} a WHERE a.ticket_id = t.id),"
        f" NULLIF(c.full_name, ''), {agg('email', emails)}, {agg('phone', phones)},"
        f" {agg('normalized', phones)}, NULLIF(co.name, ''))"
    )
    return (
        f"INSERT INTO {TABLE} (ticket_id, document)"
        " SELECT t.id, setweight(to_tsvector('russian', t.number::text || ' ' || t.title), 'A')"
        f" || setweight(to_tsvector('russian', {body}), 'B')"
        f" FROM {Ticket._meta.db_table} t"
        f" LEFT JOIN {Contact._meta.db_table} c ON c.id = t.contact_id"
        f" LEFT JOIN {Company._meta.db_table} co ON co.id = t.company_id"
        " WHERE t.id = ANY(%s)"
        " ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document"
    )


def index_ticket(ticket_id: int) -> None:
    """Rebuild one ticket's search document (called by the services after each change). Within an
    inbound batch the batch's tickets are rebuilt together at its end (core/deferred.py)."""
    defer_ids(index_tickets, ticket_id)


def index_tickets(ticket_ids: list[int]) -> None:
    """Rebuild the search documents of these tickets (one that does not exist is skipped)."""
    if not ticket_ids:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(_pg_index_sql(), [ticket_ids])
            return
        documents = []
        for ticket_id in ticket_ids:
            try:
                heading, body = _document_parts(ticket_id)
            except ObjectDoesNotExist:
                continue
            documents.append(
                (ticket_id, stemmed_text(heading) + "\n" + stemmed_text(heading) + "\n" + stemmed_text(body))
            )
        cursor.execute(f"DELETE FROM {TABLE} WHERE rowid IN ({', '.join(['%s'] * len(ticket_ids))})", ticket_ids)
        if documents:
            cursor.executemany(f"INSERT INTO {TABLE} (rowid, content) VALUES (%s, %s)", documents)


def _pg_tsquery_sql() -> str:
    # websearch syntax: words AND-ed, "quoted phrases", -exclusions, OR.
    return "websearch_to_tsquery('russian', %s)"


def _fts5_query(query: str) -> str:
    tokens = [t for t in _tokens(query) if t]
    # Each stemmed token as a quoted prefix term, AND-ed: "лифт"* "застря"*
    return " ".join('"' + t.replace('"', "") + '"*' for t in tokens)


def search_ticket_ids(query: str, *, limit: int = 50, candidate_ids_sql: tuple[str, list] | None = None) -> list[int]:
    """Ticket ids matching `query`, best first. `candidate_ids_sql` (SQL, params) restricts the
    result to ids the viewer may see; the caller builds it from a selector's queryset.

    The newest tickets are searched first (ticket ids above max-id minus a window, which the
    index answers together with the full-text index), widening only while fewer than `limit`
    matches were found: a common word then touches a few thousand documents, not the hundreds
    of thousands it matches over all time. The best `limit` of the newest RANK_WINDOW matches
    come back."""
    query = (query or "").strip()
    if not query:
        return []
    restrict_sql, restrict_params = candidate_ids_sql or ("", [])
    with connection.cursor() as cursor:
        if is_postgres():
            column, restrict = "s.ticket_id", f" AND s.ticket_id IN ({restrict_sql})" if restrict_sql else ""
            # The tsquery is written out in the WHERE clause, not computed once in a CTE: only a
            # query the planner can see lets it estimate how common the words are from the column's
            # statistics — and walk the newest documents backwards for a very common word (1 ms)
            # instead of reading its whole posting list from the GIN index (20-30 ms at 1M).
            tsquery = _pg_tsquery_sql()
            sql = (
                f"SELECT r.ticket_id, ts_rank_cd(r.document, {tsquery}) FROM ("
                f" SELECT s.ticket_id, s.document FROM {TABLE} s"
                f" WHERE s.document @@ {tsquery} AND s.ticket_id > %s{restrict}"
                " ORDER BY s.ticket_id DESC LIMIT %s) r"
            )
            matches = [query, query]  # ranked by, and filtered by
        else:
            match = _fts5_query(query)
            if not match:
                return []
            matches = [match]
            column, restrict = "rowid", f" AND rowid IN ({restrict_sql})" if restrict_sql else ""
            # bm25 rank: lower is better; negated so both engines sort "higher is better".
            sql = (
                f"SELECT rowid, -rank FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid > %s{restrict}"
                " ORDER BY rowid DESC LIMIT %s"
            )
        cursor.execute(f"SELECT max({column.split('.')[-1]}) FROM {TABLE}")
        top = cursor.fetchone()[0] or 0
        rows: list[tuple[int, float]] = []
        for span in SEARCH_WINDOWS:
            lower = max(top - span, 0) if span else 0
            cursor.execute(sql, [*matches, lower, *restrict_params, RANK_WINDOW])
            rows = cursor.fetchall()
            if len(rows) >= limit or lower == 0:
                break
        rows.sort(key=lambda row: (-row[1], -row[0]))
        return [row[0] for row in rows[:limit]]
