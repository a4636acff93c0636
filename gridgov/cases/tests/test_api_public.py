"""The public case API: a resident reports without an account, follows the case by its
tracking code and rates it; nothing personal or internal ever reaches the answer."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.cases import actions
from gridgov.cases.choices import PUBLIC_EVENTS
from gridgov.cases.models import Case
from gridgov.cases.testing import MATTER_CODE, POINT_A1, case_world
from gridgov.matters.models import Matter

CST = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=CST)
NAME, PHONE = "欧阳明月", "13907770001"
INTERNAL = "摊主是村主任亲戚，注意方式"


@pytest.fixture(autouse=True)
def _tuesday():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def world(territory):
    return case_world(territory)


def report(client, key="", **overrides):
    data = {
        "matter_code": MATTER_CODE,
        "description": "小区门口人行道上有三个摊位占道经营",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "reporter_name": NAME,
        "reporter_phone": PHONE,
    }
    data.update(overrides)
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/public/cases", data, content_type="application/json", headers=headers)


def track(client, code):
    return client.get(f"/api/public/cases/{code}")


def rate(client, code, rating, comment=""):
    return client.post(
        f"/api/public/cases/{code}/rating",
        {"rating": rating, "comment": comment},
        content_type="application/json",
    )


def test_a_resident_reports_without_an_account_and_a_retry_makes_no_second_case(client, world):
    first = report(client, key="web-7f3a")
    assert first.status_code == 201, first.content
    case = first.json()
    assert len(case["tracking_code"]) == 10 and case["number"].startswith("SJ20261124")
    assert case["status"] == "at_grid" and case["matter_name"] == "占道经营"
    assert [e["kind"] for e in case["timeline"]] == ["submitted"]
    assert case["timeline"][0]["note"] == "已收到您反映的问题"
    again = report(client, key="web-7f3a")
    assert again.status_code == 200 and again.json()["tracking_code"] == case["tracking_code"]
    changed = report(client, key="web-7f3a", description="另一处占道")
    assert changed.status_code == 422
    assert "idempotency_key" in changed.json()["errors"]
    stored = Case.objects.get()
    assert stored.channel == "resident" and stored.reporter is None
    assert stored.reporter_name == NAME and stored.reporter_phone == PHONE


def test_public_intake_refusals_in_chinese(client, world):
    response = report(client, reporter_phone="")
    assert response.status_code == 422
    assert response.json()["errors"]["reporter_phone"] == ["请填写联系电话，以便反馈办理结果"]
    Matter.objects.filter(code=MATTER_CODE).update(resident_reportable=False)
    response = report(client)
    assert "不接受群众直接反映" in response.json()["errors"]["matter"][0]
    assert Case.objects.count() == 0


def test_anonymous_report_keeps_no_contact(client, world):
    response = report(client, anonymous=True)
    assert response.status_code == 201
    stored = Case.objects.get()
    assert stored.anonymous and stored.reporter_name == "" and stored.reporter_phone == ""


def test_tracking_shows_progress_and_leaks_nothing(client, world):
    code = report(client).json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    case = actions.do_escalate(case, INTERNAL, actor=world["worker"])
    case = actions.do_accept(case, "已核实", actor=world["town_operator"])
    case = actions.do_dispatch(
        case, world["lead_department"], "请依法处理，" + INTERNAL, actor=world["town_operator"]
    )
    case = actions.do_sign(case, actor=world["handler"])
    case = actions.do_reply(case, "已劝离摊贩，经办人手机13800001111", actor=world["handler"])
    case = actions.do_verify(case, True, actor=world["town_operator"])
    case = actions.do_feedback(case, "已清理占道摊位，谢谢您的反映", actor=world["town_operator"])

    response = track(client, code.lower())  # codes are read out on the phone: any case
    assert response.status_code == 200
    data = response.json()
    text = response.content.decode()
    # No personal data, no staff names, no internal notes.
    for secret in (NAME, "欧阳", PHONE, "1390777", "13800001111", INTERNAL, "网格员小李"):
        assert secret not in text, secret
    for person in ("worker", "town_operator", "handler"):
        assert world[person].full_name not in text
    assert data["status"] == "fed_back" and data["can_rate"] is True
    assert data["feedback"] == "已清理占道摊位，谢谢您的反映"
    kinds = [e["kind"] for e in data["timeline"]]
    assert kinds == ["submitted", "reported_up", "accepted", "dispatched", "replied", "feedback"]
    assert set(kinds) <= set(PUBLIC_EVENTS)
    units = {e["kind"]: e["unit"] for e in data["timeline"]}
    assert units["reported_up"] == world["grid_a1"].name
    assert units["accepted"] == "测试街道" and units["replied"] == "测试街道城管执法中队"
    assert data["timeline"][3]["note"] == "已转测试街道城管执法中队办理"
    assert "actor_name" not in text and "reporter" not in text


def test_rating_by_tracking_code(client, world):
    code = report(client).json()["tracking_code"]
    too_early = rate(client, code, "satisfied")
    assert too_early.status_code == 409 and too_early.json()["code"] == "illegal_transition"
    case = Case.objects.get(tracking_code=code)
    case = actions.do_resolve_on_site(case, "已劝离", actor=world["worker"])
    actions.do_feedback(case, "已劝离摊贩", actor=world["worker"])

    bad = rate(client, code, "great")
    assert bad.status_code == 422 and "rating" in bad.json()["errors"]
    why = rate(client, code, "unsatisfied")
    assert why.status_code == 422 and "comment" in why.json()["errors"]
    assert Case.objects.get(tracking_code=code).status == "fed_back"

    reopened = rate(client, code, "unsatisfied", "第二天又来摆摊了")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "at_grid" and reopened.json()["can_rate"] is False
    case = Case.objects.get(tracking_code=code)
    case = actions.do_resolve_on_site(case, "已安排长期巡查", actor=world["worker"])
    actions.do_feedback(case, "已安排长期巡查", actor=world["worker"])
    done = rate(client, code, "basic")
    assert done.status_code == 200
    data = done.json()
    assert data["status"] == "closed" and data["rating"] == "basic"
    assert data["rating_label"] == "基本满意"
    assert rate(client, code, "satisfied").status_code == 409


def test_unknown_tracking_code_is_404(client, world):
    assert track(client, "ABCDEFGHJK").status_code == 404
    assert rate(client, "ABCDEFGHJK", "satisfied").status_code == 404


def test_the_public_api_has_the_same_per_address_limit_as_the_form(client, world, settings):
    settings.CASE_PUBLIC_REPORTS_PER_HOUR = 2
    assert report(client, key="a").status_code == 201
    assert report(client, key="b", description="另一处占道").status_code == 201
    refused = report(client, key="c", description="第三处占道")
    assert refused.status_code == 429 and "频繁" in refused.json()["detail"]
    # A retry of an accepted submission is not a new report: it still gets its case.
    assert report(client, key="a").status_code == 200
    assert Case.objects.count() == 2
