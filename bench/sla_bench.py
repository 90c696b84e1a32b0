"""SLA benchmark, part 1: due times 8 business hours ahead across holidays, per second on one core.

Uses the seeded Russian production calendar (Moscow, Mon–Fri 09:00–18:00): the calendar is
created in memory from `sla.seeding.russian_production_days` — the very rows the migration and the
yearly job write — so no database is needed. Starts are spread over two years, every one of them
a different second, so New Year, May and November holidays and shortened days are crossed.

    uv run python bench/sla_bench.py [--n 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from sla.business_time import BusinessClock, CalendarSpec, parse_intervals, shorten  # noqa: E402
from sla.seeding import HOLIDAY, WORKDAY, russian_production_days  # noqa: E402

EIGHT_HOURS = 8 * 3600


def seeded_russian_clock(years: tuple[int, ...]) -> BusinessClock:
    """The same spec sla.calendars.calendar_spec builds from the seeded rows."""
    weekday = parse_intervals([("09:00", "18:00")])
    week = (weekday,) * 5 + ((), ())
    days = {}
    for year in years:
        for planned in russian_production_days(year):
            if planned.kind == HOLIDAY:
                days[planned.day] = ()
            elif planned.kind == WORKDAY:
                days[planned.day] = week[planned.workday_pattern]
            else:
                base = week[planned.day.weekday()] or week[planned.workday_pattern]
                days[planned.day] = shorten(base, planned.shortened_by_minutes)
    return BusinessClock(CalendarSpec(time_zone="Europe/Moscow", week=week, days=days))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="due times per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best is reported")
    args = parser.parse_args()

    clock = seeded_russian_clock((2025, 2026, 2027))
    first = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    last = datetime(2026, 12, 31, tzinfo=UTC).timestamp()
    rng = random.Random(7)
    starts = [rng.uniform(first, last) for _ in range(args.n)]

    # correctness spot check before timing: Friday 2025-10-31 16:00 MSK + 8 h → Sat 2025-11-01 15:00 MSK
    check = clock.add_ts(datetime.fromisoformat("2025-10-31T16:00+03:00").timestamp(), EIGHT_HOURS)
    assert datetime.fromtimestamp(check, UTC).isoformat() == "2025-11-01T12:00:00+00:00", check

    add = clock.add_ts
    add(first, EIGHT_HOURS)  # warm the per-day cache the way a long-running worker has it
    for start in starts:
        add(start, EIGHT_HOURS)
    best = float("inf")
    for _ in range(args.repeat):
        began = time.perf_counter()
        for start in starts:
            add(start, EIGHT_HOURS)
        best = min(best, time.perf_counter() - began)
    cold_clock = seeded_russian_clock((2025, 2026, 2027))
    began = time.perf_counter()
    for start in starts:
        cold_clock.add_ts(start, EIGHT_HOURS)
    cold = time.perf_counter() - began

    moments = [datetime.fromtimestamp(start, UTC) for start in starts]
    eight = timedelta(hours=8)
    began = time.perf_counter()
    for moment in moments:
        clock.add(moment, eight)
    on_datetimes = args.n / (time.perf_counter() - began)

    rate = args.n / best
    print(f"due times 8 business hours ahead, Russian calendar 2025–2026, one core (Python {sys.version.split()[0]})")
    print(f"  warm clock: {rate:,.0f} per second (best of {args.repeat} × {args.n:,})")
    print(f"  fresh clock, days compiled on the way: {args.n / cold:,.0f} per second")
    print(f"  warm clock, aware datetimes in and out (BusinessClock.add): {on_datetimes:,.0f} per second")
    print(f"  goal ≥ 50,000 per second: {'met' if rate >= 50_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
