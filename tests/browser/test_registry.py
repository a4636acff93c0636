"""The registry on a phone: a grid worker collects a household, the 网格长 verifies it,
the county operator finds the person by exact ID number, and a grid worker of another
grid cannot find them. No page shows a plaintext ID or mobile number."""

import importlib

import pytest
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.core.testing import make_territory
from gridgov.registry.testing import (
    assert_no_plain_personal_data,
    id_number,
    make_address,
    registry_people,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Grid-test-2024!"
HEAD = id_number(51)
CHILD = id_number(52)


@pytest.fixture
def world(transactional_db):
    # A transactional test before this one may have flushed the seeded reference data.
    from django.apps import apps

    importlib.import_module("gridgov.registry.migrations.0002_seed_ethnicities_and_care_tags").seed(
        apps, None
    )
    territory = make_territory()
    people = registry_people(territory)
    return {"people": people, "door": make_address()}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
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


def _clean(page):
    assert_no_plain_personal_data(page.content())
    assert page.errors == []


def _login(page, url, username, full_name, *, second_factor=False):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    if second_factor:
        expect(page.locator("h1")).to_have_text("启用动态口令")
        secret = page.get_by_test_id("totp-secret").inner_text()
        page.fill("#id_code", totp.code_at(secret, totp.current_step()))
        page.get_by_role("button", name="启用并登录").click()


def _menu(page):
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#main-nav")).to_be_visible()


def _logout(page):
    _menu(page)
    page.get_by_role("button", name="退出").click()


def _search(page, live_server, number):
    page.goto(f"{live_server.url}/registry/")
    page.fill("#id_q", number)
    page.get_by_role("button", name="查询", exact=True).click()


def test_collect_verify_find_on_a_phone(live_server, phone, world):
    page = phone
    door = world["door"]

    # The grid worker signs in and opens 基础信息 from the menu.
    _login(page, f"{live_server.url}/login/", "worker", "甲一网格员")
    _menu(page)
    page.get_by_role("link", name="基础信息").click()
    page.get_by_test_id("collect-household").click()
    expect(page.locator("h1")).to_have_text("采集一户")
    # The form fits the phone: no horizontal scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width

    page.select_option("#id_address", door.code)
    page.fill("#id_members-0-name", "陈明")
    page.select_option("#id_members-0-relation", "head")
    page.fill("#id_members-0-id_number", HEAD)
    page.fill("#id_members-0-phone", "13512340000")
    page.select_option("#id_members-0-ethnicity", "08")
    page.fill("#id_members-1-name", "陈小红")
    page.select_option("#id_members-1-relation", "child")
    # A typo in the check digit: refused in Chinese, on the member's card.
    page.fill("#id_members-1-id_number", CHILD[:-1] + ("0" if CHILD[-1] != "0" else "1"))
    page.get_by_role("button", name="提交核实").click()
    expect(page.locator("#id_members-1-id_number_errors")).to_contain_text("身份证号码校验位错误")
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.errors.clear()  # the refused form answers 400 on purpose
    _clean(page)
    # The numbers typed are kept (masked); only the wrong one is typed again.
    page.fill("#id_members-1-id_number", CHILD)
    page.get_by_role("button", name="提交核实").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("待核实")
    expect(page.get_by_test_id("submission-data")).to_contain_text("陈*")
    _clean(page)
    _logout(page)

    # The 网格长 verifies.
    _login(page, f"{live_server.url}/registry/submissions/", "leader", "甲一网格长")
    page.get_by_test_id("submissions").get_by_role("link").first.click()
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("submission-status")).to_have_text("已核实")
    _clean(page)
    _logout(page)

    # The county operator finds the person by the exact ID number.
    _login(page, f"{live_server.url}/registry/", "county", "区中心操作员", second_factor=True)
    _search(page, live_server, HEAD)
    persons = page.get_by_test_id("persons")
    expect(persons).to_contain_text("陈*")
    expect(persons).to_contain_text("450***********" + HEAD[-4:])
    assert HEAD not in page.url
    _clean(page)
    persons.get_by_role("link", name="陈*").click()
    expect(page.get_by_test_id("person-name")).to_have_text("陈*")
    expect(page.get_by_test_id("person-facts")).to_contain_text("135****0000")
    _clean(page)
    _logout(page)

    # A grid worker of another grid finds nothing (the same as for an unknown number).
    _login(page, f"{live_server.url}/registry/", "worker_b", "乙一网格员")
    _search(page, live_server, HEAD)
    expect(page.get_by_test_id("no-results")).to_be_visible()
    _clean(page)
