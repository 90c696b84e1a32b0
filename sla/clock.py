"""A ticket's SLA clocks computed from its history — pure functions, no database.

Inputs are a `Timeline` (when the first message arrived, which stretches were paused or
resolved, the client's messages and the agents' public replies) and the `Targets` of the policy
for the ticket's priority. Because everything is recomputed from history, a change of priority,
policy or calendar gives the deadlines the ticket would have had all along.

Rules:
- Every clock starts when the first message reached the channel (`Timeline.start`).
- Time in a status that pauses the SLA is not counted; neither is time a ticket spent resolved
  or closed (a reopened ticket's resolution clock carries on from where it stopped).
- First response: met by the first public reply of an agent.
- Next response: each client message arriving after an agent's reply opens an episode, met by
  the next public agent reply. Only the open (or last) episode is reported; any missed episode
  marks the ticket breached.
- Resolution: met when the ticket is resolved (or closed) and stays so.
- A target is breached when its counted time passed the target before it was met (met late
  stays breached).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sla.business_time import ALWAYS, BusinessClock

RUNNING, PAUSED, MET, BREACHED = "running", "paused", "met", "breached"


@dataclass(frozen=True)
class Target:
    minutes: int | None
    business: bool = True


@dataclass(frozen=True)
class Targets:
    first_response: Target = Target(None)
    next_response: Target = Target(None)
    resolution: Target = Target(None)


@dataclass(frozen=True)
class Timeline:
    start: datetime
    # Stretches when the clock stood still: paused statuses and resolved/closed periods,
    # (from, to) with to=None while it lasts.
    stopped: Sequence[tuple[datetime, datetime | None]] = ()
    # Of those, the stretches the ticket was resolved/closed (to=None: it is now).
    resolved: Sequence[tuple[datetime, datetime | None]] = ()
    client_messages: Sequence[datetime] = ()  # received times of public client articles
    agent_replies: Sequence[datetime] = ()  # times of public agent replies


@dataclass
class TargetClock:
    state: str = ""
    due: datetime | None = None
    met_at: datetime | None = None
    started: datetime | None = None
    remaining_seconds: float | None = None  # while paused: counted time left


@dataclass
class ClockResult:
    first_response: TargetClock = field(default_factory=TargetClock)
    next_response: TargetClock = field(default_factory=TargetClock)
    resolution: TargetClock = field(default_factory=TargetClock)
    paused_seconds: int = 0
    paused_since: datetime | None = None
    breached: bool = False
    next_response_episodes_breached: int = 0

    @property
    def due(self) -> datetime | None:
        """The nearest deadline not met yet (running, or already missed and still open)."""
        clocks = (self.first_response, self.next_response, self.resolution)
        dues = [c.due for c in clocks if c.due and c.met_at is None and c.state in (RUNNING, BREACHED)]
        return min(dues) if dues else None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _segments(
    start: float, stopped: Sequence[tuple[float, float | None]], until: float
) -> list[tuple[float, float | None]]:
    """The running stretches from `start` to `until` outside `stopped`. With until=inf the last
    stretch is open-ended (end None) — unless the clock is stopped now."""
    segments: list[tuple[float, float | None]] = []
    cursor = start
    for frm, to in sorted(stopped, key=lambda s: s[0]):
        if to is not None and to <= cursor:
            continue
        if frm > cursor:
            end = min(frm, until)
            segments.append((cursor, end))
            if frm >= until:
                return segments
        if to is None:
            return segments
        cursor = max(cursor, to)
        if cursor >= until:
            return segments
    if until == float("inf"):
        segments.append((cursor, None))
    elif cursor < until:
        segments.append((cursor, until))
    return segments


def _due(
    clock: BusinessClock, start: float, seconds: float, stopped: Sequence[tuple[float, float | None]]
) -> tuple[float | None, float | None]:
    """(due, remaining while stopped): when `seconds` of counted time from `start` run out."""
    remaining = seconds
    for frm, to in _segments(start, stopped, float("inf")):
        if to is None:
            return clock.add_ts(frm, remaining), None
        available = clock.elapsed_ts(frm, to)
        if remaining <= available:
            return clock.add_ts(frm, remaining), None
        remaining -= available
    return None, remaining  # stopped now, with this much left


def _counted(clock: BusinessClock, start: float, end: float, stopped: Sequence[tuple[float, float | None]]) -> float:
    total = 0.0
    for frm, to in _segments(start, stopped, end):
        total += clock.elapsed_ts(frm, end if to is None else to)
    return total


def _target(
    target: Target,
    clock: BusinessClock,
    start: float,
    met: float | None,
    stopped: Sequence[tuple[float, float | None]],
    now: float,
) -> TargetClock:
    if target.minutes is None:
        return TargetClock()
    use = clock if target.business else ALWAYS
    seconds = target.minutes * 60.0
    result = TargetClock(started=_dt(start))
    if met is not None:
        result.met_at = _dt(met)
        due, _left = _due(use, start, seconds, [s for s in stopped if s[0] < met])
        result.due = _dt(due) if due is not None else None
        counted = _counted(use, start, met, stopped)
        result.state = BREACHED if counted > seconds else MET
        return result
    due, left = _due(use, start, seconds, stopped)
    if due is None:
        counted = _counted(use, start, now, stopped)
        result.state = BREACHED if counted > seconds else PAUSED
        result.remaining_seconds = left
        return result
    result.due = _dt(due)
    result.state = BREACHED if now > due else RUNNING
    return result


def compute(targets: Targets, timeline: Timeline, clock: BusinessClock, now: datetime) -> ClockResult:
    now_ts = _ts(now)
    start = _ts(timeline.start)
    stopped = [(_ts(a), _ts(b) if b is not None else None) for a, b in timeline.stopped]
    replies = sorted(_ts(r) for r in timeline.agent_replies if _ts(r) >= start)
    messages = sorted(_ts(m) for m in timeline.client_messages)
    result = ClockResult()

    # Paused time (wall clock) and whether the clock stands still now.
    for frm, to in stopped:
        result.paused_seconds += max(0, int((to if to is not None else now_ts) - frm))
        if to is None:
            result.paused_since = _dt(frm)

    first_reply = replies[0] if replies else None
    result.first_response = _target(targets.first_response, clock, start, first_reply, stopped, now_ts)

    # Next response: episodes opened by client messages after an agent reply.
    if targets.next_response.minutes is not None and first_reply is not None:
        episode_start: float | None = None
        last: TargetClock | None = None
        breached = 0
        for moment in sorted([(m, "client") for m in messages] + [(r, "agent") for r in replies]):
            ts, who = moment
            if who == "client" and ts > first_reply and episode_start is None:
                episode_start = ts
            elif who == "agent" and episode_start is not None:
                last = _target(targets.next_response, clock, episode_start, ts, stopped, now_ts)
                breached += last.state == BREACHED
                episode_start = None
        if episode_start is not None:
            last = _target(targets.next_response, clock, episode_start, None, stopped, now_ts)
            breached += last.state == BREACHED
        result.next_response = last or TargetClock()
        result.next_response_episodes_breached = breached

    # Resolution: met when the ticket is resolved now (the start of the current resolved stretch).
    resolved_now = next((_ts(a) for a, b in timeline.resolved if b is None), None)
    # While resolved the clock is stopped; it counts up to the moment of resolution.
    result.resolution = _target(
        targets.resolution,
        clock,
        start,
        resolved_now,
        [s for s in stopped if resolved_now is None or s[0] < resolved_now],
        now_ts,
    )
    result.breached = (
        any(c.state == BREACHED for c in (result.first_response, result.next_response, result.resolution))
        or result.next_response_episodes_breached > 0
    )
    return result
