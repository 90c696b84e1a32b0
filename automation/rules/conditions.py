"""Rule conditions: what a rule can look at, how a stored condition row is checked and compiled.

A condition row is {"field": <code>, "op": <op>, "value": <value>}; all rows of a rule must
match. Each field has a cost: the engine checks a rule's rows cheapest first (fields of the
loaded ticket, then related rows, then text, then database counts), so a count query runs only
for tickets every cheaper condition let through. See docs/architecture/automation-rules.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from automation.rules.text import Matcher, Words, parse_patterns
from tickets.choices import Channel, StatusCategory

if TYPE_CHECKING:
    from accounts.models import User
    from tickets.models import Article, Ticket

# How long a regex may be, and how much text a condition reads (a pasted log is not a message).
REGEX_MAX = 500
TEXT_MAX = 20_000


class Context:
    """One ticket event being evaluated: the ticket as loaded by the service that changed it, and
    what the conditions need from around it, each read at most once."""

    def __init__(
        self,
        *,
        ticket: Ticket,
        trigger: str,
        article: Article | None = None,
        changed: frozenset[str] = frozenset(),
        actor: User | None = None,
        now: datetime | None = None,
        business_clock: Callable[[], Any] | None = None,
    ) -> None:
        self.ticket = ticket
        self.trigger = trigger
        self.article = article
        self.changed = changed
        self.actor = actor
        self.now = now or timezone.now()
        self._business_clock = business_clock

    @cached_property
    def text(self) -> str:
        body = self.article.body if self.article is not None else self.ticket.description
        return f"{self.ticket.title}\n{body or ''}"[:TEXT_MAX]

    @cached_property
    def words(self) -> Words:
        return Words(self.text)

    @cached_property
    def company(self) -> Any:
        return self.ticket.company if self.ticket.company_id else None

    @cached_property
    def contract(self) -> Any:
        return self.ticket.contract if self.ticket.contract_id else None

    @cached_property
    def tag_keys(self) -> frozenset[str]:
        # One plain query (no ORM query building: a tags condition runs on every event).
        from django.db import connection

        from tickets.models import Tag, Ticket

        through = Ticket.tags.through._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.key FROM {Tag._meta.db_table} t JOIN {through} tt ON tt.tag_id = t.id "
                "WHERE tt.ticket_id = %s",
                [self.ticket.pk],
            )
            return frozenset(row[0] for row in cursor.fetchall())

    def recent_count(self, column: str, key: int, hours: int, enough: int) -> int:
        """Tickets with `column` = `key` created in the last `hours` — counted up to `enough`
        (no need to count further), once per evaluation for each question."""
        from tickets.models import Ticket

        cache = self.__dict__.setdefault("_counts", {})
        known = cache.get((column, hours))
        if known is not None and (known[1] or known[0] >= enough):
            return int(known[0])
        since = self.now - timedelta(hours=hours)
        found = len(Ticket.objects.filter(**{column: key, "created_at__gte": since}).values("pk")[:enough])
        cache[(column, hours)] = (found, found < enough)  # (count, whether it is the full count)
        return found

    @cached_property
    def local_now(self) -> datetime:
        return timezone.localtime(self.now)

    def refresh(self) -> None:
        """The ticket changed under us (a rule's actions): read it again, forget what was derived."""
        from tickets.reference import ticket_refresh

        ticket_refresh(self.ticket)
        for name in ("company", "contract", "tag_keys", "text", "words", "_counts"):
            self.__dict__.pop(name, None)


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: Promise
    kind: str  # ref | choice | bool | words | regex | tags | changed | weekday | count
    cost: int
    model: str = ""  # ref fields: "app_label.Model" offering the choices
    read: Callable[[Context], Any] | None = None


def _company_category(ctx: Context) -> int | None:
    return ctx.company.category_id if ctx.company is not None else None


def _vip(ctx: Context) -> bool:
    company = ctx.company
    return bool(company is not None and company.category_id and company.category.is_vip)


def _equipment_kind(ctx: Context) -> int | None:
    ticket: Any = ctx.ticket
    return ticket.equipment.kind_id if ticket.equipment_id else None


def _debt(ctx: Context) -> bool:
    from contracts.models import PaymentState

    contract = ctx.contract
    return bool(contract is not None and contract.payment_state == PaymentState.DEBT)


def _business_hours(ctx: Context) -> bool:
    clock = ctx._business_clock() if ctx._business_clock is not None else None
    return True if clock is None else bool(clock.is_working(ctx.now))


FIELDS: dict[str, FieldSpec] = {
    spec.code: spec
    for spec in (
        FieldSpec("priority", gettext_lazy("Priority"), "ref", 1, "tickets.Priority", lambda c: c.ticket.priority_id),
        FieldSpec("status", gettext_lazy("Status"), "ref", 1, "tickets.Status", lambda c: c.ticket.status_id),
        FieldSpec(
            "status_category",
            gettext_lazy("Status category"),
            "choice",
            1,
            read=lambda c: c.ticket.status_category,
        ),
        FieldSpec("type", gettext_lazy("Type"), "ref", 1, "tickets.TicketType", lambda c: c.ticket.type_id),
        FieldSpec(
            "category",
            gettext_lazy("Service category"),
            "ref",
            1,
            "tickets.ServiceCategory",
            lambda c: c.ticket.category_id,
        ),
        FieldSpec("team", gettext_lazy("Team"), "ref", 1, "accounts.Team", lambda c: c.ticket.team_id),
        FieldSpec("assignee", gettext_lazy("Assignee"), "ref", 1, "accounts.User", lambda c: c.ticket.assignee_id),
        FieldSpec("channel", gettext_lazy("Channel"), "choice", 1, read=lambda c: c.ticket.channel),
        FieldSpec("company", gettext_lazy("Company"), "ref", 1, "customers.Company", lambda c: c.ticket.company_id),
        FieldSpec("site", gettext_lazy("Site"), "ref", 1, "customers.Site", lambda c: c.ticket.site_id),
        FieldSpec(
            "covered", gettext_lazy("Covered by a contract"), "bool", 1, read=lambda c: bool(c.ticket.contract_id)
        ),
        FieldSpec("changed", gettext_lazy("Changed fields"), "changed", 1, read=lambda c: c.changed),
        FieldSpec("weekday", gettext_lazy("Weekday"), "weekday", 1, read=lambda c: c.local_now.weekday()),
        FieldSpec(
            "company_category",
            gettext_lazy("Client category"),
            "ref",
            2,
            "customers.CompanyCategory",
            _company_category,
        ),
        FieldSpec("vip", gettext_lazy("VIP client"), "bool", 2, read=_vip),
        FieldSpec(
            "equipment_kind",
            gettext_lazy("Equipment kind"),
            "ref",
            2,
            "assets.EquipmentKind",
            _equipment_kind,
        ),
        FieldSpec("debt", gettext_lazy("Contract in debt"), "bool", 2, read=_debt),
        FieldSpec("business_hours", gettext_lazy("Within business hours"), "bool", 2, read=_business_hours),
        FieldSpec("tags", gettext_lazy("Tags"), "tags", 3, read=lambda c: c.tag_keys),
        FieldSpec("text", gettext_lazy("Text contains any of the words"), "words", 4),
        FieldSpec("regex", gettext_lazy("Text matches a regular expression"), "regex", 5),
        FieldSpec("recent_tickets", gettext_lazy("Recent tickets from the same place"), "count", 9),
    )
}

OPS: dict[str, tuple[tuple[str, Promise], ...]] = {
    "ref": (
        ("in", gettext_lazy("is one of")),
        ("not_in", gettext_lazy("is none of")),
        ("empty", gettext_lazy("is empty")),
        ("not_empty", gettext_lazy("is set")),
    ),
    "choice": (("in", gettext_lazy("is one of")), ("not_in", gettext_lazy("is none of"))),
    "bool": (("yes", gettext_lazy("yes")), ("no", gettext_lazy("no"))),
    "words": (("any", gettext_lazy("contains any")), ("none", gettext_lazy("contains none"))),
    "regex": (("match", gettext_lazy("matches")), ("no_match", gettext_lazy("does not match"))),
    "tags": (("any", gettext_lazy("has any of")), ("none", gettext_lazy("has none of"))),
    "changed": (("any", gettext_lazy("any of these changed")),),
    "weekday": (("in", gettext_lazy("is one of")), ("not_in", gettext_lazy("is none of"))),
    "count": (("gte", gettext_lazy("at least")),),
}

CHOICE_VALUES: dict[str, list[tuple[str, Any]]] = {
    "status_category": list(StatusCategory.choices),
    "channel": list(Channel.choices),
}
CHANGEABLE_FIELDS = (
    ("priority", gettext_lazy("Priority")),
    ("status", gettext_lazy("Status")),
    ("type", gettext_lazy("Type")),
    ("category", gettext_lazy("Service category")),
    ("team", gettext_lazy("Team")),
    ("assignee", gettext_lazy("Assignee")),
    ("tags", gettext_lazy("Tags")),
    ("company", gettext_lazy("Company")),
    ("site", gettext_lazy("Site")),
    ("equipment", gettext_lazy("Equipment")),
    ("title", gettext_lazy("Subject")),
)
WEEKDAYS = (
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
)
COUNT_SCOPES = (
    ("site", gettext_lazy("the same site")),
    ("company", gettext_lazy("the same company")),
    ("contact", gettext_lazy("the same contact")),
)
COUNT_MAX_HOURS = 24 * 31


def _ints(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise ValidationError(_("Choose at least one value."))
    try:
        result = [int(v) for v in value]
    except (TypeError, ValueError):
        raise ValidationError(_("Choose values from the list.")) from None
    if not result:
        raise ValidationError(_("Choose at least one value."))
    return result


def clean_condition(row: Any) -> dict[str, Any]:
    """A condition row checked and normalized, or ValidationError saying what is wrong."""
    if not isinstance(row, dict):
        raise ValidationError(_("A condition must be a field, a comparison and a value."))
    spec = FIELDS.get(str(row.get("field", "")))
    if spec is None:
        raise ValidationError(_("Unknown condition field %(field)s.") % {"field": row.get("field")})
    op = str(row.get("op", ""))
    if op not in dict(OPS[spec.kind]):
        raise ValidationError(_("Choose a comparison for “%(field)s”.") % {"field": spec.label})
    value = row.get("value")
    kind = spec.kind
    if kind == "ref":
        value = [] if op in ("empty", "not_empty") else _ints(value)
    elif kind == "choice":
        allowed = {code for code, _label in CHOICE_VALUES[spec.code]}
        if not isinstance(value, list) or not value or not set(value) <= allowed:
            raise ValidationError(_("Choose at least one value."))
    elif kind == "bool":
        value = None
    elif kind == "words":
        if not parse_patterns(str(value or "")):
            raise ValidationError(_("Write at least one word or phrase."))
        value = str(value).strip()
    elif kind == "regex":
        value = str(value or "").strip()
        if not value or len(value) > REGEX_MAX:
            raise ValidationError(
                _("Write a regular expression of at most %(limit)s characters.") % {"limit": REGEX_MAX}
            )
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(_("The regular expression is not valid: %(error)s") % {"error": exc}) from None
    elif kind == "tags":
        names = value if isinstance(value, list) else str(value or "").split(",")
        value = sorted({str(n).strip().casefold()[:64] for n in names if str(n).strip()})
        if not value:
            raise ValidationError(_("Write at least one tag."))
    elif kind == "changed":
        allowed = {code for code, _label in CHANGEABLE_FIELDS}
        if not isinstance(value, list) or not value or not set(value) <= allowed:
            raise ValidationError(_("Choose at least one field."))
    elif kind == "weekday":
        value = _ints(value)
        if not set(value) <= set(range(7)):
            raise ValidationError(_("Choose weekdays from the list."))
    elif kind == "count":
        if not isinstance(value, dict) or value.get("scope") not in dict(COUNT_SCOPES):
            raise ValidationError(_("Choose where the tickets come from."))
        try:
            hours, minimum = int(value.get("hours") or 0), int(value.get("min") or 0)
        except (TypeError, ValueError):
            raise ValidationError(_("Give the hours and the number of tickets as whole numbers.")) from None
        if not (1 <= hours <= COUNT_MAX_HOURS) or minimum < 1:
            raise ValidationError(
                _("Hours must be between 1 and %(max)s, the number of tickets at least 1.") % {"max": COUNT_MAX_HOURS}
            )
        value = {"scope": value["scope"], "hours": hours, "min": minimum}
    return {"field": spec.code, "op": op, "value": value}


@dataclass(frozen=True)
class Check:
    cost: int
    test: Callable[[Context], bool]


def _count(scope: str, hours: int, minimum: int) -> Callable[[Context], bool]:
    column = f"{scope}_id"

    def test(ctx: Context) -> bool:
        key = getattr(ctx.ticket, column)
        return key is not None and ctx.recent_count(column, key, hours, minimum) >= minimum

    return test


def compile_condition(row: dict[str, Any]) -> Check:
    """The stored row as a test of a Context (rows are cleaned when saved)."""
    spec = FIELDS[row["field"]]
    op, value, read, kind = row["op"], row["value"], spec.read, spec.kind
    if kind in ("ref", "choice", "weekday"):
        assert read is not None
        if op == "empty":
            return Check(spec.cost, lambda c: read(c) is None)
        if op == "not_empty":
            return Check(spec.cost, lambda c: read(c) is not None)
        values = frozenset(value)
        if op == "in":
            return Check(spec.cost, lambda c: read(c) in values)
        return Check(spec.cost, lambda c: read(c) not in values)
    if kind == "bool":
        assert read is not None
        wanted = op == "yes"
        return Check(spec.cost, lambda c: read(c) is wanted)
    if kind in ("tags", "changed"):
        assert read is not None
        wanted_set = frozenset(value)
        if op == "none":
            return Check(spec.cost, lambda c: not (wanted_set & read(c)))
        return Check(spec.cost, lambda c: bool(wanted_set & read(c)))
    if kind == "words":
        matcher = Matcher(parse_patterns(value))
        if op == "none":
            return Check(spec.cost, lambda c: not matcher.matches(c.words))
        return Check(spec.cost, lambda c: matcher.matches(c.words))
    if kind == "regex":
        regex = re.compile(value, re.IGNORECASE)
        if op == "no_match":
            return Check(spec.cost, lambda c: regex.search(c.text) is None)
        return Check(spec.cost, lambda c: regex.search(c.text) is not None)
    return Check(spec.cost, _count(value["scope"], value["hours"], value["min"]))
