"""The registry pages on a 390 px phone after review: the 网格长 reads a submission in
Chinese (labels, names, the long address code wrapped, nothing wider than the screen),
sees every tab, and removes a care tag only after confirming it."""

import importlib

import pytest
from playwright.sync_api import expect

from gridgov.core.testing import make_territory
from gridgov.registry import actions
from gridgov.registry.testing import (
    assert_no_plain_personal_data,
    id_number,
    make_address,
    registry_people,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Grid-test-2024!"
WIDTH = 390


@pytest.fixture
def world(transactional_db):
    # A transactional test before this one may have flushed the seeded reference data.
    from django.apps import apps

    importlib.import_module("gridgov.registry.migrations.0002_seed_ethnicities_and_care_tags").seed(
        apps, None
    )
    territory = make_territory()
    people = registry_people(territory)
    door = make_address()
    # The deepest kind of standard address: door → building → unit → room (a long code).
    parent = door
    for level, name in (("building", "3栋"), ("unit", "2单元"), ("room", "301")):
        _sub, parent = actions.do_import_record(
            "address", {"level": level, "name": name, "parent": parent.code}, actor=None
        )
    room = parent
    collected = actions.do_submit(
        "household",
        {
            "address": room.code,
            "members": [
                {
                    "name": "陈明",
                    "id_number": id_number(61),
                    "relation": "head",
                    "phone": "13512340000",
                    "ethnicity": "08",
                },
                {"name": "陈小红", "id_number": id_number(62), "relation": "child"},
            ],
        },
        actor=people["worker"],
    )
    return {"people": people, "room": room, "submission": collected}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()


def _login(page, url, username):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, width
    assert_no_plain_personal_data(page.content())
    assert page.errors == []


def test_a_leader_reads_verifies_and_removes_a_tag_on_a_phone(live_server, phone, world):
    page = phone
    room, sub = world["room"], world["submission"]
    assert len(room.code) >= 30, room.code

    _login(page, f"{live_server.url}/registry/submissions/{sub.public_id}/", "leader")
    expect(page.get_by_test_id("submission-title")).to_contain_text("户采集")
    data = page.get_by_test_id("submission-data")
    expect(data).to_contain_text("住址")
    expect(data).to_contain_text(room.full_name)
    expect(data).to_contain_text("壮族")
    expect(data).to_contain_text("户籍人口")
    expect(data).to_contain_text("居民身份证")
    expect(data).not_to_contain_text("registered")
    # The long code wraps inside the screen.
    code = data.locator("small", has_text=room.code[-8:])
    box = code.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    _fits(page)

    # Every tab is on the screen (wrapped, none hidden); import is not the leader's.
    tabs = page.get_by_test_id("registry-tabs").get_by_role("link")
    names = tabs.all_inner_texts()
    assert "导出" in names and "导入" not in names and "户" in names
    for index in range(tabs.count()):
        box = tabs.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, names[index]

    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已核实")
    expect(page.get_by_test_id("submission-title")).to_contain_text("户采集")
    _fits(page)

    # The head's page: the household by its head and address; tags are removed in two steps.
    from gridgov.registry.models import Person

    head = Person.objects.get(name="陈明")
    actions.do_add_care_tag(head, "elderly_alone", actor=world["people"]["leader"])
    page.goto(f"{live_server.url}/registry/persons/{head.public_id}/")
    expect(page.get_by_test_id("household-link")).to_have_text(f"户主 陈* · {room.full_name}")
    expect(page.get_by_test_id("nationality")).to_have_text("中国")
    _fits(page)
    page.get_by_role("link", name="删除“独居老人”标签").click()
    expect(page.get_by_test_id("tag-remove")).to_contain_text("确定删除 陈* 的“独居老人”标签吗？")
    page.get_by_role("link", name="取消").click()
    expect(page.get_by_test_id("care-tags")).to_contain_text("独居老人")
    page.get_by_role("link", name="删除“独居老人”标签").click()
    page.get_by_test_id("confirm-remove").click()
    expect(page.get_by_text("已删除关爱对象标签")).to_be_visible()
    expect(page.get_by_test_id("no-care-tags")).to_be_visible()
    _fits(page)
