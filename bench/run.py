"""Benchmark the real server: for each scale, seed (or reuse) the benchmark database, start gunicorn
(2 sync workers, as in production: docs/adr/0004; --threads N for gthread) against it, log in as
the benchmark agent and drive each scenario with 8 concurrent clients for a fixed time. Prints
latency p50/p99, requests/s and errors per scenario and writes them to bench/results/<time>.json. See bench/README.md.

    uv run python bench/run.py                      # 100k and 1M tickets, seeding each
    uv run python bench/run.py --scales 100000 --reuse
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.seed import BENCH_AGENT_EMAIL, BENCH_PASSWORD, DEFAULT_DATABASE_URL, SEED_INFO_TABLE, migrate  # noqa: E402
from bench.text import EQUIPMENT, SEARCH_QUERIES, TextPools  # noqa: E402

RESULTS_DIR = BASE_DIR / "bench" / "results"
REDIS_URL = "redis://127.0.0.1:6379/15"
# Product goals at 1M tickets: (scenario, metric, limit); p99 in ms at most, req/s at least.
GOALS = [("queue", "p99_ms", 100), ("ticket", "p99_ms", 100), ("search", "p99_ms", 200), ("api_create", "rps", 150)]


def log(message: str) -> None:
    print(message, flush=True)


# --- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn in its own process group, stopped (group and all) on exit, error or signal."""

    def __init__(self, database_url: str, threads: int = 1) -> None:
        self.database_url = database_url
        self.threads = threads
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = RESULTS_DIR / "gunicorn.log"

    def __enter__(self) -> Server:
        uv = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
        command = [
            uv, "run", "gunicorn", "config.wsgi:application", "-w", "2",
            *(["-k", "gthread", "--threads", str(self.threads)] if self.threads > 1 else ["-k", "sync"]),
            "-b", f"127.0.0.1:{self.port}", "--timeout", "120",
        ]  # fmt: skip
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DJANGO_DEBUG": "0",
            "HUEY_BACKEND": "redis",
            "REDIS_URL": REDIS_URL,
            "UV_PYTHON_DOWNLOADS": "never",
            # The benchmark agent makes tens of thousands of API calls an hour: lift the per-user limits.
            "OTKLIK_API_THROTTLE_USER": "100000000/hour",
            "OTKLIK_API_THROTTLE_ANON": "100000/min",
            "OTKLIK_LOGIN_THROTTLE": "1000/min",
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        log_file.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/accounts/login/", timeout=5).status_code < 500:
                    log(f"   gunicorn up at {self.base_url} (pid {self.process.pid})")
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def group(self) -> int:
        """The process group of uv, the gunicorn master and its workers."""
        return self.process.pid if self.process else 0

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _raise_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `with Server(...)` blocks, which stop gunicorn


# --- the data the scenarios need ---------------------------------------------------------------------


@dataclass
class Fixtures:
    team_ids: list[int]
    ten_article_numbers: list[int]
    priority_ids: list[int]
    seeded_tickets: int
    tickets_now: int


def seeded_tickets(url: str) -> int | None:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(f"SELECT tickets FROM {SEED_INFO_TABLE}").fetchone()
            return int(row[0]) if row else None
    except psycopg.Error:
        return None


def load_fixtures(url: str) -> Fixtures:
    with psycopg.connect(url) as conn:
        team_ids = [
            row[0]
            for row in conn.execute(
                "SELECT m.team_id FROM accounts_team_members m JOIN accounts_user u ON u.id = m.user_id"
                " WHERE u.email = %s AND EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.team_id = m.team_id)"
                " ORDER BY m.team_id",
                [BENCH_AGENT_EMAIL],
            )
        ]
        numbers = [
            row[0]
            for row in conn.execute(
                "SELECT t.number FROM tickets_ticket t JOIN (SELECT ticket_id FROM tickets_article GROUP BY ticket_id"
                " HAVING count(*) >= 10) a ON a.ticket_id = t.id ORDER BY t.number"
            )
        ]
        priority_ids = [
            row[0] for row in conn.execute('SELECT id FROM tickets_priority WHERE is_active ORDER BY "order"')
        ]
        seeded = conn.execute(f"SELECT tickets FROM {SEED_INFO_TABLE}").fetchone()[0]
        now = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    return Fixtures(team_ids, numbers, priority_ids, seeded, now)


# --- logging in --------------------------------------------------------------------------------------


def session_cookies(base_url: str) -> dict[str, str]:
    """Log in through the login form, as a browser does: CSRF cookie and token, then the session."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/accounts/login/")
        page.raise_for_status()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if match is None:
            raise RuntimeError("no CSRF token on the login page")
        answer = client.post(
            "/accounts/login/",
            data={"email": BENCH_AGENT_EMAIL, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": f"{base_url}/accounts/login/"},
        )
        if answer.status_code != 302 or "sessionid" not in client.cookies:
            raise RuntimeError(f"login failed: HTTP {answer.status_code}")
        return {"sessionid": client.cookies["sessionid"], "csrftoken": client.cookies.get("csrftoken", "")}


def api_token(base_url: str) -> str | None:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/token/",
        json={"username": BENCH_AGENT_EMAIL, "password": BENCH_PASSWORD},
        timeout=30,
    )
    if answer.status_code != 200:
        log(f"   API token: HTTP {answer.status_code} {answer.text[:200]!r}")
        return None
    return str(answer.json()["token"])


# --- load ----------------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    url: str
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    expect: int = 200


@dataclass
class Scenario:
    name: str
    title: str
    auth: str  # "session" or "token"
    make: Callable[[random.Random], Request]


@dataclass
class Result:
    scale: int
    scenario: str
    title: str
    requests: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rps: float = 0.0
    seconds: float = 0.0
    error_sample: str = ""
    status_counts: dict[str, int] = field(default_factory=dict)
    # CPU accounting over the measured window (Linux /proc): per request, gunicorn's CPU and
    # PostgreSQL's (the benchmark database's backends and the shared background processes); the
    # machine's busy share, and the share busy with anything else than those and this client
    # (other people's work on the machine).
    server_cpu_ms_per_request: float = 0.0
    postgres_cpu_ms_per_request: float = 0.0
    machine_busy_pct: float = 0.0
    other_busy_pct: float = 0.0


def scenarios(fixtures: Fixtures, pools: TextPools) -> list[Scenario]:
    teams, numbers, priorities = fixtures.team_ids, fixtures.ten_article_numbers, fixtures.priority_ids

    def create(rng: random.Random) -> Request:
        equipment = rng.randrange(len(EQUIPMENT))
        body = {
            "title": pools.title(equipment),
            "description": pools.message(equipment, "client"),
            "priority": rng.choice(priorities),
            "channel": "api",
        }
        return Request("POST", "/api/v1/tickets/", body, expect=201)

    return [
        Scenario(
            "queue",
            "Queue «All open» of a team",
            "session",
            lambda rng: Request("GET", f"/tickets/?view=all_open&team={rng.choice(teams)}"),
        ),
        Scenario(
            "ticket",
            "Ticket page, 10 articles",
            "session",
            lambda rng: Request("GET", f"/tickets/{rng.choice(numbers)}/"),
        ),
        Scenario(
            "search",
            "Search (Russian word forms)",
            "session",
            lambda rng: Request("GET", "/tickets/search/", params={"q": rng.choice(SEARCH_QUERIES)}),
        ),
        Scenario(
            "api_list", "API ticket list ?open=true", "token", lambda rng: Request("GET", "/api/v1/tickets/?open=true")
        ),
        Scenario("api_create", "API ticket create", "token", create),
    ]


def drive(
    *,
    base_url: str,
    scenario: Scenario,
    cookies: dict[str, str],
    token: str | None,
    concurrency: int,
    seconds: float,
    seed: int,
) -> tuple[list[float], list[str]]:
    """Run `scenario` from `concurrency` threads for `seconds`; latencies (s) of successes and the
    outcome label of every request ("200", "404", "ConnectError" …)."""
    latencies: list[float] = []
    outcomes: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Token {token}"} if scenario.auth == "token" and token else {}

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        mine: list[float] = []
        labels: list[str] = []
        client_cookies = cookies if scenario.auth == "session" else {}
        with httpx.Client(base_url=base_url, cookies=client_cookies, headers=headers, timeout=60) as client:
            while time.perf_counter() < deadline and not stop.is_set():
                request = scenario.make(rng)
                started = time.perf_counter()
                try:
                    if request.method == "GET":
                        answer = client.get(request.url, params=request.params)
                    else:
                        answer = client.post(request.url, json=request.json)
                    label = str(answer.status_code)
                    ok = answer.status_code == request.expect
                    if not ok and len(labels) < 1 and answer.status_code >= 400:
                        label += " " + answer.text[:300].replace("\n", " ")
                except httpx.HTTPError as exc:
                    label, ok = type(exc).__name__, False
                elapsed = time.perf_counter() - started
                if ok:
                    mine.append(elapsed)
                labels.append(label)
        with lock:
            latencies.extend(mine)
            outcomes.extend(labels)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C or SIGTERM: let the clients go, then stop the server
        stop.set()
        raise
    return latencies, outcomes


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def run_scenario(
    *,
    scale: int,
    base_url: str,
    scenario: Scenario,
    cookies: dict[str, str],
    token: str | None,
    concurrency: int,
    seconds: float,
    warmup: float,
    server_group: int,
    database_url: str,
) -> Result:
    common = {"base_url": base_url, "scenario": scenario, "cookies": cookies, "token": token}
    drive(**common, concurrency=concurrency, seconds=warmup, seed=1)
    database = database_url.rsplit("/", 1)[1].split("?", 1)[0]
    cpu_before = CpuSample.take(server_group, database)
    started = time.perf_counter()
    latencies, outcomes = drive(**common, concurrency=concurrency, seconds=seconds, seed=2)
    elapsed = time.perf_counter() - started
    cpu = CpuUsage.between(cpu_before, CpuSample.take(server_group, database))
    latencies.sort()
    counts: dict[str, int] = {}
    sample = ""
    for label in outcomes:
        code = label.split(" ", 1)[0]
        counts[code] = counts.get(code, 0) + 1
        if " " in label and not sample:
            sample = label
    errors = len(outcomes) - len(latencies)
    return Result(
        scale=scale,
        scenario=scenario.name,
        title=scenario.title,
        requests=len(outcomes),
        errors=errors,
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        max_ms=round(latencies[-1] * 1000, 1) if latencies else 0.0,
        rps=round(len(latencies) / elapsed, 1),
        seconds=round(elapsed, 1),
        error_sample=sample if errors else "",
        status_counts=counts,
        server_cpu_ms_per_request=round(cpu.server / max(len(outcomes), 1) * 1000, 1),
        postgres_cpu_ms_per_request=round(cpu.postgres / max(len(outcomes), 1) * 1000, 1),
        machine_busy_pct=round(cpu.busy_share() * 100, 1),
        other_busy_pct=round(cpu.other_share() * 100, 1),
    )


@dataclass
class CpuSample:
    """CPU seconds so far: the machine (busy and total, all cores), each process of gunicorn's group,
    each PostgreSQL process, and this process. Zero everywhere without /proc."""

    busy: float = 0.0
    total: float = 0.0
    server: dict[int, float] = field(default_factory=dict)
    postgres: dict[int, float] = field(default_factory=dict)
    client: float = 0.0

    @classmethod
    def take(cls, server_group: int, database: str) -> CpuSample:
        sample = cls(client=time.process_time())
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except OSError:
            return sample
        sample.total = sum(fields[:8]) / tick
        sample.busy = sample.total - (fields[3] + fields[4]) / tick  # minus idle and iowait
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            rest = text[text.rindex(")") + 2 :].split()
            used = (int(rest[11]) + int(rest[12])) / tick  # utime, stime
            pid = int(stat.parent.name)
            if int(rest[2]) == server_group:
                sample.server[pid] = used
            elif name == "postgres" and _serves(pid, database):
                sample.postgres[pid] = used
        return sample


def _serves(pid: int, database: str) -> bool:
    """A PostgreSQL process working for `database`: its backends and the shared background
    processes (WAL writer, checkpointer …), not other databases' backends (other people's tests)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    is_backend = "(" in title or "[local]" in title
    return not is_backend or f" {database} " in title


@dataclass
class CpuUsage:
    """CPU seconds spent between two samples (processes that ended in between are not counted)."""

    busy: float
    total: float
    server: float
    postgres: float
    client: float

    @classmethod
    def between(cls, before: CpuSample, after: CpuSample) -> CpuUsage:
        def spent(old: dict[int, float], new: dict[int, float]) -> float:
            return sum(used - old.get(pid, 0.0) for pid, used in new.items())

        return cls(
            busy=after.busy - before.busy,
            total=after.total - before.total,
            server=spent(before.server, after.server),
            postgres=spent(before.postgres, after.postgres),
            client=after.client - before.client,
        )

    def busy_share(self) -> float:
        return self.busy / self.total if self.total else 0.0

    def other_share(self) -> float:
        if not self.total:
            return 0.0
        return max(self.busy - self.server - self.postgres - self.client, 0.0) / self.total


# --- reporting -----------------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    lines = [
        f"{'tickets':>9}  {'scenario':<30} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'errors':>6}"
        f" {'CPU ms/req: server':>18} {'postgres':>8} {'others %':>8}",
        "-" * 121,
    ]
    for r in results:
        figures = f"{r.requests:>8} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.rps:>7.1f} {r.errors:>6}"
        cpu = f"{r.server_cpu_ms_per_request:>18.1f} {r.postgres_cpu_ms_per_request:>8.1f} {r.other_busy_pct:>8.0f}"
        lines.append(f"{r.scale:>9,}  {r.title:<30} {figures} {cpu}")
    return "\n".join(lines)


def goal_lines(results: list[Result]) -> list[str]:
    at_scale = {r.scenario: r for r in results if r.scale == 1_000_000}
    lines = []
    for scenario, metric, limit in GOALS:
        result = at_scale.get(scenario)
        if result is None:
            continue
        value = getattr(result, metric)
        met = result.errors == 0 and (value <= limit if metric == "p99_ms" else value >= limit)
        sign = "≤" if metric == "p99_ms" else "≥"
        unit = "ms p99" if metric == "p99_ms" else "req/s"
        lines.append(f"  {'met' if met else 'MISSED':<6} {scenario:<11} {value:>8.1f} {unit} (goal {sign} {limit})")
    return lines


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


def flush_bench_redis() -> None:
    """Start from an empty cache and task queue (database 15 belongs to the benchmark)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is needed at {REDIS_URL}: {exc}") from exc


# --- main ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="100000,1000000", help="Comma-separated ticket counts.")
    parser.add_argument("--reuse", action="store_true", help="Do not re-seed when the database holds the scale.")
    parser.add_argument("--duration", type=float, default=20.0, help="Measured seconds per scenario.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Unmeasured seconds before each scenario.")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker: 1 = the sync worker of production (ADR 0004), more = gthread",
    )
    parser.add_argument("--only", default="", help="Comma-separated scenario names (default: all).")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    args = parser.parse_args(argv)
    scales = [int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()]
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)

    started_at = datetime.now(UTC)
    results: list[Result] = []
    seed_timings: dict[int, Any] = {}
    pools = TextPools(random.Random(7))
    for scale in scales:
        log(f"== {scale:,} tickets")
        if args.reuse and seeded_tickets(args.database_url) == scale:
            log("   reusing the seeded database (applying any new migrations)")
            migrate(args.database_url)
        else:
            subprocess.run(
                [sys.executable, str(BASE_DIR / "bench" / "seed.py"), "--tickets", str(scale),
                 "--database-url", args.database_url],
                cwd=BASE_DIR,
                check=True,
            )  # fmt: skip
        with psycopg.connect(args.database_url) as conn:
            seed_timings[scale] = conn.execute(f"SELECT timings FROM {SEED_INFO_TABLE}").fetchone()[0]
        fixtures = load_fixtures(args.database_url)
        log(
            f"   {fixtures.tickets_now:,} tickets now; {len(fixtures.team_ids)} teams, "
            f"{len(fixtures.ten_article_numbers):,} tickets with 10 articles"
        )
        flush_bench_redis()
        with Server(args.database_url, threads=args.threads) as server:
            cookies = session_cookies(server.base_url)
            token = api_token(server.base_url)
            for scenario in scenarios(fixtures, pools):
                if only and scenario.name not in only:
                    continue
                result = run_scenario(
                    scale=scale,
                    base_url=server.base_url,
                    scenario=scenario,
                    cookies=cookies,
                    token=token,
                    concurrency=args.concurrency,
                    seconds=args.duration,
                    warmup=args.warmup,
                    server_group=server.group,
                    database_url=args.database_url,
                )
                results.append(result)
                log(
                    f"   {scenario.title:<30} {result.requests:>7} req  p50 {result.p50_ms:7.1f} ms"
                    f"  p99 {result.p99_ms:7.1f} ms  {result.rps:7.1f} req/s  errors {result.errors}"
                    f"  CPU/req: server {result.server_cpu_ms_per_request:.0f} ms,"
                    f" postgres {result.postgres_cpu_ms_per_request:.0f} ms; others' load {result.other_busy_pct:.0f}%"
                    + (f"  e.g. {result.error_sample[:160]}" if result.error_sample else "")
                )
    log("")
    log(table(results))
    goals = goal_lines(results)
    if goals:
        log("Goals at 1,000,000 tickets:")
        for line in goals:
            log(line)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{started_at:%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {
                "started_at": started_at.isoformat(),
                "commit": git_commit(),
                "machine": {
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                },
                "postgres": postgres_version(args.database_url),
                "server": "gunicorn -w 2 "
                + (f"-k gthread --threads {args.threads}" if args.threads > 1 else "-k sync"),
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "seed_timings_s": seed_timings,
                "results": [asdict(r) for r in results],
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    log(f"Results written to {path.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
