"""Rule actions: what a rule can do, each through the ticket services (which record their own
events and run the hooks again — the engine's depth limit keeps that from looping).

An action row is {"action": <code>, "value": <value>}. Every action can `plan` (say what it would
change, writing nothing: the editor's "try it") and `apply` (do it). Both return the changes as
short dicts kept in the "rule_fired" event and shown in the ticket history (history.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template import Context as TemplateContext
from django.template import Engine, TemplateSyntaxError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.reference import reference

if TYPE_CHECKING:
    from automation.rules.conditions import Context

Change = dict[str, Any]
REPLY_MAX = 10_000
# Plain-text templates: what the administrator wrote is what the client reads, unescaped.
TEMPLATES = Engine(autoescape=False)


def _ref(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    if hasattr(obj, "name_ru"):
        return {"id": obj.pk, "name_ru": obj.name_ru, "name_en": obj.name_en}
    return {"id": obj.pk, "name": str(obj)}


@dataclass(frozen=True)
class ActionSpec:
    code: str
    label: Promise
    kind: str  # ref | tags | text | reply | recipients | url | escalate
    model: str = ""
    plan: Callable[[Context, Any], list[Change]] | None = None
    apply: Callable[[Context, Any, Any], list[Change]] | None = None


# ── the field setters ──────────────────────────────────────────────────────────────────────────

REF_ATTRS = {"priority": "priorities", "type": "types", "category": "categories", "team": "teams"}


def _reference_row(field: str, pk: int) -> Any:
    ref = reference()
    rows = {"status": ref.statuses, "assignee": ref.users, **{k: getattr(ref, v) for k, v in REF_ATTRS.items()}}
    return rows[field].get(pk)


def _setter(field: str) -> tuple[Callable[[Context, Any], list[Change]], Callable[[Context, Any, Any], list[Change]]]:
    def plan(ctx: Context, value: Any) -> list[Change]:
        new = _reference_row(field, value)
        if new is None or getattr(ctx.ticket, f"{field}_id") == new.pk:
            return []
        if field == "status" and new.is_delay:
            return []
        if field == "assignee" and not new.is_active:
            return []
        return [{"action": f"set_{field}", "new": _ref(new)}]

    def apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
        from tickets import services

        changes = plan(ctx, value)
        if not changes:
            return []
        new = _reference_row(field, value)
        if field == "status":
            done = services.ticket_set_status(ticket=ctx.ticket, actor=None, status=new)
        elif field == "assignee":
            # The person as stored now (the shared staff list may be a second old): the service
            # refuses someone switched off meanwhile.
            from accounts.models import User

            done = services.ticket_assign(ticket=ctx.ticket, actor=None, assignee=User.objects.get(pk=new.pk))
        else:
            done = bool(services.ticket_update(ticket=ctx.ticket, actor=None, **{field: new}))
        return changes if done else []

    return plan, apply


# The setters that go through ticket_update. A rule's consecutive run of them (different fields)
# is applied as one update by `apply_updates`.
UPDATE_SETTERS = {f"set_{field}": field for field in REF_ATTRS}


def plan_updates(ctx: Context, actions: list[tuple[str, Any]]) -> list[tuple[str, Any, list[Change]]]:
    """(field, new row, changes) for each of `actions` (UPDATE_SETTERS, distinct fields) that would
    change the ticket as it is now."""
    planned = []
    for code, value in actions:
        spec = ACTIONS[code]
        assert spec.plan is not None
        changes = spec.plan(ctx, value)
        if changes:
            field = UPDATE_SETTERS[code]
            planned.append((field, _reference_row(field, value), changes))
    return planned


def apply_updates(ctx: Context, planned: list[tuple[str, Any, list[Change]]]) -> list[Change]:
    """Apply what `plan_updates` planned in one ticket_update — one locked read, one save, one SLA
    refresh and one round of hooks instead of one each, an event per field as before. Returns the
    changes made."""
    from tickets import services

    changed = services.ticket_update(ticket=ctx.ticket, actor=None, **{field: row for field, row, _c in planned})
    return [change for field, _row, changes in planned if field in changed for change in changes]


# ── tags ───────────────────────────────────────────────────────────────────────────────────────


def _tags_after(ctx: Context, value: list[str], add: bool) -> tuple[list[str], list[str]]:
    current = list(ctx.ticket.tags.values_list("name", flat=True))
    keys = {name.casefold() for name in current}
    if add:
        extra = [name for name in value if name.casefold() not in keys]
        return current + extra, extra
    gone = {name.casefold() for name in value}
    kept = [name for name in current if name.casefold() not in gone]
    return kept, [name for name in current if name.casefold() in gone]


def _tags(add: bool) -> tuple[Callable[[Context, Any], list[Change]], Callable[[Context, Any, Any], list[Change]]]:
    code = "add_tags" if add else "remove_tags"

    def plan(ctx: Context, value: Any) -> list[Change]:
        _after, moved = _tags_after(ctx, value, add)
        return [{"action": code, "tags": moved}] if moved else []

    def apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
        from tickets.services import ticket_set_tags

        after, moved = _tags_after(ctx, value, add)
        if not moved or not ticket_set_tags(ticket=ctx.ticket, actor=None, tags=after):
            return []
        return [{"action": code, "tags": moved}]

    return plan, apply


# ── articles ───────────────────────────────────────────────────────────────────────────────────


def _render(text: str, ctx: Context) -> str:
    return (
        TEMPLATES.from_string(text)
        .render(
            TemplateContext({"ticket": ctx.ticket, "contact": ctx.ticket.contact if ctx.ticket.contact_id else None})
        )
        .strip()
    )


def _note_plan(ctx: Context, value: Any) -> list[Change]:
    return [{"action": "add_note", "text": _render(value, ctx)[:200]}]


def _note_apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
    from tickets.choices import ArticleKind
    from tickets.services import article_create

    body = _render(value, ctx)
    if not body:
        return []
    article_create(ticket=ctx.ticket, author=None, body=body, kind=ArticleKind.NOTE)
    return [{"action": "add_note", "text": body[:200]}]


def _reply_language(ctx: Context) -> str:
    contact = ctx.ticket.contact if ctx.ticket.contact_id else None
    return "en" if contact is not None and (contact.language or "ru").startswith("en") else "ru"


def _reply_text(ctx: Context, value: dict[str, str]) -> str:
    language = _reply_language(ctx)
    text = value.get(language) or value.get("ru") or value.get("en") or ""
    with translation.override(language):
        return _render(text, ctx)


def _reply_plan(ctx: Context, value: Any) -> list[Change]:
    return [{"action": "send_reply", "text": _reply_text(ctx, value)[:200]}]


def _reply_apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
    from notifications.delivery import article_published
    from tickets.choices import ArticleKind
    from tickets.services import article_create

    body = _reply_text(ctx, value)
    if not body:
        return []
    article = article_create(ticket=ctx.ticket, author=None, body=body, kind=ArticleKind.PUBLIC)
    article_published(article=article)
    return [{"action": "send_reply", "text": body[:200]}]


# ── people ─────────────────────────────────────────────────────────────────────────────────────


def _recipients(ctx: Context, value: list[str]) -> list[Any]:
    from accounts.models import Team, User

    ticket: Any = ctx.ticket
    users: list[Any] = []
    user_ids = [int(v.split(":")[1]) for v in value if v.startswith("user:")]
    team_ids = [int(v.split(":")[1]) for v in value if v.startswith("team:")]
    if "assignee" in value and ticket.assignee_id:
        users.append(ticket.assignee)
    if "supervisor" in value and ticket.team_id and ticket.team.supervisor_id:
        users.append(ticket.team.supervisor)
    if user_ids:
        users += list(User.objects.filter(pk__in=user_ids))
    if team_ids:
        users += list(User.objects.filter(teams__in=Team.objects.filter(pk__in=team_ids, is_active=True)))
    seen: set[int] = set()
    result = []
    for user in users:
        if user.pk not in seen and user.is_active and user.is_agent_side:
            seen.add(user.pk)
            result.append(user)
    return result


def _notify_text(rule: Any, ticket: Any, escalation: bool) -> Callable[[], str]:
    def text() -> str:
        words = {"rule": rule.name, "number": ticket.number, "title": ticket.title}
        if escalation:
            return _("Escalation by rule “%(rule)s”: #%(number)s %(title)s") % words
        return _("Rule “%(rule)s”: #%(number)s %(title)s") % words

    return text


def _notify_plan(ctx: Context, value: Any) -> list[Change]:
    people = _recipients(ctx, value)
    return [{"action": "notify", "to": [str(u) for u in people]}] if people else []


def _notify_apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
    from notifications.services import notify_many

    people = _recipients(ctx, value)
    if not people:
        return []
    notify_many([(people, _notify_text(rule, ctx.ticket, False), "rule", ctx.ticket)])
    return [{"action": "notify", "to": [str(u) for u in people]}]


def _escalation_target(ctx: Context, value: Any) -> Any:
    if value:
        return reference().users.get(int(value))
    ticket: Any = ctx.ticket
    return ticket.team.supervisor if ticket.team_id and ticket.team.supervisor_id else None


def _escalate_plan(ctx: Context, value: Any) -> list[Change]:
    person = _escalation_target(ctx, value)
    return [{"action": "escalate", "to": str(person)}] if person is not None and person.is_active else []


def _escalate_apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
    """Tell the person (the team's supervisor unless one is chosen) and make them an observer."""
    from notifications.services import notify_many
    from tickets.services import ticket_set_observers

    changes = _escalate_plan(ctx, value)
    if not changes:
        return []
    person = _escalation_target(ctx, value)
    notify_many([([person], _notify_text(rule, ctx.ticket, True), "rule_escalation", ctx.ticket)])
    observers = list(ctx.ticket.observers.all())
    if person.pk not in {u.pk for u in observers}:
        ticket_set_observers(ticket=ctx.ticket, actor=None, observers=[*observers, person])
    return changes


# ── webhook ────────────────────────────────────────────────────────────────────────────────────


def webhook_payload(ctx: Context, rule: Any) -> dict[str, Any]:
    from django.conf import settings

    ticket: Any = ctx.ticket
    return {
        "event": "rule_fired",
        "rule": {"id": rule.pk, "name": rule.name},
        "trigger": ctx.trigger,
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "title": ticket.title,
            "status": ticket.status.code,
            "priority": ticket.priority.code,
            "team": ticket.team.code if ticket.team_id else None,
            "assignee": ticket.assignee.email if ticket.assignee_id else None,
            "company": ticket.company.name if ticket.company_id else None,
            "channel": ticket.channel,
            "url": f"{settings.OTKLIK_BASE_URL}/tickets/{ticket.number}/",
        },
        "fired_at": ctx.now.isoformat(),
    }


def _webhook_plan(ctx: Context, value: Any) -> list[Change]:
    return [{"action": "webhook", "url": value}]


def _webhook_apply(ctx: Context, value: Any, rule: Any) -> list[Change]:
    """Queue the POST in the outbox (sent after commit, retried; automation/rules/webhooks.py)."""
    from notifications.models import OutboxKind
    from notifications.outbox import ComposedChatMessage, outbox_enqueue

    body = json.dumps(webhook_payload(ctx, rule), ensure_ascii=False).encode()
    outbox_enqueue(
        kind=OutboxKind.WEBHOOK,
        channel="webhook",
        dedup_key=f"webhook:{rule.pk}:{ctx.ticket.pk}:{uuid.uuid4().hex}",
        compose=lambda: ComposedChatMessage(recipient=value, payload=body, subject=rule.name[:200]),
        ticket=ctx.ticket,
    )
    return [{"action": "webhook", "url": value}]


def _spec(code: str, label: Promise, kind: str, model: str, pair: tuple[Any, Any]) -> ActionSpec:
    return ActionSpec(code, label, kind, model, pair[0], pair[1])


ACTIONS: dict[str, ActionSpec] = {
    spec.code: spec
    for spec in (
        _spec("set_priority", gettext_lazy("Set priority"), "ref", "tickets.Priority", _setter("priority")),
        _spec("set_type", gettext_lazy("Set type"), "ref", "tickets.TicketType", _setter("type")),
        _spec(
            "set_category", gettext_lazy("Set service category"), "ref", "tickets.ServiceCategory", _setter("category")
        ),
        _spec("set_team", gettext_lazy("Set team"), "ref", "accounts.Team", _setter("team")),
        _spec("set_assignee", gettext_lazy("Assign to"), "ref", "accounts.User", _setter("assignee")),
        _spec("set_status", gettext_lazy("Set status"), "ref", "tickets.Status", _setter("status")),
        _spec("add_tags", gettext_lazy("Add tags"), "tags", "", _tags(True)),
        _spec("remove_tags", gettext_lazy("Remove tags"), "tags", "", _tags(False)),
        _spec("add_note", gettext_lazy("Add an internal note"), "text", "", (_note_plan, _note_apply)),
        _spec("send_reply", gettext_lazy("Send a reply to the client"), "reply", "", (_reply_plan, _reply_apply)),
        _spec("notify", gettext_lazy("Notify"), "recipients", "", (_notify_plan, _notify_apply)),
        _spec("escalate", gettext_lazy("Escalate"), "escalate", "", (_escalate_plan, _escalate_apply)),
        _spec("webhook", gettext_lazy("Call a webhook"), "url", "", (_webhook_plan, _webhook_apply)),
    )
}


def _template(text: str) -> str:
    try:
        TEMPLATES.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("The template has an error: %(error)s") % {"error": exc}) from None
    return text


def clean_action(row: Any) -> dict[str, Any]:
    """An action row checked and normalized, or ValidationError saying what is wrong."""
    if not isinstance(row, dict) or row.get("action") not in ACTIONS:
        raise ValidationError(_("Choose an action."))
    spec = ACTIONS[row["action"]]
    value: Any = row.get("value")
    if spec.kind == "ref":
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose a value for “%(action)s”.") % {"action": spec.label}) from None
    elif spec.kind == "tags":
        names = value if isinstance(value, list) else str(value or "").split(",")
        value = list(dict.fromkeys(str(n).strip()[:64] for n in names if str(n).strip()))
        if not value:
            raise ValidationError(_("Write at least one tag."))
    elif spec.kind == "text":
        value = _template(str(value or "").strip()[:REPLY_MAX])
        if not value:
            raise ValidationError(_("Write the text of the note."))
    elif spec.kind == "reply":
        if not isinstance(value, dict):
            value = {"ru": str(value or "")}
        value = {lang: _template(str(value.get(lang) or "").strip()[:REPLY_MAX]) for lang in ("ru", "en")}
        if not value["ru"] and not value["en"]:
            raise ValidationError(_("Write the reply in Russian, English or both."))
    elif spec.kind == "recipients":
        items = value if isinstance(value, list) else []
        good = [
            str(v)
            for v in items
            if v in ("assignee", "supervisor") or (str(v).split(":")[0] in ("user", "team") and str(v)[5:].isdigit())
        ]
        if not good:
            raise ValidationError(_("Choose whom to notify."))
        value = good
    elif spec.kind == "url":
        value = str(value or "").strip()
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValidationError(_("Give the webhook's full address, starting with https:// or http://.")) from None
    elif spec.kind == "escalate":
        value = int(value) if value not in (None, "") else None
    return {"action": spec.code, "value": value}
