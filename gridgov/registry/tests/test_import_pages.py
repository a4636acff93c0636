"""Pages and API of import and export, as a user would use them. Every response but the
approved unmasked download is scanned for unmasked ID and mobile numbers."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.core.testing import grant
from gridgov.orgs.choices import Role
from gridgov.registry.models import Person
from gridgov.registry.models_import import ExportRequest, ImportJob
from gridgov.registry.testing import assert_no_plain_personal_data, make_address
from gridgov.registry.tests.import_helpers import persons_table, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


def clean(response, status=200):
    assert response.status_code == status, response.content[:500]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert_no_plain_personal_data(body)
    return body.decode("utf-8", errors="replace")


@pytest.fixture
def rows(territory):
    rows, _planted = persons_table(30, [make_address().code], bad_every=10, bad_count=3)
    return rows


def test_upload_check_and_import_through_the_pages(
    client, people, territory, rows, django_capture_on_commit_callbacks
):
    client.force_login(people["county"])
    page = clean(client.get("/registry/imports/"))
    assert "上传文件" in page and "证件号码" in page  # the format table
    page = clean(client.get("/registry/imports/new/"))
    upload = SimpleUploadedFile("户籍人口.xlsx", to_xlsx(rows))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/registry/imports/new/",
            {
                "kind": "persons",
                "area": territory["county"].code,
                "note": "测试数据",
                "file": upload,
            },
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.public_id in response["Location"]
    page = clean(client.get(f"/registry/imports/{job.public_id}/"))
    assert "已校验" in page and "导入 27 行正确的数据" in page
    assert "第 11 行" in page and "身份证号码校验位错误" in page
    assert Person.objects.count() == 0
    report = clean(client.get(f"/registry/imports/{job.public_id}/errors.csv"))
    assert report.splitlines()[0].lstrip("\ufeff") == "行号,列,原因"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/registry/imports/{job.public_id}/start/")
    assert response.status_code == 302
    assert Person.objects.count() == 27
    progress = client.get(
        f"/registry/imports/{job.public_id}/progress/", headers={"HX-Request": "true"}
    )
    assert progress["HX-Refresh"] == "true" and "已完成" in clean(progress)
    page = clean(client.get(f"/registry/imports/{job.public_id}/"))
    assert "新增" in page and "27" in page


def test_a_bad_file_is_refused_on_the_form(client, people, territory):
    client.force_login(people["county"])
    upload = SimpleUploadedFile("x.csv", "名字\n张三\n".encode("gbk"))
    response = client.post(
        "/registry/imports/new/",
        {"kind": "persons", "area": territory["county"].code, "file": upload},
    )
    assert "缺少必填列：姓名、证件号码" in clean(response) or "缺少必填列" in clean(response)
    assert ImportJob.objects.count() == 0


def test_grid_staff_and_others_cannot_reach_import(client, people, territory, rows):
    client.force_login(people["county"])
    job_rows = to_csv(rows)
    from gridgov.registry import actions_import

    job = actions_import.do_upload_import(
        kind="persons",
        data=job_rows,
        file_name="a.csv",
        area=territory["county"],
        actor=people["county"],
    )
    for username in ("worker", "leader", "police"):
        client.force_login(people[username])
        assert client.get("/registry/imports/new/").status_code == 404
        assert client.get(f"/registry/imports/{job.public_id}/").status_code == 404
        assert client.post(f"/registry/imports/{job.public_id}/start/").status_code == 404
        page = clean(client.get("/registry/imports/"))
        assert job.file_name not in page
    # The town operator sees nothing of the county's job either.
    client.force_login(people["town"])
    assert client.get(f"/registry/imports/{job.public_id}/").status_code == 404


def test_templates_are_downloadable(client, people):
    client.force_login(people["county"])
    for kind in ("persons", "care_tags", "units", "addresses", "rentals"):
        csv_text = clean(client.get(f"/registry/imports/templates/{kind}.csv"))
        assert csv_text.lstrip("\ufeff").split(",")[0]
        response = client.get(f"/registry/imports/templates/{kind}.xlsx")
        assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client.get("/registry/imports/templates/other.csv").status_code == 404


def test_import_api(client, people, territory, rows, django_capture_on_commit_callbacks):
    client.force_login(people["county"])
    formats = client.get("/api/registry/import-formats").json()
    assert {f["kind"] for f in formats} == {"persons", "care_tags", "units", "addresses", "rentals"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/registry/imports",
            {
                "kind": "persons",
                "area": territory["county"].code,
                "file": SimpleUploadedFile("p.csv", to_csv(rows, "gbk")),
            },
        )
    body = response.json()
    assert response.status_code == 201, body
    clean(response, 201)
    job = client.get(f"/api/registry/imports/{body['id']}").json()
    assert (job["status"], job["bad_rows"], job["encoding"]) == ("checked", 3, "GBK")
    assert len(job["errors"]) >= 3 and job["errors"][0][2]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/registry/imports/{body['id']}/start")
    assert response.status_code == 200
    assert client.get(f"/api/registry/imports/{body['id']}").json()["created"] == 27
    client.force_login(people["worker"])
    response = client.post(
        "/api/registry/imports",
        {
            "kind": "persons",
            "area": territory["county"].code,
            "file": SimpleUploadedFile("p.csv", to_csv(rows)),
        },
    )
    assert response.status_code == 403
    assert client.get(f"/api/registry/imports/{body['id']}").status_code == 404


@pytest.fixture
def colleague(territory):
    user = get_user_model().objects.create_user(
        "county_leader", full_name="区中心负责人", password_changed_at=timezone.now()
    )
    grant(user, Role.AGENCY_LEADER, area=territory["county"])
    return user


def test_export_through_the_pages(
    client, people, territory, rows, colleague, django_capture_on_commit_callbacks
):
    from gridgov.registry import importing

    table = importing.read_table(to_csv(rows), "persons")
    importing.import_rows("persons", table.rows, actor=people["county"], area=territory["county"])
    client.force_login(people["county"])
    clean(client.get("/registry/exports/new/"))
    response = client.post(
        "/registry/exports/new/",
        {"kind": "persons", "file_format": "xlsx", "unmasked": "on", "purpose": ""},
    )
    assert "用途" in clean(response)
    response = client.post(
        "/registry/exports/new/",
        {"kind": "persons", "file_format": "csv", "unmasked": "on", "purpose": "核对低保名单"},
    )
    export = ExportRequest.objects.get()
    assert response.status_code == 302
    page = clean(client.get(f"/registry/exports/{export.public_id}/"))
    assert "待审批" in page and f"/registry/exports/{export.public_id}/approve/" not in page
    assert client.post(f"/registry/exports/{export.public_id}/approve/").status_code == 302
    export.refresh_from_db()
    assert export.status == "pending"  # the requester cannot approve their own

    client.force_login(colleague)
    page = clean(client.get("/registry/exports/"))
    assert export.public_id in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/registry/exports/{export.public_id}/approve/", {"note": "同意"})
    export.refresh_from_db()
    assert export.status == "ready"
    assert client.get(f"/registry/exports/{export.public_id}/download/").status_code == 403

    client.force_login(people["county"])
    page = clean(client.get(f"/registry/exports/{export.public_id}/"))
    assert "下载" in page
    response = client.get(f"/registry/exports/{export.public_id}/download/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert rows[1][1] in content  # approved: the full ID number
    assert "导出人：区中心操作员" in content.splitlines()[0]

    # Another county worker of the grid sees none of it.
    client.force_login(people["worker"])
    assert client.get(f"/registry/exports/{export.public_id}/").status_code == 404


def test_export_api(client, people, territory, rows, colleague, django_capture_on_commit_callbacks):
    from gridgov.registry import importing

    table = importing.read_table(to_csv(rows), "persons")
    importing.import_rows("persons", table.rows, actor=people["county"], area=territory["county"])
    client.force_login(people["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/registry/exports",
            {"kind": "persons", "file_format": "csv"},
            content_type="application/json",
        )
    body = response.json()
    assert response.status_code == 201 and body["status"] == "building"
    assert client.get(f"/api/registry/exports/{body['id']}").json()["status"] == "ready"
    response = client.get(f"/api/registry/exports/{body['id']}/download")
    clean(response)
    response = client.post(
        "/api/registry/exports",
        {"kind": "persons", "unmasked": True, "purpose": "核对"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "purpose" in response.json()["errors"]
    response = client.post(
        "/api/registry/exports",
        {"kind": "persons", "unmasked": True, "purpose": "入户核对名单"},
        content_type="application/json",
    )
    pending = response.json()["id"]
    response = client.post(
        f"/api/registry/exports/{pending}/approve", {}, content_type="application/json"
    )
    assert response.status_code == 403
    client.force_login(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/registry/exports/{pending}/approve", {}, content_type="application/json"
        )
    assert response.status_code == 200 and response.json()["status"] == "building"
    assert client.get(f"/api/registry/exports/{pending}").json()["status"] == "ready"
    clean(response)
