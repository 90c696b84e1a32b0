"""The screens: access, upload → columns → check → import → progress → done, errors, export."""

import pytest
from django.test import Client

from assets.models import Equipment
from imports.models import ImportJob
from imports.tests.helpers import csv_bytes, new_job, run, upload

ROWS = [
    ["Клиент", "Вид", "Наименование", "Инв. номер", "Дата установки"],
    ["ООО Ромашка", "split", "Блок 1", "ИНВ-1", "01.02.2024"],
    ["ООО Ромашка", "split", "Блок 2", "ИНВ-2", "не дата"],
]


@pytest.fixture
def job(admin, world):
    return new_job(admin, "equipment", ROWS)


@pytest.mark.parametrize(
    "path",
    [
        "/imports/",
        "/imports/{pk}/",
        "/imports/{pk}/columns/",
        "/imports/{pk}/progress/",
        "/imports/export/equipment.csv",
    ],
)
def test_only_admins_and_supervisors_get_in(path, job, login, agent, client_user, supervisor):
    url = path.format(pk=job.pk)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert login(agent).get(url).status_code == 403
    assert login(client_user).get(url).status_code == 404
    assert login(supervisor).get(url).status_code in (200, 302)


def test_actions_refuse_other_staff(job, login, agent):
    response = login(agent).post(f"/imports/{job.pk}/start/")
    assert response.status_code == 403
    assert ImportJob.objects.get(pk=job.pk).status == "uploaded"


def test_the_nav_shows_import_to_admins_only(admin_client, login, agent):
    assert 'href="/imports/"' in admin_client.get("/imports/").content.decode()
    assert 'href="/imports/"' not in login(agent).get("/tickets/").content.decode()


def test_upload_then_columns_then_check_then_import(
    admin_client, world, huey_immediate, django_capture_on_commit_callbacks
):
    # when: upload a Russian Excel CSV
    data = csv_bytes(ROWS, encoding="cp1251")
    response = admin_client.post("/imports/", {"resource": "equipment", "file": upload("units.csv", data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/columns/"
    # then: the columns screen shows every column, samples and the guessed field
    page = admin_client.get(f"/imports/{job.pk}/columns/")
    body = page.content.decode()
    assert [r["header"] for r in page.context["rows"]] == ROWS[0]
    assert page.context["rows"][2]["samples"] == ["Блок 1", "Блок 2"]
    assert '<option value="inventory_number" selected>' in body
    # when: check
    mapping = {
        f"column_{i}": code for i, code in enumerate(["company", "kind", "name", "inventory_number", "installed_on"])
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/imports/{job.pk}/columns/", {**mapping, "action": "check"})
    assert response["Location"] == f"/imports/{job.pk}/"
    page = admin_client.get(f"/imports/{job.pk}/")
    body = page.content.decode()
    assert page.context["job"].status == "checked"
    assert [(e.line, e.column) for e in page.context["errors"]] == [(3, "Дата установки")]
    assert "Would be created" in body and "Import the rows without errors" in body
    assert Equipment.objects.count() == 0
    # when: import
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/imports/{job.pk}/start/")
    # then
    page = admin_client.get(f"/imports/{job.pk}/")
    assert page.context["job"].status == "done"
    assert page.context["job"].created_count == 1
    assert page.context["undoable"] is True
    assert list(Equipment.objects.values_list("name", flat=True)) == ["Блок 1"]


def test_an_invalid_mapping_is_explained(admin_client, job):
    response = admin_client.post(
        f"/imports/{job.pk}/columns/",
        {"column_0": "company", "column_1": "name", "column_2": "name", "action": "check"},
    )
    assert response.status_code == 200
    assert response.context["problems"] == [
        "«Name» is chosen for two columns (2 and 3).",
        "Choose the column for «Kind»: it is required.",
    ]


def test_a_wrong_file_is_explained_on_the_upload_screen(admin_client):
    response = admin_client.post("/imports/", {"resource": "companies", "file": upload("base.xls", b"\xd0\xcf")})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["Old Excel files (.xls) are not supported: save the file as .xlsx or CSV."]
    }
    assert ImportJob.objects.count() == 0


def test_progress_polls_while_running_and_reloads_when_done(admin_client, job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", phase="run", total_rows=100_000, processed_rows=42_000)
    polling = admin_client.get(f"/imports/{job.pk}/progress/", headers={"HX-Request": "true"})
    body = polling.content.decode()
    assert 'hx-trigger="every 1s"' in body and "42000 of 100000 rows" in body and 'value="42"' in body
    assert "HX-Refresh" not in polling
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    finished = admin_client.get(f"/imports/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert finished["HX-Refresh"] == "true"
    assert "hx-trigger" not in finished.content.decode()


def test_errors_download_and_undo_button(admin_client, admin, job):
    job = run(job)
    response = admin_client.get(f"/imports/{job.pk}/errors.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        "Line;Column;Error",
        "3;Дата установки;«не дата» is not a date: write it as 31.12.2024 or 2024-12-31.",
    ]
    response = admin_client.post(f"/imports/{job.pk}/undo/")
    assert response.status_code == 302
    assert ImportJob.objects.get(pk=job.pk).status == "undoing"


def test_the_errors_file_escapes_what_the_uploaded_file_put_in_it(admin_client, job):
    # given: a header and a message quoting cells of a hostile file
    job.row_errors.create(
        phase=job.phase or "check", line=2, column="=cmd|' /C calc'!A0", message="-2+3+cmd|' /C calc'!A0"
    )
    # when
    response = admin_client.get(f"/imports/{job.pk}/errors.csv")
    # then
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[1] == "2;'=cmd|' /C calc'!A0;'-2+3+cmd|' /C calc'!A0"


def test_exports_download(admin_client, world):
    csv_response = admin_client.get("/imports/export/sites.csv")
    xlsx_response = admin_client.get("/imports/export/sites.xlsx")
    assert csv_response["Content-Disposition"].startswith('attachment; filename="sites-')
    assert (
        b"".join(csv_response.streaming_content)
        .decode("utf-8-sig")
        .splitlines()[0]
        .startswith("Otklik ID;Company;Name")
    )
    assert xlsx_response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(xlsx_response.streaming_content)[:2] == b"PK"
    assert admin_client.get("/imports/export/tickets.csv").status_code == 404


def test_the_index_lists_jobs(admin_client, job):
    response = admin_client.get("/imports/")
    assert [j.pk for j in response.context["page"]] == [job.pk]
    assert "data.csv" in response.content.decode()
