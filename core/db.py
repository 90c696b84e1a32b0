"""Query helpers that must behave the same on SQLite and PostgreSQL."""

import re

from django.db import connection
from django.db.models import Q


def icontains_q(field: str, text: str) -> Q:
    """`field` contains `text`, ignoring case in any alphabet. SQLite's LIKE folds only ASCII
    letters ("иванов" would miss "Иванов"), so there the match goes through Django's Python
    REGEXP function; PostgreSQL folds Cyrillic in ILIKE/UPPER itself."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__iregex": re.escape(text)})
    return Q(**{f"{field}__icontains": text})
