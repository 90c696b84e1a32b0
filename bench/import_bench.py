"""Benchmark the client-base import: a generated file of 100,000 equipment rows (Russian data, as
Russian Excel saves CSV: windows-1251, ";") imported through the same Huey task and service the
upload screen uses, on SQLite (a temporary database file) and on PostgreSQL (database
otklik_bench_import, dropped and re-created). Prints rows/s and seconds per phase. See bench/README.md.

    uv run python bench/import_bench.py                       # both databases, 100,000 rows
    uv run python bench/import_bench.py --rows 20000 --backends sqlite

Each backend runs in a child process of this script (Django is set up once per process):
migrate, reference data (500 companies with 2 sites each, 12 equipment kinds with parameters),
then four timed phases on the same file: the dry run, the import (every row created; every tenth
unit is part of the unit above it), a re-import of the file with every name changed (every row
updated) and the undo of that last import (every row restored).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.seed import COMPANY_KINDS, COMPANY_WORDS, FIRST_NAMES, LAST_NAMES, recreate_database  # noqa: E402

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/otklik_bench_import"
GOAL_SECONDS = 60
COMPANIES = 500
# (code, name, manufacturers, models, parameters: (code, name_ru, name_en, type, values))
KINDS = [
    (
        "split",
        "Сплит-система",
        ["Daikin", "Mitsubishi Electric", "LG", "Haier", "Ballu"],
        ["FTXB35C", "MSZ-LN25", "P09EP", "AS12"],
        [
            ("power_kw", "Мощность, кВт", "Power, kW", "number", ["2,5", "3,5", "5", "7,1"]),
            ("freon", "Фреон", "Refrigerant", "text", ["R410A", "R32"]),
            ("inverter", "Инвертор", "Inverter", "bool", ["да", "нет"]),
        ],
    ),
    (
        "chiller",
        "Чиллер",
        ["Carrier", "Trane", "Clivet"],
        ["30RB-060", "CGAM-070"],
        [("power_kw", "Мощность, кВт", "Power, kW", "number", ["60", "120", "250"])],
    ),
    (
        "ahu",
        "Приточная установка",
        ["Systemair", "Breezart", "Vents"],
        ["Topvex TR09", "Breezart 1000"],
        [("airflow", "Расход воздуха, м3/ч", "Airflow, m3/h", "number", ["1000", "2500", "6000"])],
    ),
    (
        "lift",
        "Лифт",
        ["ЩЛЗ", "KONE", "OTIS", "МЛЗ"],
        ["ПП-0411", "MonoSpace 500", "Gen2"],
        [
            ("capacity", "Грузоподъёмность, кг", "Capacity, kg", "number", ["400", "630", "1000"]),
            ("stops", "Остановок", "Stops", "number", ["5", "9", "16"]),
        ],
    ),
    (
        "boiler",
        "Котёл",
        ["Viessmann", "Buderus", "Baxi"],
        ["Vitodens 100", "Logamax U072"],
        [("power_kw", "Мощность, кВт", "Power, kW", "number", ["24", "35", "100"])],
    ),
    ("pump", "Насос", ["Grundfos", "Wilo", "DAB"], ["UPS 25-60", "Stratos 30/1-8"], []),
    (
        "ups",
        "ИБП",
        ["APC", "Eaton", "Powercom"],
        ["Smart-UPS 1500", "9SX 3000"],
        [("battery_date", "Дата замены АКБ", "Battery replaced", "date", ["01.03.2023", "15.09.2024"])],
    ),
    ("server", "Сервер", ["HPE", "Dell", "Lenovo"], ["ProLiant DL380", "PowerEdge R650"], []),
    ("cash_register", "Кассовый аппарат", ["Атол", "Эвотор", "Штрих-М"], ["30Ф", "7.2", "Лайт"], []),
    ("gate", "Ворота", ["Doorhan", "Alutech", "Hormann"], ["RSD01", "Prestige"], []),
    ("camera", "Камера видеонаблюдения", ["Hikvision", "Dahua", "RVi"], ["DS-2CD1043", "IPC-HFW1230"], []),
    ("fire_alarm", "Пожарная сигнализация", ["Болид", "Рубеж", "Аргус-Спектр"], ["С2000-М", "Р-020"], []),
]
ROOMS = ["подвал", "кровля", "техэтаж", "серверная", "щитовая", "холл", "склад", "кухня", "переговорная"]


def log(message: str) -> None:
    print(message, flush=True)


def company_name(i: int, rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_KINDS)} «{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)}-{i}»"


def write_file(path: Path, *, rows: int, companies: list[tuple[str, str, list[str]]], seed: int, rename: bool) -> None:
    """The equipment file: windows-1251, ";" — what Russian Excel saves. The company is named by
    INN or by name, the site by name, the kind by its Russian name."""
    rng = random.Random(seed)
    header = [
        "Клиент",
        "Объект",
        "Вид оборудования",
        "Наименование",
        "Производитель",
        "Модель",
        "Серийный номер",
        "Инв. номер",
        "Расположение",
        "Параметры",
        "Дата установки",
        "Гарантия до",
        "Входит в",
        "Примечание",
    ]
    start = date(2015, 1, 1)
    with path.open("w", encoding="cp1251", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        company, inn, sites = companies[0]
        for i in range(1, rows + 1):
            if i % 10 != 0:  # every tenth unit is a part of the one above it, at the same company
                company, inn, sites = companies[rng.randrange(len(companies))]
            _code, kind_name, makers, models, parameters = KINDS[rng.randrange(len(KINDS))]
            maker, model = rng.choice(makers), rng.choice(models)
            installed = start + timedelta(days=rng.randrange(3000))
            params = "; ".join(f"{p[1]}: {rng.choice(p[4])}" for p in parameters)
            writer.writerow(
                [
                    inn if i % 3 == 0 else company,
                    rng.choice(sites),
                    kind_name,
                    f"{kind_name} {maker} {model}" + (" (замена)" if rename else ""),
                    maker,
                    model,
                    f"SN{rng.randrange(10**9):09d}-{i}",
                    f"ИНВ-{i:06d}",
                    f"{rng.randint(1, 12)} этаж, {rng.choice(ROOMS)}",
                    params,
                    installed.strftime("%d.%m.%Y"),
                    (installed + timedelta(days=365 * rng.choice([1, 2, 3]))).strftime("%d.%m.%Y"),
                    f"ИНВ-{i - 1:06d}" if i % 10 == 0 else "",
                    f"Обслуживает {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" if i % 7 == 0 else "",
                ]
            )


# --- the child: one backend -------------------------------------------------------------------


def child(url: str, rows: int, workdir: Path) -> dict[str, float]:
    os.environ["DATABASE_URL"] = url
    os.environ["HUEY_BACKEND"] = "immediate"  # the task runs in this process, when the job is queued
    os.environ["OTKLIK_VAR_DIR"] = str(workdir / "var")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
        cwd=BASE_DIR,
        env=os.environ.copy(),
        check=True,
    )
    import django

    django.setup()
    from django.core.files import File
    from django.db import connection

    from accounts.choices import Role
    from accounts.models import User
    from assets.models import EquipmentKind
    from customers.models import Company, Site
    from imports import services
    from imports.models import ImportJob

    timings: dict[str, float] = {"migrate": round(time.perf_counter() - started, 1)}
    rng = random.Random(7)
    user = User.objects.create_user(
        "bench.import@bench.local", "bench-Passw0rd-2024", full_name="Бенчмарк", role=Role.ADMIN
    )
    companies: list[tuple[str, str, list[str]]] = []
    for i in range(COMPANIES):
        company = Company.objects.create(name=company_name(i, rng), inn=f"77{i:08d}")
        names = [f"Офис на {rng.choice(['Ленина', 'Мира', 'Гагарина', 'Садовой'])}, {i}", f"Склад №{i}"]
        Site.objects.bulk_create([Site(company=company, name=n, address=f"г. Москва, {n}") for n in names])
        companies.append((company.name, company.inn, names))
    for order, (code, name, _makers, _models, parameters) in enumerate(KINDS):
        EquipmentKind.objects.update_or_create(  # migrations seed some of the kinds already
            code=code,
            defaults={
                "name_ru": name,
                "name_en": code,
                "order": order,
                "parameters": [{"code": p[0], "name_ru": p[1], "name_en": p[2], "type": p[3]} for p in parameters],
            },
        )
    first, second = workdir / "equipment.csv", workdir / "equipment-renamed.csv"
    write_file(first, rows=rows, companies=companies, seed=1, rename=False)
    write_file(second, rows=rows, companies=companies, seed=1, rename=True)
    log(f"   file: {first.stat().st_size / 1024 / 1024:.1f} MB, {rows} rows; database {connection.vendor}")

    def upload(path: Path) -> ImportJob:
        with path.open("rb") as handle:
            job = services.import_job_create(user=user, resource="equipment", upload=File(handle, name=path.name))  # type: ignore[arg-type]
        return services.import_job_set_mapping(job=job, mapping=job.mapping)

    def timed(name: str, action, job: ImportJob) -> ImportJob:  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        action(job=job)  # queues the Huey task, which runs at commit (immediate mode)
        elapsed = time.perf_counter() - began
        job.refresh_from_db()
        assert job.status in ("checked", "done", "undone"), (job.status, job.error)
        timings[name] = round(elapsed, 1)
        log(
            f"   {name:<10} {elapsed:6.1f} s  {rows / elapsed:8.0f} rows/s  created {job.created_count}, "
            f"updated {job.updated_count}, unchanged {job.unchanged_count}, failed {job.failed_count}"
        )
        return job

    job = upload(first)
    job = timed("check", services.import_job_check, job)
    job = timed("import", services.import_job_start, job)
    if job.failed_count:
        from imports.models import ImportRowError

        for error in ImportRowError.objects.filter(job=job)[:10]:
            log(f"   line {error.line}, {error.column}: {error.message}")
    assert job.created_count == rows and job.failed_count == 0
    renamed = upload(second)
    renamed = timed("reimport", services.import_job_start, renamed)
    assert renamed.updated_count == rows
    timed("undo", services.import_job_undo_request, renamed)
    return timings


def run_backend(name: str, url: str, rows: int, workdir: Path) -> dict[str, float]:
    result = workdir / "result.json"
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            url,
            "--rows",
            str(rows),
            "--workdir",
            str(workdir),
            "--out",
            str(result),
        ],
        cwd=BASE_DIR,
        check=True,
    )
    return json.loads(result.read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_POSTGRES_URL))
    parser.add_argument("--child")
    parser.add_argument("--workdir")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.child:
        Path(args.out).write_text(json.dumps(child(args.child, args.rows, Path(args.workdir))))
        return
    results = {}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"otklik-import-{backend}-") as tmp:
            workdir = Path(tmp)
            if backend == "sqlite":
                url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            else:
                url = args.database_url
                recreate_database(url)
            log(f"== {backend}: {args.rows} equipment rows ==")
            results[backend] = run_backend(backend, url, args.rows, workdir)
    log("")
    log(f"{'database':<10} {'phase':<10} {'seconds':>8} {'rows/s':>9}")
    failed = False
    for backend, timings in results.items():
        for phase in ("check", "import", "reimport", "undo"):
            seconds = timings[phase]
            log(f"{backend:<10} {phase:<10} {seconds:8.1f} {args.rows / seconds:9.0f}")
        if timings["import"] > GOAL_SECONDS * args.rows / 100_000:
            failed = True
    log(f"goal: 100,000 rows imported in under {GOAL_SECONDS} s — {'MISSED' if failed else 'met'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
