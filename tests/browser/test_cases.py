"""One case the whole way in a browser (issue 5, done-when): a resident reports on the
public site from a phone → the grid worker sees it in the inbox and reports it up → the
town operator accepts it and dispatches it to the department → the department handler
signs and replies → the town operator verifies and gives feedback → the resident rates it
by the tracking code and sees it closed. Each person finds it in their inbox at their
step, and it leaves the inbox once they have acted."""

import re

import pytest
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.cases.testing import MATTER_CODE, POINT_A1, case_world
from gridgov.core.testing import make_territory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Cases-test-2026!"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(transactional_db):
    world = case_world(make_territory())
    for key in ("worker", "town_operator", "handler"):
        world[key].set_password(PASSWORD)
        world[key].save()
    return world


@pytest.fixture
def open_page(browser):
    """Pages in separate browser contexts: each person has their own session."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on(
            "console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None
        )
        return page

    yield make
    for context in contexts:
        context.close()


def _login(page, url, username, full_name, *, second_factor=True):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    if second_factor:
        expect(page.locator("h1")).to_have_text("启用动态口令")
        secret = page.get_by_test_id("totp-secret").inner_text()
        page.fill("#id_code", totp.code_at(secret, totp.current_step()))
        page.get_by_role("button", name="启用并登录").click()
    expect(page.get_by_test_id("user-name")).to_have_text(full_name)


def _open_from_inbox(page, base, number):
    page.goto(f"{base}/cases/")
    expect(page.get_by_test_id("inbox")).to_contain_text(number)
    page.get_by_role("link", name=number).click()
    expect(page.get_by_test_id("case-number")).to_have_text(number)


def _act(page, name, status, **fields):
    """Open the action form ``name`` if needed, fill it, submit, and wait for ``status``."""
    form = page.get_by_test_id(f"form-{name}")
    if not form.is_visible():
        page.get_by_test_id(f"open-{name}").click()
    for field, value in fields.items():
        selector = f"#id_{name}-{field}"
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.get_by_test_id(f"submit-{name}").click()
    expect(page.get_by_test_id("case-status")).to_have_text(status)


def _inbox_lacks(page, base, number):
    page.goto(f"{base}/cases/")
    expect(page.get_by_test_id("tab-todo")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(number)


def test_one_case_from_a_residents_report_to_a_rating(live_server, open_page, world):
    base = live_server.url

    # A resident, on a phone, reports from the public site (no login) with the location
    # of the device.
    resident = open_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": POINT_A1[0], "latitude": POINT_A1[1]},
        permissions=["geolocation"],
    )
    resident.goto(f"{base}/public/matters/")
    resident.get_by_test_id("report-link").click()
    expect(resident.locator("h1")).to_have_text("反映问题")
    resident.wait_for_load_state()  # htmx ready: the matter's own fields follow the select
    resident.select_option("#id_matter", MATTER_CODE)
    expect(resident.locator("#id_attr_stalls")).to_be_visible()  # the matter's own field
    resident.fill("#id_attr_stalls", "3")
    resident.fill("#id_description", "小区门口人行道上有三个摊位占道经营，行人只能走机动车道")
    resident.get_by_role("button", name="使用当前位置").click()
    expect(resident.locator("#id_lon")).to_have_value(str(POINT_A1[0]))
    # The map shows the point at street level, not a dot on the whole city.
    resident.wait_for_function("window.caseMap.getZoom() >= 16")
    centre = resident.evaluate("(c => [c.lng, c.lat])(window.caseMap.getCenter())")
    assert abs(centre[0] - POINT_A1[0]) < 1e-4 and abs(centre[1] - POINT_A1[1]) < 1e-4
    resident.fill("#id_reporter_name", "张三")
    resident.fill("#id_reporter_phone", "13907770001")
    resident.get_by_test_id("submit-report").click()
    code = resident.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", code)
    # Back to the form (to report something else): the matter the browser keeps selected
    # comes with its own fields again.
    resident.go_back()
    expect(resident.locator("#id_matter")).to_have_value(MATTER_CODE)
    expect(resident.locator("#id_attr_stalls")).to_be_visible()
    from gridgov.cases.models import Case

    number = Case.objects.get(tracking_code=code).number

    # The grid worker (a phone too) finds it in the inbox, counted in the navigation, and
    # reports it up.
    worker = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    _login(worker, f"{base}/cases/", "worker", "网格员小李", second_factor=False)
    expect(worker.get_by_test_id("inbox-count")).to_have_text("1")
    # On the phone each inbox row fits the screen, status and time limit included.
    row = worker.get_by_test_id("inbox").locator("tbody tr").first
    for part in (
        row.get_by_test_id("case-link"),
        row.get_by_test_id("case-status"),
        row.get_by_test_id("due"),
    ):
        box = part.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(worker.locator("main").get_by_text("登记事件", exact=True)).to_have_count(1)
    _open_from_inbox(worker, base, number)
    expect(worker.get_by_test_id("reporter")).to_contain_text("张*")
    _act(worker, "escalate", "待受理", note="摊主不听劝阻，需要执法")
    _inbox_lacks(worker, base, number)

    # The town operator accepts it and dispatches it to the lead department.
    operator = open_page()
    _login(operator, f"{base}/cases/", "town_operator", "街道中心操作员")
    expect(operator.get_by_test_id("inbox-count")).to_have_text("1")
    _open_from_inbox(operator, base, number)
    _act(operator, "accept", "办理中")
    _act(
        operator,
        "dispatch",
        "待部门签收",
        lead=str(world["lead_department"].pk),
        instructions="请依法处理占道经营，五个工作日内答复",
    )
    _inbox_lacks(operator, base, number)

    # The department handler signs for it and replies.
    handler = open_page()
    _login(handler, f"{base}/cases/", "handler", "城管中队经办人")
    _open_from_inbox(handler, base, number)
    _act(handler, "sign", "部门办理中")
    _act(handler, "reply", "待核查", reply="已劝离摊贩三处，并设置禁止摆摊提示牌")
    _inbox_lacks(handler, base, number)

    # The town operator verifies the reply and tells the resident.
    _open_from_inbox(operator, base, number)
    _act(operator, "verify", "已办结待反馈")
    _act(operator, "feedback", "已反馈待评价", feedback="已清理占道摊位，谢谢您的反映")
    _inbox_lacks(operator, base, number)

    # The resident looks the case up by its code and rates it.
    resident.goto(f"{base}/public/cases/track/")
    resident.fill("#id_code", code.lower())
    resident.get_by_role("button", name="查询").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已反馈待评价")
    expect(resident.get_by_test_id("public-feedback")).to_have_text("已清理占道摊位，谢谢您的反映")
    timeline = resident.get_by_test_id("public-timeline")
    expect(timeline).to_contain_text("测试街道城管执法中队")
    expect(timeline).not_to_contain_text("城管中队经办人")  # units, never staff names
    resident.get_by_label("满意", exact=True).check()
    resident.get_by_test_id("submit-rating").click()
    expect(resident.get_by_test_id("public-status")).to_have_text("已结案")

    for name, person in (("r", resident), ("w", worker), ("o", operator), ("h", handler)):
        assert person.errors == [], name


def test_a_click_on_a_far_view_zooms_in_on_the_point(live_server, open_page, world):
    page = open_page()
    page.goto(f"{live_server.url}/public/cases/new/")
    page.wait_for_function("window.caseMap !== undefined")
    box = page.locator("[data-picker]").bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    page.evaluate("window.caseMap.setZoom(9, {animate: false})")
    page.mouse.click(*middle)
    page.wait_for_function("window.caseMap.getZoom() === 16")
    expect(page.locator("#id_lon")).not_to_have_value("")
    # Close enough already: a click only moves the point.
    page.evaluate("window.caseMap.setZoom(15, {animate: false})")
    page.mouse.click(middle[0] + 20, middle[1])
    page.wait_for_timeout(300)
    assert page.evaluate("window.caseMap.getZoom()") == 15
    assert page.errors == []
