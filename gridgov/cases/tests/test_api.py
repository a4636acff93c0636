"""The case API for staff and programs: intake with idempotency keys, lists, the inbox,
detail with masked personal data, the timeline, and every action of the flow with its
refusals (422 field errors, 409 illegal transition or conflict, 403, 404)."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gridgov.accounts.actions import do_issue_token
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, SupervisionOrder
from gridgov.cases.testing import GRID_A1, MATTER_CODE, POINT_A1, POINT_B1, case_world
from gridgov.core.geo import wgs84_to_gcj02
from gridgov.core.testing import TOWN

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
NAME, PHONE = "张三丰", "13907770001"


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def world(territory):
    return case_world(territory)


def body(**overrides):
    data = {
        "matter_code": MATTER_CODE,
        "description": "小区门口人行道上有三个摊位占道经营",
        "attributes": {"stalls": 3},
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "reporter_name": NAME,
        "reporter_phone": PHONE,
    }
    data.update(overrides)
    return data


def post(client, user, path, data=None, **headers):
    client.force_login(user)
    return client.post(path, data or {}, content_type="application/json", headers=headers)


def get(client, user, path, params=None):
    client.force_login(user)
    return client.get(path, params or {})


def submit(client, world, user="worker", key="", **overrides):
    headers = {"Idempotency-Key": key} if key else {}
    return post(client, world[user], "/api/cases", body(**overrides), **headers)


def act(client, world, user, number, verb, **data):
    response = post(client, world[user], f"/api/cases/{number}/{verb}", data)
    assert response.status_code in (200, 201), response.content
    return response.json()


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def refused(response, status, code):
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == code and data["detail"]
    return data


# Intake ---------------------------------------------------------------------------------


def test_a_grid_worker_reports_with_a_bearer_token_and_a_repeat_gives_the_same_case(client, world):
    _row, token = do_issue_token(world["worker"], name="巡查终端", actor=world["worker"])
    auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "phone-42-001"}
    first = client.post("/api/cases", body(), content_type="application/json", headers=auth)
    assert first.status_code == 201, first.content
    case = first.json()
    assert case["number"].startswith("SJ20261124")
    # The grid worker's own report has nobody to rate it: no tracking code for staff.
    assert case["tracking_code"] == ""
    assert case["channel"] == "grid" and case["status"] == "at_grid"
    assert case["grid"]["code"] == GRID_A1 and case["holder"]["type"] == "grid"
    assert case["place_code"] == GRID_A1 and case["county"]["code"] == "990101"
    assert case["due_at"] and case["version"] >= 1
    assert case["attributes"] == {"stalls": 3}
    assert case["reporter_name"] == "张**" and case["reporter_phone"] == "139****0001"

    again = client.post("/api/cases", body(), content_type="application/json", headers=auth)
    assert again.status_code == 200
    assert again.json()["number"] == case["number"]
    assert again.json()["tracking_code"] == case["tracking_code"]

    other = client.post(
        "/api/cases", body(description="另一件事"), content_type="application/json", headers=auth
    )
    assert other.status_code == 422
    assert other.json()["code"] == "invalid"
    assert "幂等键" in other.json()["errors"]["idempotency_key"][0]
    assert Case.objects.count() == 1


def test_without_a_key_each_submission_is_a_new_case(client, world):
    assert submit(client, world).status_code == 201
    assert submit(client, world).status_code == 201
    assert Case.objects.count() == 2


def test_gcj02_coordinates_are_converted_before_locating(client, world):
    lon, lat = wgs84_to_gcj02(*POINT_A1)
    assert abs(lon - POINT_A1[0]) > 0.001  # the offset is real: untreated it would miss
    response = submit(client, world, lon=lon, lat=lat, crs="gcj02")
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["grid"]["code"] == GRID_A1
    assert abs(case["lon"] - POINT_A1[0]) < 1e-5 and abs(case["lat"] - POINT_A1[1]) < 1e-5


def test_the_channel_follows_the_post(client, world):
    phone = submit(client, world, user="town_operator").json()
    assert phone["channel"] == "phone" and phone["status"] == "accepted"
    assert phone["holder"] == {"type": "area", "code": TOWN, "name": "测试街道"}
    program = submit(client, world, user="handler").json()
    assert program["channel"] == "api" and program["status"] == "at_grid"


def test_intake_refusals_change_nothing(client, world):
    from django.contrib.auth import get_user_model

    cases = [
        ({"matter_code": "9999999"}, "matter"),
        ({"description": " "}, "description"),
        ({"lon": 100.0, "lat": 30.0}, "location"),
        ({"lon": POINT_B1[0], "lat": POINT_B1[1]}, "location"),  # not the worker's grid
        ({"urgency": "panic"}, "urgency"),
        ({"attributes": {"stalls": "很多"}}, "attributes"),
    ]
    for overrides, field in cases:
        response = submit(client, world, **overrides)
        assert response.status_code == 422, (overrides, response.content)
        assert response.json()["detail"] == "输入有误"
        assert field in response.json()["errors"], response.json()
    # A phone call needs the caller's contact.
    response = submit(client, world, user="town_operator", reporter_phone="")
    assert "请填写联系电话" in response.json()["errors"]["reporter_phone"][0]
    nobody = get_user_model().objects.create_user("nobody", password="x", full_name="无岗位")
    response = post(client, nobody, "/api/cases", body())
    refused(response, 403, "not_permitted")
    client.logout()
    assert client.post("/api/cases", body(), content_type="application/json").status_code == 401
    assert Case.objects.count() == 0


# Reading --------------------------------------------------------------------------------


def test_detail_masks_the_reporter_and_out_of_scope_is_404(client, world):
    number = submit(client, world).json()["number"]
    response = get(client, world["town_operator"], f"/api/cases/{number}")
    assert response.status_code == 200
    case = response.json()
    assert case["reporter_name"] == "张**" and case["reporter_phone"] == "139****0001"
    assert NAME not in response.content.decode() and PHONE not in response.content.decode()
    assert "tracking_code" not in case  # for the requester, not for every colleague
    assert case["held_by_me"] is False and case["matter_name"] == "占道经营"
    assert get(client, world["worker"], f"/api/cases/{number}").json()["held_by_me"] is True
    missing = get(client, world["other_worker"], f"/api/cases/{number}")
    assert missing.status_code == 404 and missing.json() == {"detail": "未找到"}
    assert get(client, world["town_operator"], "/api/cases/SJ2026112499999").status_code == 404
    assert get(client, world["other_worker"], f"/api/cases/{number}/events").status_code == 404


def test_list_filters_and_scope(client, world):
    first = submit(client, world).json()["number"]
    second = submit(client, world, urgency="urgent", description="路边堆放大量建筑垃圾").json()
    operator = world["town_operator"]
    listed = get(client, operator, "/api/cases").json()
    assert listed["count"] == 2
    assert [c["number"] for c in listed["items"]] == [second["number"], first]
    urgent = get(client, operator, "/api/cases", {"urgency": "urgent"}).json()
    assert [c["number"] for c in urgent["items"]] == [second["number"]]
    by_number = get(client, operator, "/api/cases", {"q": first}).json()
    assert [c["number"] for c in by_number["items"]] == [first]
    assert get(client, operator, "/api/cases", {"status": "closed"}).json()["count"] == 0
    assert get(client, operator, "/api/cases", {"created_from": "2026-11-25"}).json()["count"] == 0
    assert get(client, operator, "/api/cases", {"created_to": "2026-11-24"}).json()["count"] == 2
    page = get(client, operator, "/api/cases", {"limit": 1, "offset": 1}).json()
    assert [c["number"] for c in page["items"]] == [first]
    bad = get(client, operator, "/api/cases", {"status": "lost"})
    assert bad.status_code == 422 and "status" in bad.json()["errors"]
    assert get(client, world["other_worker"], "/api/cases").json()["count"] == 0
    assert get(client, world["handler"], "/api/cases").json()["count"] == 0


def test_inbox_lists_what_to_do_with_counts(client, world):
    number = submit(client, world).json()["number"]
    mine = get(client, world["worker"], "/api/cases/inbox").json()
    assert [c["number"] for c in mine["items"]] == [number] and mine["count"] == 1
    assert mine["assisting"] == mine["extensions"] == mine["supervision"] == 0
    town = get(client, world["town_operator"], "/api/cases/inbox").json()
    assert town["count"] == 0 and town["items"] == []
    version = get(client, world["worker"], f"/api/cases/{number}").json()["version"]
    case = act(client, world, "worker", number, "escalate", note="需执法", version=version)
    case = act(client, world, "town_operator", number, "accept", version=case["version"])
    act(
        client,
        world,
        "town_operator",
        number,
        "dispatch",
        lead=world["lead_department"].pk,
        assist=[world["assist_department"].pk],
        instructions="请依法处理",
        version=case["version"],
    )
    assistant = get(client, world["assistant"], "/api/cases/inbox").json()
    assert assistant["count"] == 0 and assistant["assisting"] == 1
    handler = get(client, world["handler"], "/api/cases/inbox").json()
    assert [c["number"] for c in handler["items"]] == [number]
    assert handler["items"][0]["holder"]["name"] == "测试街道城管执法中队"
    assert get(client, world["town_operator"], "/api/cases/inbox", {"limit": 0}).status_code == 422


# The flow ------------------------------------------------------------------------------


def test_the_whole_flow_through_the_api(client, world):
    case = submit(client, world).json()
    number = case["number"]
    case = act(client, world, "worker", number, "escalate", note="摊主不听劝阻")
    assert case["status"] == "submitted" and case["holder"]["code"] == TOWN
    case = act(client, world, "town_operator", number, "accept", note="受理")
    assert case["status"] == "accepted"
    case = act(
        client,
        world,
        "town_operator",
        number,
        "dispatch",
        lead=world["lead_department"].pk,
        assist=[world["assist_department"].pk],
        instructions="请依法处理占道经营",
        version=case["version"],
    )
    assert case["status"] == "dispatched" and case["holder"]["type"] == "department"
    # The assisting department signs and answers its own part; the case does not move.
    act(client, world, "assistant", number, "sign")
    act(client, world, "assistant", number, "reply", reply="已配合检查证照")
    case = act(client, world, "handler", number, "sign")
    assert case["status"] == "handling"
    case = act(
        client,
        world,
        "handler",
        number,
        "request-extension",
        until="2026-12-03",
        reason="需要联合执法",
    )
    case = act(client, world, "town_operator", number, "decide-extension", approve=True)
    assert timezone.localtime(datetime.fromisoformat(case["due_at"])).date().isoformat() == (
        "2026-12-03"
    )
    case = act(client, world, "handler", number, "reply", reply="已劝离摊贩")
    assert case["status"] == "replied"
    case = act(client, world, "town_operator", number, "verify", accepted=False, note="仍有摊位")
    assert case["status"] == "handling"
    case = act(client, world, "handler", number, "reply", reply="已全部清理")
    case = act(client, world, "town_operator", number, "verify", accepted=True)
    assert case["status"] == "resolved" and case["result"] == "已全部清理"
    case = act(client, world, "town_operator", number, "feedback", feedback="已清理，谢谢")
    assert case["status"] == "fed_back"

    detail = get(client, world["town_operator"], f"/api/cases/{number}").json()
    lead = next(a for a in detail["assignments"] if a["role"] == "lead")
    assert lead["department"] == "测试街道城管执法中队" and lead["extension_status"] == "approved"
    assert {a["role"] for a in detail["assignments"]} == {"lead", "assist"}
    events = get(client, world["town_operator"], f"/api/cases/{number}/events").json()
    kinds = [e["kind"] for e in events]
    assert kinds == [
        "submitted",
        "reported_up",
        "accepted",
        "dispatched",
        "signed",
        "assist_replied",
        "signed",
        "extension_requested",
        "extension_decided",
        "replied",
        "rework",
        "replied",
        "verified",
        "feedback",
    ]
    assert events[1]["actor_name"] == "网格员小李" and events[1]["note"] == "摊主不听劝阻"
    assert events[1]["kind_label"] == "上报上级"


def test_resolve_on_site_then_feedback_and_close(client, world):
    number = submit(client, world, reporter_name="", reporter_phone="").json()["number"]
    case = act(client, world, "worker", number, "resolve-on-site", result="已劝离摊主")
    assert case["status"] == "resolved"
    # Nobody to tell: a grid's own find closes without feedback.
    case = act(client, world, "worker", number, "close", note="已核实")
    assert case["status"] == "closed" and case["holder"] is None


def test_resolve_hand_down_reject_and_merge(client, world):
    number = submit(client, world, user="town_operator").json()["number"]
    case = act(
        client,
        world,
        "town_operator",
        number,
        "hand-down",
        target=GRID_A1,
        instructions="请网格处理",
    )
    assert case["status"] == "at_grid" and case["holder"]["code"] == GRID_A1

    other = submit(client, world, user="town_operator").json()["number"]
    bad = post(
        client,
        world["town_operator"],
        f"/api/cases/{other}/hand-down",
        {"target": "990102", "instructions": "请处理"},
    )
    assert bad.status_code == 422 and "target" in bad.json()["errors"]
    case = act(client, world, "town_operator", other, "resolve", result="已现场处理")
    assert case["status"] == "resolved"
    case = act(client, world, "town_operator", other, "feedback", feedback="已处理")
    assert case["status"] == "fed_back"

    first = submit(client, world).json()["number"]
    act(client, world, "worker", first, "escalate", note="需处理")
    repeat = submit(client, world).json()["number"]
    act(client, world, "worker", repeat, "escalate", note="需处理")
    case = act(
        client,
        world,
        "town_operator",
        repeat,
        "reject",
        ground="duplicate",
        reason="同一摊位",
        duplicate_of=first,
    )
    assert case["status"] == "merged" and case["duplicate_of"] == first
    invalid = submit(client, world).json()["number"]
    act(client, world, "worker", invalid, "escalate", note="需处理")
    missing = post(
        client,
        world["town_operator"],
        f"/api/cases/{invalid}/reject",
        {"ground": "duplicate", "reason": "重复", "duplicate_of": "SJ000"},
    )
    assert missing.status_code == 422 and "duplicate_of" in missing.json()["errors"]
    case = act(
        client, world, "town_operator", invalid, "reject", ground="invalid", reason="已不存在"
    )
    assert case["status"] == "rejected" and case["reject_ground"] == "invalid"


def test_return_postpone_park_resume(client, world):
    number = submit(client, world, user="town_operator").json()["number"]
    act(
        client,
        world,
        "town_operator",
        number,
        "dispatch",
        lead=world["lead_department"].pk,
        instructions="请处理",
    )
    case = act(client, world, "handler", number, "return", reason="不属于本中队职责")
    assert case["status"] == "accepted" and case["holder"]["code"] == TOWN

    response = post(
        client,
        world["town_operator"],
        f"/api/cases/{number}/postpone",
        {"reason": "等待汛期过后", "until": "2026-12-20"},
    )
    assert refused(response, 403, "not_permitted")["detail"] == "此操作需要本级负责人审批"
    case = act(
        client, world, "town_leader", number, "postpone", reason="等待汛期过后", until="2026-12-20"
    )
    assert case["status"] == "postponed" and case["postponed_until"] == "2026-12-20"
    case = act(client, world, "town_operator", number, "resume", note="提前恢复")
    assert case["status"] == "accepted"
    case = act(client, world, "town_leader", number, "park", reason="需纳入明年预算")
    assert case["status"] == "parked" and case["due_at"] is None
    case = act(client, world, "town_operator", number, "resume")
    assert case["status"] == "accepted"
    bad = post(
        client,
        world["town_leader"],
        f"/api/cases/{number}/postpone",
        {"reason": "x", "until": "2026-11-01"},
    )
    assert bad.status_code == 422 and "until" in bad.json()["errors"]


def test_urge_and_supervision(client, world):
    number = submit(client, world).json()["number"]
    case = act(client, world, "county_operator", number, "urge", note="请尽快处理")
    assert case["status"] == "at_grid"
    again = post(client, world["county_operator"], f"/api/cases/{number}/urge", {})
    refused(again, 409, "illegal_transition")
    refused(
        post(
            client,
            world["worker"],
            f"/api/cases/{number}/supervise",
            {"demand": "x", "workdays": 2},
        ),
        403,
        "not_permitted",
    )
    response = post(
        client,
        world["county_operator"],
        f"/api/cases/{number}/supervise",
        {"demand": "请三日内处理并回复", "workdays": 3},
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["number"].startswith("DB2026") and order["status"] == "open"
    assert order["target"] == world["grid_a1"].name and order["case"] == number
    assert get(client, world["worker"], "/api/cases/inbox").json()["supervision"] == 1
    path = f"/api/cases/supervision/{order['number']}/answer"
    assert post(client, world["other_worker"], path, {"answer": "x"}).status_code == 404
    blank = post(client, world["worker"], path, {"answer": " "})
    assert blank.status_code == 422 and "answer" in blank.json()["errors"]
    answered = post(client, world["worker"], path, {"answer": "已处理完毕"})
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    refused(post(client, world["worker"], path, {"answer": "再次回复"}), 409, "illegal_transition")
    assert SupervisionOrder.objects.get().answer == "已处理完毕"
    bad = post(
        client,
        world["county_operator"],
        f"/api/cases/{number}/supervise",
        {"demand": "请处理", "workdays": 30},
    )
    assert bad.status_code == 422 and "workdays" in bad.json()["errors"]


# Refusals -------------------------------------------------------------------------------


def test_refusals_have_codes_and_change_nothing(client, world):
    case = submit(client, world).json()
    number = case["number"]
    # Not the holder: 403.
    response = post(
        client, world["town_operator"], f"/api/cases/{number}/resolve-on-site", {"result": "已处理"}
    )
    assert refused(response, 403, "not_permitted")["detail"] == "此事件当前不由您办理"
    # Not in this state: 409 illegal_transition.
    response = post(client, world["worker"], f"/api/cases/{number}/accept", {})
    assert "网格待处理" in refused(response, 409, "illegal_transition")["detail"]
    # A stale version: 409 conflict.
    act(client, world, "worker", number, "escalate", note="需执法", version=case["version"])
    response = post(
        client,
        world["worker"],
        f"/api/cases/{number}/resolve-on-site",
        {"result": "已处理", "version": case["version"]},
    )
    assert "刚刚被他人处理" in refused(response, 409, "conflict")["detail"]
    # Out of scope: 404 like a missing case.
    response = post(client, world["other_worker"], f"/api/cases/{number}/accept", {})
    assert response.status_code == 404
    # Field errors: 422 with the field named.
    response = post(
        client,
        world["town_operator"],
        f"/api/cases/{number}/reject",
        {"ground": "bored", "reason": "x"},
    )
    assert response.status_code == 422 and "ground" in response.json()["errors"]
    act(client, world, "town_operator", number, "accept")
    for verb, data, field in [
        ("dispatch", {"lead": 999999, "instructions": "请处理"}, "lead"),
        ("dispatch", {"lead": world["county_department"].pk, "instructions": "请处理"}, "lead"),
        ("dispatch", {"lead": world["lead_department"].pk, "instructions": " "}, "instructions"),
        ("resolve", {"result": ""}, "result"),
    ]:
        response = post(client, world["town_operator"], f"/api/cases/{number}/{verb}", data)
        assert response.status_code == 422, (verb, response.content)
        assert field in response.json()["errors"], (verb, response.json())
    stored = Case.objects.get(number=number)
    assert stored.status == "accepted"
    assert list(stored.events.values_list("kind", flat=True)) == [
        "submitted",
        "reported_up",
        "accepted",
    ]


# Attachments and duplicates --------------------------------------------------------------


def test_the_holder_attaches_photos_and_pdf(client, world):
    number = submit(client, world).json()["number"]
    client.force_login(world["worker"])
    pdf = SimpleUploadedFile(
        "doc.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", content_type="application/pdf"
    )
    response = client.post(
        f"/api/cases/{number}/attachments", {"files": [png(), pdf], "note": "现场照片"}
    )
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["kind"] == "note" and event["note"] == "现场照片"
    assert [a["content_type"] for a in event["attachments"]] == ["image/png", "application/pdf"]
    detail = get(client, world["worker"], f"/api/cases/{number}").json()
    assert len(detail["attachments"]) == 2

    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00not an image", content_type="image/png")
    client.force_login(world["worker"])
    response = client.post(f"/api/cases/{number}/attachments", {"files": [fake]})
    assert response.status_code == 422
    assert "只能上传" in response.json()["errors"]["attachments"][0]
    response = client.post(f"/api/cases/{number}/attachments", {"note": "没有文件"})
    assert response.status_code == 422 and "attachments" in response.json()["errors"]
    client.force_login(world["town_operator"])
    response = client.post(f"/api/cases/{number}/attachments", {"files": [png()]})
    refused(response, 403, "not_permitted")
    assert CaseAttachment.objects.count() == 2
    assert CaseEvent.objects.filter(kind="note").count() == 1


def test_possible_duplicates_are_listed_within_scope(client, world):
    first = submit(client, world).json()["number"]
    near = submit(client, world, lon=POINT_A1[0] + 0.0005).json()["number"]
    submit(client, world, lon=POINT_A1[0] + 0.004)  # about 400 m away
    found = get(client, world["town_operator"], f"/api/cases/{first}/duplicates").json()
    assert [c["number"] for c in found] == [near]
    assert 40 < found[0]["distance"] < 60
    assert get(client, world["other_worker"], f"/api/cases/{first}/duplicates").status_code == 404
