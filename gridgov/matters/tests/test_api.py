"""The matter API: public list and notices without login; applications, rectification
and tasks restricted, with field errors in Chinese."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.matters.models import MatterApplication, TaskAssignment
from gridgov.matters.testing import matter_people, proposed


@pytest.fixture
def people(territory):
    return matter_people(territory)


def _apply(client, people, start, **overrides):
    client.force_login(people["handler"])
    body = {
        "kind": "admission",
        "reason": "民政服务下沉网格",
        "effective_date": start.isoformat(),
        "proposed": proposed(**overrides),
        "staff_provided": "每网格配 1 名兼职",
        "funds_provided": "每网格每年 2000 元",
        "training_provided": "每季度培训一次",
    }
    return client.post("/api/matters/applications", body, content_type="application/json")


def _admit(client, people, start):
    response = _apply(client, people, start)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    client.force_login(people["agency"])
    response = client.post(
        f"/api/matters/applications/{number}/approve",
        {"note": "同意"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    client.logout()
    return response.json()["matter_code"]


def test_public_api_without_login_and_effective_date(client, people):
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    code = _admit(client, people, tomorrow)
    assert client.get("/api/public/matters").json() == []
    later = client.get("/api/public/matters", {"date": tomorrow.isoformat()}).json()
    assert [m["code"] for m in later] == [code]
    assert later[0]["department"] == "测试市民政局"
    assert later[0]["handling_workdays"] == 5
    notices = client.get("/api/public/notices").json()
    assert notices["items"][0]["matter_code"] == code
    assert notices["items"][0]["effective_date"] == tomorrow.isoformat()
    detail = client.get(f"/api/public/matters/{code}").json()
    assert detail["in_force"] is False and len(detail["versions"]) == 1
    with time_machine.travel(tomorrow.isoformat() + " 10:00 +0800"):
        assert [m["code"] for m in client.get("/api/public/matters").json()] == [code]
        assert client.get(f"/api/public/matters/{code}").json()["in_force"] is True
    filtered = client.get(
        "/api/public/matters", {"date": tomorrow.isoformat(), "work_kind": "hazard"}
    ).json()
    assert filtered == []


def test_public_api_bad_date_and_missing(client, people):
    response = client.get("/api/public/matters", {"date": "yesterday"})
    assert response.status_code == 422
    assert "日期格式应为" in response.json()["errors"]["date"][0]
    assert client.get("/api/public/matters/0000000").status_code == 404


def test_application_field_errors_change_nothing(client, people):
    response = _apply(client, people, timezone.localdate(), duties=[])
    assert response.status_code == 422
    assert "duties" in response.json()["errors"]
    assert not MatterApplication.objects.exists()


def test_staff_api_needs_login(client, people):
    assert client.get("/api/matters/applications").status_code == 401
    assert client.get("/api/matters/tasks").status_code == 401


def test_only_the_same_level_agency_approves(client, people):
    number = _apply(client, people, timezone.localdate()).json()["number"]
    client.force_login(people["county_agency"])
    # the county agency may see nothing of the city's list: 404 like missing
    response = client.post(
        f"/api/matters/applications/{number}/approve", {}, content_type="application/json"
    )
    assert response.status_code in (403, 404)
    assert MatterApplication.objects.get().status == "submitted"


def test_task_api_article_7_refusal_and_progress(client, people):
    code = _admit(client, people, timezone.localdate())
    client.force_login(people["agency"])
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    bad = client.post(
        "/api/matters/tasks",
        {
            "matter_code": "0601999",
            "title": "x",
            "instructions": "y",
            "due_date": due,
            "area_code": "990101001",
        },
        content_type="application/json",
    )
    assert bad.status_code == 422 and "第七条" in bad.json()["errors"]["matter_code"][0]
    response = client.post(
        "/api/matters/tasks",
        {
            "matter_code": code,
            "title": "走访",
            "instructions": "走访独居老人",
            "due_date": due,
            "area_code": "990101001",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assignment = TaskAssignment.objects.get(task__number=number, grid__code="990101001001001")

    client.force_login(people["worker"])
    mine = client.get("/api/matters/my-assignments").json()["items"]
    assert [a["id"] for a in mine] == [assignment.pk]
    assert client.post(f"/api/matters/my-assignments/{assignment.pk}/accept").status_code == 200
    bad_photo = client.post(
        f"/api/matters/my-assignments/{assignment.pk}/progress",
        {
            "progress": 30,
            "note": "进行中",
            "photo": SimpleUploadedFile("x.png", b"hello", "image/png"),
        },
    )
    assert bad_photo.status_code == 422 and "photo" in bad_photo.json()["errors"]
    refused = client.post(
        f"/api/matters/my-assignments/{assignment.pk}/refuse",
        {"ground": "administrative_power", "note": "属于行政处罚"},
        content_type="application/json",
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"

    client.force_login(people["agency"])
    detail = client.get(f"/api/matters/tasks/{number}").json()
    refusals = [a for a in detail["assignments"] if a["status"] == "refused"]
    assert refusals[0]["refusal_ground"] == "administrative_power"
    town = next(r for r in detail["progress"] if r["code"] == "990101001")
    assert town["refused"] == 1 and town["total"] >= 1
