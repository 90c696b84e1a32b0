"""Agents' alerts about ticket changes, hung on tickets/hooks.py (registered in
NotificationsConfig.ready()). See docs/architecture/notifications.md, "Alerts".

Who hears what:
- ticket_new — a ticket lands in a team's queue (created there, or moved there): the team's active
  agents, supervisors and administrators, and the team's supervisor; a new ticket with no team
  and no assignee: every active agent, supervisor and administrator (they triage it). Not field engineers and
  contractors: they work on what is assigned to them (contractors see nothing else), so a team's
  every new request would be noise to them. Not the person who made the change, not the assignee
  (who hears "assigned" instead).
- ticket_assigned — the new assignee, unless they took the ticket themselves.
- client_replied — the assignee, when the client (or a channel on the client's behalf) writes.

One change can run several hooks (a ticket created, then routed and assigned by automation in the
same transaction). A person never gets two alerts about one ticket that are both still waiting —
unread and not yet sent out: the weightier kind (choices.KIND_WEIGHT) replaces the lighter one
in place, and a lighter or equal one is dropped. Alerts are written in bulk (notify_many): a ticket
from the intake pipeline costs a fixed handful of queries, however big the team.

The hooks run after other apps' (order HOOK_ORDER): automation may reroute or assign a new ticket
inside its own "created" hook, and the "created" alert then reads the ticket as it ended up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Team, User
from core.batch_memo import batch_cached
from notifications.choices import KIND_WEIGHT, AlertKind
from notifications.models import Notification
from notifications.services import notify_many
from tickets.choices import AuthorKind
from tickets.models import Article, Ticket

HOOK_ORDER = 1000
NEW_TICKET_ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)


def _new_text(ticket: Ticket) -> Callable[[], str]:
    return lambda: _("New ticket №%(number)s: %(title)s") % {"number": ticket.number, "title": ticket.title}


def _assigned_text(ticket: Ticket) -> Callable[[], str]:
    return lambda: (
        _("Ticket №%(number)s is assigned to you: %(title)s")
        % {
            "number": ticket.number,
            "title": ticket.title,
        }
    )


def _replied_text(ticket: Ticket) -> Callable[[], str]:
    return lambda: (
        _("The client wrote on ticket №%(number)s: %(title)s")
        % {
            "number": ticket.number,
            "title": ticket.title,
        }
    )


TEXTS = {
    AlertKind.TICKET_NEW: _new_text,
    AlertKind.TICKET_ASSIGNED: _assigned_text,
    AlertKind.CLIENT_REPLIED: _replied_text,
}


def _team_members(team_id: int) -> list[User]:
    """The people a new ticket in the team is announced to (module rule), in one query, once per
    batch of the inbound worker (core/batch_memo.py)."""

    def load() -> list[User]:
        supervisor = Team.objects.filter(pk=team_id).values("supervisor_id")
        return list(
            User.objects.filter(Q(teams__id=team_id) | Q(pk__in=supervisor), is_active=True, role__in=NEW_TICKET_ROLES)
            .distinct()
            .order_by("pk")
        )

    return batch_cached(("team-announced", team_id), load)


def _send(ticket: Ticket, wanted: Mapping[str, Iterable[User]]) -> None:
    """Alert each person in `wanted` (kind → people) once about `ticket`, merging with the alerts
    about it they have not read and not been sent yet (module rule)."""
    people = {user.pk: (kind, user) for kind, users in wanted.items() for user in users}
    if not people:
        return
    # A person listed under two kinds keeps the weightier.
    for kind, users in wanted.items():
        for user in users:
            if KIND_WEIGHT[AlertKind(kind)] > KIND_WEIGHT[AlertKind(people[user.pk][0])]:
                people[user.pk] = (kind, user)
    waiting = {
        row.user_id: row
        for row in Notification.objects.filter(
            ticket=ticket,
            user_id__in=list(people),
            kind__in=list(KIND_WEIGHT),
            read_at__isnull=True,
            emailed_at__isnull=True,
        ).order_by("id")
    }
    items: dict[str, list[User]] = {}
    for user_id, (kind, user) in people.items():
        row = waiting.get(user_id)
        if row is None:
            items.setdefault(kind, []).append(user)
        elif KIND_WEIGHT[AlertKind(kind)] > KIND_WEIGHT[AlertKind(row.kind)]:
            _upgrade(row, kind, ticket, user)
    notify_many([(users, TEXTS[AlertKind(kind)](ticket), kind, ticket) for kind, users in items.items()])


def _upgrade(row: Notification, kind: str, ticket: Ticket, user: User) -> None:
    from django.utils import translation

    with translation.override(user.language or "ru"):
        text = TEXTS[AlertKind(kind)](ticket)()
    Notification.objects.filter(pk=row.pk).update(kind=kind, text=text[:500])


def _not_actor(users: Iterable[User], actor: User | None) -> list[User]:
    return [user for user in users if actor is None or user.pk != actor.pk]


def ticket_created_alerts(*, ticket: Ticket, actor: User | None, **_context: object) -> None:
    """A new ticket: its team hears "new ticket", its assignee "assigned to you" — as the "created"
    round leaves them: the hooks before this one that change the ticket (rules, assignment) hand
    on the row as it is now (tickets/hooks.py), so it is not read again."""
    team_id, assignee_id = ticket.team_id, ticket.assignee_id
    wanted: dict[str, list[User]] = {}
    assignee = User.objects.filter(pk=assignee_id).first() if assignee_id else None
    if assignee is not None:
        wanted[AlertKind.TICKET_ASSIGNED] = _not_actor([assignee], actor)
    if team_id:
        members = [user for user in _team_members(team_id) if user.pk != assignee_id]
        wanted[AlertKind.TICKET_NEW] = _not_actor(members, actor)
    elif assignee_id is None:
        wanted[AlertKind.TICKET_NEW] = _not_actor(_triagers(), actor)
    _send(ticket, wanted)


def _triagers() -> list[User]:
    """Who hears of a new ticket that no team and no one has (a missed call, a web request without
    a category, mail to a mailbox without a team): everyone who sees such tickets to triage them —
    agents, supervisors, administrators (docs/architecture/visibility.md). Without this nobody
    would, and it would wait in "All open" until someone looked."""
    return batch_cached(
        "triagers",
        lambda: list(User.objects.filter(is_active=True, role__in=NEW_TICKET_ROLES).order_by("pk")),
    )


def ticket_updated_alerts(*, ticket: Ticket, actor: User | None, changed: frozenset[str], **_context: object) -> None:
    """Moved to a team: the team hears "new ticket"; given to someone: they hear "assigned"."""
    if not {"assignee", "team"} & changed:
        return
    wanted: dict[str, list[User]] = {}
    if "assignee" in changed and ticket.assignee_id and ticket.assignee is not None:
        wanted[AlertKind.TICKET_ASSIGNED] = _not_actor([ticket.assignee], actor)
    if "team" in changed and ticket.team_id:
        members = [user for user in _team_members(ticket.team_id) if user.pk != ticket.assignee_id]
        wanted[AlertKind.TICKET_NEW] = _not_actor(members, actor)
    _send(ticket, wanted)


def article_added_alerts(
    *, ticket: Ticket, actor: User | None, article: Article | None = None, **_context: object
) -> None:
    """The client wrote on an assigned ticket: the assignee hears of it."""
    if article is None or article.author_kind != AuthorKind.CONTACT or not ticket.assignee_id:
        return
    if ticket.assignee is None:  # (only to narrow the type: assignee_id is set)
        return
    _send(ticket, {AlertKind.CLIENT_REPLIED: [ticket.assignee]})


def alerts_register() -> None:
    from tickets.hooks import hook_register

    hook_register("created", ticket_created_alerts, order=HOOK_ORDER)
    # A new ticket's team and assignee, however rules and assignment set them, are announced once
    # by ticket_created_alerts, which reads them as the "created" round leaves them.
    hook_register("updated", ticket_updated_alerts, order=HOOK_ORDER, covered_by_created=True)
    hook_register("article_added", article_added_alerts, order=HOOK_ORDER)
