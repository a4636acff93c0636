"""The map page in a real browser: log in, open the map, click a grid, read its panel."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from gridgov.accounts import totp
from gridgov.areas.models import Grid
from gridgov.core.testing import VILLAGE_A, VILLAGE_B, grant
from gridgov.orgs.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Grid-browser-2024!"


@pytest.fixture
def worker(territory):
    """An operator of the test town's grid-management agency."""
    user = get_user_model().objects.create_user(
        username="wanggeyuan",
        password=PASSWORD,
        full_name="网格员小李",
        password_changed_at=timezone.now(),
    )
    grant(user, Role.AGENCY_OPERATOR, area=territory["town"])
    return user


def log_in(page, live_server, next_path):
    page.goto(f"{live_server.url}{next_path}")
    # Not logged in yet: the login page, which comes back to the map afterwards.
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#id_username", "wanggeyuan")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    # An agency operator signs in with a second factor: the first time, enrol an
    # authenticator app from the secret shown, then type its current code.
    expect(page.locator("h1")).to_have_text("启用动态口令")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.fill("#id_code", totp.code_at(secret, totp.current_step()))
    page.get_by_role("button", name="启用并登录").click()
    expect(page.get_by_test_id("user-name")).to_have_text("网格员小李")


def wait_for_grids(page):
    page.wait_for_function(
        "() => { const m = document.getElementById('grid-map');"
        " return m.dataset.ready && !m.dataset.gridsLoading && Number(m.dataset.gridCount) > 0; }"
    )


def click_at(page, lat, lon):
    """Click the map where (lat, lon) is drawn, as a user's finger would."""
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.gridMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    box = page.locator("#grid-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_clicking_a_grid_shows_its_code_village_and_town(live_server, page, territory, worker):
    grid = Grid.objects.select_related("village__parent").get(code=f"{VILLAGE_B}002")
    log_in(page, live_server, "/areas/map/")
    expect(page).to_have_url(f"{live_server.url}/areas/map/")
    expect(page.locator("#grid-map")).to_have_attribute("data-ready", "1")

    page.evaluate(
        "([lat, lon]) => window.gridMap.setView([lat, lon], 14)",
        [grid.centroid_lat, grid.centroid_lon],
    )
    wait_for_grids(page)
    page.screenshot(path="/tmp/map.png")
    click_at(page, grid.centroid_lat, grid.centroid_lon)

    panel = page.locator("#map-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(grid.code)
    expect(panel).to_contain_text(grid.village.name)  # 乙社区居民委员会
    expect(panel).to_contain_text(grid.village.parent.name)  # 测试街道
    expect(panel.get_by_role("link", name="网格详情")).to_have_attribute(
        "href", f"/areas/grids/{grid.code}/"
    )
    assert page.errors == []


def test_locate_box_finds_the_grid_or_says_outside(live_server, page, territory, worker):
    log_in(page, live_server, "/areas/map/")
    page.fill("#locate-point", "108.005,21.005")
    page.click("#locate-form button[type=submit]")
    panel = page.locator("#map-panel")
    expect(panel).to_contain_text(f"{VILLAGE_A}001")
    expect(panel).to_contain_text("甲社区居民委员会")

    page.fill("#locate-point", "100.0,30.0")
    page.click("#locate-form button[type=submit]")
    expect(panel).to_contain_text("不在本市管辖范围内")
    assert page.errors == []


def test_grid_detail_draws_its_own_map(live_server, page, territory, worker):
    log_in(page, live_server, f"/areas/grids/{VILLAGE_A}001/")
    expect(page.locator("h1")).to_contain_text("网格")
    # Leaflet drew the polygon on its canvas inside the small map.
    expect(page.locator(".shape-map canvas")).to_have_count(1)
    assert page.errors == []
