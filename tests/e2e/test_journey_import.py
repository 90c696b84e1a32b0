"""An administrator imports equipment from a Russian Excel CSV at phone width: upload, columns,
dry run with a broken row, import with live progress, done. The background worker is a thread
running the same service the Huey task runs, slowed down so the progress is seen moving."""

import csv
import io
import re
import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from accounts.choices import Role
from assets.models import Equipment
from imports import engine, services, tasks
from tests.e2e.pages import log_in
from tests.factories import CompanyFactory, EquipmentKindFactory, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True, available_apps=list(settings.INSTALLED_APPS)),
    pytest.mark.usefixtures("migrated_data_restored_afterwards", "empty_search_index_afterwards"),
]

ROWS = 40


@pytest.fixture
def background_worker(monkeypatch):
    """Queued jobs run in a thread (a worker process in production), a batch every 0.25 s."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 5)
    real_save = engine.Pipeline.save

    def slow_save(self, result):
        time.sleep(0.25)
        return real_save(self, result)

    monkeypatch.setattr(engine.Pipeline, "save", slow_save)
    threads = []

    def run(job_id):
        try:
            services.import_job_process(job_id=job_id)
        finally:
            connection.close()

    def enqueue(job_id):
        thread = threading.Thread(target=run, args=(job_id,))
        thread.start()
        threads.append(thread)

    monkeypatch.setattr(tasks, "import_job_process_task", enqueue)
    yield
    for thread in threads:
        thread.join(timeout=30)


def _file(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Клиент", "Вид оборудования", "Наименование", "Инв. номер", "Дата установки"])
    for i in range(1, ROWS + 1):
        writer.writerow(["ООО Ромашка", "Сплит-система", f"Кондиционер {i}", f"ИНВ-{i:03d}", "01.03.2024"])
    writer.writerow(["ООО Ромашка", "Сплит-система", "Сломанный", "ИНВ-999", "32.13.2024"])
    path = tmp_path / "оборудование.csv"
    path.write_bytes(buffer.getvalue().encode("cp1251"))
    return path


def test_admin_imports_equipment_with_a_dry_run_and_live_progress(live_server, browser, tmp_path, background_worker):
    # given
    UserFactory(
        email="admin@otklik.test", full_name="Алла Админова", role=Role.ADMIN, language="ru", password="Admin-pass-123"
    )
    CompanyFactory(name="ООО Ромашка")
    EquipmentKindFactory(code="split_e2e", name_ru="Сплит-система", name_en="Split system")
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, f"{base}/accounts/login/", "admin@otklik.test", "Admin-pass-123")

    # when: the admin uploads the file
    page.goto(f"{base}/imports/")
    page.select_option("select[name=resource]", "equipment")
    page.set_input_files("input[name=file]", str(_file(tmp_path)))
    page.get_by_role("button", name="Загрузить").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/columns/$"))

    # then: every column is shown with samples and the guessed field
    assert page.locator("table.mapping tbody tr").count() == 5
    assert page.locator("select[name=column_3]").input_value() == "inventory_number"
    assert "ИНВ-001" in page.locator("table.mapping").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # when: the dry run
    page.get_by_role("button", name="Проверить файл").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/$"))
    page.locator("#job-status", has_text="Проверен").wait_for(timeout=20000)

    # then: the broken row is listed with its line, nothing is written
    assert page.locator("[data-count=created]").inner_text() == str(ROWS)
    errors = page.locator("table.import-errors").inner_text()
    assert "Строка 42" in errors and "«32.13.2024» — не дата" in errors
    assert Equipment.objects.count() == 0

    # when: the import, watched live
    page.get_by_role("button", name="Импортировать строки без ошибок").click()
    page.locator("#import-progress progress").wait_for(timeout=10000)
    page.locator("#import-progress", has_text=re.compile(r"[1-9]\d* из 41 строк")).wait_for(timeout=10000)
    page.locator("#job-status", has_text="Импортирован").wait_for(timeout=30000)

    # then
    assert page.locator("[data-count=created]").inner_text() == str(ROWS)
    assert page.locator("[data-count=failed]").inner_text() == "1"
    assert page.get_by_role("button", name="Отменить этот импорт").is_visible()
    assert Equipment.objects.count() == ROWS
    context.close()
