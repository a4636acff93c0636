"""The web pages for areas, grids and adjustments, as a logged-in operator sees them."""

import json
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import permission_denied

from gridgov.areas import actions
from gridgov.areas.choices import AdjustmentKind, AdjustmentStatus, AdjustmentTrigger, GridKind
from gridgov.areas.models import Area, Grid, GridAdjustment
from gridgov.core.testing import COUNTY, TOWN, VILLAGE_A, VILLAGE_B, grant, square
from gridgov.orgs.choices import Role

A1 = f"{VILLAGE_A}001"
A2 = f"{VILLAGE_A}002"
B1 = f"{VILLAGE_B}001"

PAGES = [
    ("areas:map", []),
    ("areas:tree", []),
    ("areas:grid_list", []),
    ("areas:grid_detail", [A1]),
    ("areas:grid_panel", [A1]),
    ("areas:adjustment_list", []),
    ("areas:adjustment_create", []),
]


def text_of(response) -> str:
    return response.content.decode()


def geojson_upload(*features) -> SimpleUploadedFile:
    data = {"type": "FeatureCollection", "features": list(features)}
    return SimpleUploadedFile(
        "grids.geojson", json.dumps(data).encode(), content_type="application/geo+json"
    )


def feature(geometry, *, village=VILLAGE_A, kind="urban", **props):
    return {
        "type": "Feature",
        "properties": {"village_code": village, "kind": kind, **props},
        "geometry": geometry,
    }


def propose(*, actor=None, geometry=None, **kwargs) -> GridAdjustment:
    """A proposal made outside the page (by someone else), for the approval pages."""
    args = {
        "town": Area.objects.get(code=TOWN),
        "kind": AdjustmentKind.CREATE,
        "trigger": AdjustmentTrigger.RELOCATION,
        "reason": "新建小区入住",
        "old_grid_codes": [],
        "items": [
            actions.ProposedGrid(
                village_code=VILLAGE_A,
                kind=GridKind.URBAN,
                geometry=geometry or square(108.05, 21.05),
                name="新城网格",
            )
        ],
    }
    args.update(kwargs)
    return actions.do_propose_adjustment(**args, actor=actor)


def retire_a2() -> GridAdjustment:
    adjustment = propose(
        kind=AdjustmentKind.RETIRE,
        trigger=AdjustmentTrigger.VILLAGE_RESIZED,
        reason="村改居后并入相邻网格",
        old_grid_codes=[A2],
        items=[],
    )
    actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 6, 1))
    return adjustment


# Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_users_are_sent_to_login(client, territory, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_renders_for_a_logged_in_user(staff_client, territory, name, args):
    response = staff_client.get(reverse(name, args=args))
    assert response.status_code == 200


def test_home_links_to_the_map(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 200
    assert f'href="{reverse("areas:map")}"' in response.content.decode()


def test_login_page_logs_in(client, territory, django_user_model):
    # A grid worker signs in with a password alone (no second factor for grid posts).
    user = django_user_model.objects.create_user(
        "gridworker",
        password="Grid-test-2024!",
        full_name="网格员老周",
        password_changed_at=timezone.now(),
    )
    grant(user, Role.FULLTIME, grid=Grid.objects.get(code=f"{VILLAGE_A}001"))
    page = client.get(reverse("login"))
    assert "用户名" in text_of(page) and "密码" in text_of(page)
    response = client.post(
        reverse("login"), {"username": "gridworker", "password": "Grid-test-2024!"}, follow=True
    )
    assert "网格员老周" in text_of(response)
    assert "退出" in text_of(response)


def test_layout_has_navigation_and_language_switch(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:grid_list")))
    for label in ("网格地图", "区划", "网格调整", "测试操作员", "退出", "English", "简体中文"):
        assert label in html
    assert settings.SITE_NAME in html


def test_english_interface(staff_client, territory):
    staff_client.post(reverse("set_language"), {"language": "en", "next": "/areas/grids/"})
    html = text_of(staff_client.get(reverse("areas:grid_list")))
    assert '<html lang="en">' in html
    assert "Grid map" in html
    assert "Log out" in html


def test_unknown_grid_is_404_with_a_chinese_page(staff_client, territory):
    response = staff_client.get(reverse("areas:grid_detail", args=["990101001001999"]))
    assert response.status_code == 404
    assert "页面不存在" in text_of(response)


def test_error_pages_for_anonymous_users(client, rf):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in text_of(response)
    request = rf.get("/")
    request.user = AnonymousUser()
    denied = permission_denied(request, PermissionDenied())
    assert denied.status_code == 403 and "无权访问" in denied.content.decode()
    # The 500 page is rendered without a request: it must not need one.
    assert "系统出错" in render_to_string("500.html")


def test_unknown_adjustment_and_area_are_404(staff_client, territory):
    assert staff_client.get(reverse("areas:adjustment_detail", args=["TZ0"])).status_code == 404
    assert staff_client.get(reverse("areas:tree_children", args=["9999"])).status_code == 404


def test_a_user_without_posts_sees_no_grids(client, territory):
    user = get_user_model().objects.create_user(username="nobody", password="x")
    client.force_login(user)
    assert client.get(reverse("areas:grid_detail", args=[A1])).status_code == 404
    assert "没有符合条件的网格" in text_of(client.get(reverse("areas:grid_list")))


def test_a_grid_worker_sees_only_their_grid(client, territory):
    # Out of scope is answered exactly like missing: 404, not 403.
    worker = get_user_model().objects.create_user(username="worker", password="x")
    grant(worker, Role.FULLTIME, grid=Grid.objects.get(code=B1))
    client.force_login(worker)
    assert client.get(reverse("areas:grid_detail", args=[B1])).status_code == 200
    assert client.get(reverse("areas:grid_detail", args=[A1])).status_code == 404
    assert client.get(reverse("areas:grid_panel", args=[A1])).status_code == 404
    listed = text_of(client.get(reverse("areas:grid_list")))
    assert B1 in listed and A1 not in listed
    # The map opens on the worker's own grid.
    config = client.get(reverse("areas:map")).context["map_config"]
    assert config["bounds"] == [[21.01, 108.0], [21.02, 108.01]]


# Map ------------------------------------------------------------------------------------


def test_map_page_carries_its_configuration(staff_client, territory):
    response = staff_client.get(reverse("areas:map"))
    html = text_of(response)
    assert 'id="grid-map"' in html
    assert "定位" in html
    assert "城市社区网格" in html and "海上专属网格" in html  # legend
    assert "leaflet.js" in html
    config = response.context["map_config"]
    # Opens on the user's grids; no tile server configured, so outlines only.
    assert config["bounds"] == [[21.0, 108.0], [21.02, 108.02]]
    assert config["tileUrl"] == ""
    assert config["text"]["outside"] == "不在本市管辖范围内"


def test_map_opens_on_a_grid(staff_client, territory):
    response = staff_client.get(reverse("areas:map"), {"grid": B1})
    config = response.context["map_config"]
    assert config["focusGrid"] == B1
    assert config["bounds"] == [[21.01, 108.0], [21.02, 108.01]]


def test_grid_panel_names_grid_village_town_and_county(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:grid_panel", args=[B1])))
    for text in (B1, "乙社区居民委员会", "测试街道", "测试区", "城市社区网格", "网格详情"):
        assert text in html


def test_outlines_are_simplified_geojson_with_the_sea(staff_client, territory):
    data = staff_client.get(reverse("areas:outlines"), {"level": 2}).json()
    features = {(f["properties"]["code"], f["properties"]["sea"]) for f in data["features"]}
    assert features == {(COUNTY, False), (COUNTY, True)}
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    assert staff_client.get(reverse("areas:outlines"), {"level": 3}).json()["features"] == []
    assert staff_client.get(reverse("areas:outlines"), {"level": 7}).status_code == 404


# Area tree ---------------------------------------------------------------------------------


def test_tree_shows_the_city_and_counties_with_codes_and_grid_counts(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:tree")))
    assert "测试市" in html and "测试区" in html
    assert "990100000000" in html  # the 12-digit statistical code of the city
    assert "990101000000" in html


def test_tree_loads_villages_of_a_town_with_their_grid_counts(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:tree_children", args=[TOWN])))
    assert "甲社区居民委员会" in html and "乙社区居民委员会" in html
    assert VILLAGE_A in html
    assert "（演示）" not in html


def test_tree_offers_proposals_only_where_the_user_may_propose(client, staff_client, territory):
    county_nodes = text_of(staff_client.get(reverse("areas:tree_children", args=[COUNTY])))
    assert "测试街道" in county_nodes and "提出调整" in county_nodes
    city_operator = get_user_model().objects.create_user(username="city", password="x")
    grant(city_operator, Role.AGENCY_OPERATOR, area=territory["city"])
    client.force_login(city_operator)
    county_nodes = text_of(client.get(reverse("areas:tree_children", args=[COUNTY])))
    assert "测试街道" in county_nodes and "提出调整" not in county_nodes
    form = text_of(client.get(reverse("areas:adjustment_create")))
    assert "您的岗位不能提出网格调整" in form


def test_tree_marks_generated_demo_areas(staff_client, territory):
    Area.objects.filter(code=VILLAGE_B).update(is_generated=True)
    html = text_of(staff_client.get(reverse("areas:tree_children", args=[TOWN])))
    assert "（演示）" in html


# Grid list ----------------------------------------------------------------------------------


def test_grid_list_shows_columns(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:grid_list")))
    assert A1 in html and B1 in html
    assert "甲社区居民委员会" in html and "测试街道" in html
    assert "城市社区网格" in html
    assert "在用" in html
    assert "共 4 个网格" in html
    grid = Grid.objects.get(code=A1)
    assert f"{grid.area_m2 / 1e6:.2f}" in html  # about 1.16 km² at 21°N


def test_grid_list_filters_by_village(staff_client, territory):
    html = text_of(
        staff_client.get(
            reverse("areas:grid_list"), {"county": COUNTY, "town": TOWN, "village": VILLAGE_B}
        )
    )
    assert B1 in html and A1 not in html
    assert "共 2 个网格" in html


def test_grid_list_ignores_a_town_outside_the_chosen_county(staff_client, territory):
    # The form re-submits when the county changes; the old town must not linger.
    Area.objects.create(
        code="990102", name="另一区", level=2, kind="district", parent=territory["city"]
    )
    html = text_of(staff_client.get(reverse("areas:grid_list"), {"county": "990102", "town": TOWN}))
    assert "没有符合条件的网格" in html


def test_grid_list_searches_code_and_name(staff_client, territory):
    by_code = text_of(staff_client.get(reverse("areas:grid_list"), {"q": VILLAGE_B}))
    assert B1 in by_code and A1 not in by_code
    name = Grid.objects.get(code=A2).name
    by_name = text_of(staff_client.get(reverse("areas:grid_list"), {"q": name}))
    assert A2 in by_name and B1 not in by_name


def test_grid_list_filters_by_kind(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:grid_list"), {"kind": "exclusive"}))
    assert "没有符合条件的网格" in html


def test_grid_list_shows_active_grids_unless_asked(staff_client, territory):
    retire_a2()
    assert A2 not in text_of(staff_client.get(reverse("areas:grid_list")))
    retired = text_of(staff_client.get(reverse("areas:grid_list"), {"status": "retired"}))
    assert A2 in retired and A1 not in retired and "已撤销" in retired
    everything = text_of(staff_client.get(reverse("areas:grid_list"), {"status": ""}))
    assert A1 in everything and A2 in everything


def test_grid_list_is_paginated_by_fifty(staff_client, territory):
    town = Area.objects.get(code=TOWN)
    items = [
        actions.ProposedGrid(
            village_code=VILLAGE_A,
            kind=GridKind.RURAL,
            geometry=square(108.1 + 0.001 * (i % 10), 21.1 + 0.001 * (i // 10), size=0.001),
        )
        for i in range(50)
    ]
    adjustment = actions.do_propose_adjustment(
        town=town,
        kind=AdjustmentKind.CREATE,
        trigger=AdjustmentTrigger.OTHER,
        reason="加密网格",
        old_grid_codes=[],
        items=items,
        actor=None,
    )
    actions.do_approve_adjustment(adjustment, actor=None)
    first = text_of(staff_client.get(reverse("areas:grid_list")))
    assert "共 54 个网格" in first and "1 / 2" in first
    second = text_of(staff_client.get(reverse("areas:grid_list"), {"page": 2}))
    assert "2 / 2" in second and B1 in second


# Grid detail -----------------------------------------------------------------------------


def test_grid_detail_shows_fields_map_and_history(staff_client, territory):
    grid = Grid.objects.get(code=A1)
    html = text_of(staff_client.get(reverse("areas:grid_detail", args=[A1])))
    for text in (grid.name, A1, "城市社区网格", "甲社区居民委员会", "测试街道", "测试区"):
        assert text in html
    assert "2024-01-01" in html  # valid from
    assert "网格沿革" in html and "设立" in html
    assert grid.created_by_adjustment.number in html
    assert 'id="grid-shape"' in html and 'data-shape-map="grid-shape"' in html


def test_retired_grid_keeps_its_page_and_history(staff_client, territory):
    retirement = retire_a2()
    html = text_of(staff_client.get(reverse("areas:grid_detail", args=[A2])))
    assert "已撤销" in html
    assert "撤销日期" in html and "2024-06-01" in html
    assert retirement.number in html
    assert "村改居后并入相邻网格" in html
    assert html.index("设立") < html.index("2024-06-01")


# Adjustments ----------------------------------------------------------------------------


def test_adjustment_list_filters_by_status(staff_client, territory):
    pending = propose()
    first = GridAdjustment.objects.get(status=AdjustmentStatus.APPROVED)
    html = text_of(staff_client.get(reverse("areas:adjustment_list")))
    assert pending.number in html and first.number in html
    only_pending = text_of(
        staff_client.get(reverse("areas:adjustment_list"), {"status": "proposed"})
    )
    assert pending.number in only_pending and first.number not in only_pending
    assert "待审批" in only_pending


def test_propose_form_offers_the_three_grounds_of_article_6(staff_client, territory):
    html = text_of(staff_client.get(reverse("areas:adjustment_create"), {"town": TOWN}))
    for ground in (
        "网格所在村、社区规模调整",
        "网格内出现重大搬迁、人员流动变化",
        "其他需要调整的情形",
    ):
        assert ground in html
    assert "测试街道" in html


def test_proposing_an_overlapping_grid_shows_the_conflict_and_creates_nothing(
    staff_client, territory
):
    before = GridAdjustment.objects.count()
    response = staff_client.post(
        reverse("areas:adjustment_create"),
        {
            "town": Area.objects.get(code=TOWN).pk,
            "kind": "create",
            "trigger": "relocation",
            "reason": "新建小区",
            "old_grids": "",
            "crs": "wgs84",
            "file": geojson_upload(feature(square(108.002, 21.002, size=0.005))),
        },
    )
    assert response.status_code == 200
    html = text_of(response)
    assert "重叠" in html
    assert A1 in html  # the message names the conflicting grid
    assert GridAdjustment.objects.count() == before


def test_propose_form_reports_bad_input_next_to_the_fields(staff_client, territory):
    response = staff_client.post(
        reverse("areas:adjustment_create"),
        {
            "town": Area.objects.get(code=TOWN).pk,
            "kind": "split",
            "trigger": "other",
            "reason": "",
            "old_grids": "12345",
            "crs": "wgs84",
        },
    )
    html = text_of(response)
    assert "网格编码应为15位数字：12345" in html
    assert GridAdjustment.objects.count() == 1


def test_propose_form_reports_broken_geojson(staff_client, territory):
    response = staff_client.post(
        reverse("areas:adjustment_create"),
        {
            "town": Area.objects.get(code=TOWN).pk,
            "kind": "create",
            "trigger": "relocation",
            "reason": "新建小区",
            "crs": "wgs84",
            "file": SimpleUploadedFile("grids.geojson", b"{not json"),
        },
    )
    assert "不是有效的 JSON" in text_of(response)
    assert GridAdjustment.objects.count() == 1


def test_proposing_through_the_form_waits_for_approval(staff_client, territory):
    response = staff_client.post(
        reverse("areas:adjustment_create"),
        {
            "town": Area.objects.get(code=TOWN).pk,
            "kind": "create",
            "trigger": "relocation",
            "reason": "新建小区入住",
            "crs": "wgs84",
            "file": geojson_upload(feature(square(108.05, 21.05), name="新城网格")),
        },
        follow=True,
    )
    html = text_of(response)
    adjustment = GridAdjustment.objects.get(status=AdjustmentStatus.PROPOSED)
    assert adjustment.number in html
    assert "待审批" in html and "新城网格" in html
    assert not Grid.objects.filter(name="新城网格").exists()


def test_approving_through_the_form_creates_the_new_grid(staff_client, territory):
    adjustment = propose()
    response = staff_client.post(
        reverse("areas:adjustment_approve", args=[adjustment.number]),
        {"note": "同意", "effective_date": "2024-07-01"},
        follow=True,
    )
    html = text_of(response)
    grid = Grid.objects.get(name="新城网格")
    assert grid.code == f"{VILLAGE_A}003"
    assert grid.valid_from == date(2024, 7, 1)
    assert "已批准" in html and grid.code in html and "报市备案时间" in html
    assert grid.code in text_of(staff_client.get(reverse("areas:grid_list")))


def test_the_proposer_cannot_approve_their_own_adjustment(staff_client, staff_user, territory):
    adjustment = propose(actor=staff_user)
    response = staff_client.post(
        reverse("areas:adjustment_approve", args=[adjustment.number]), follow=True
    )
    assert "提出人不能审批自己的网格调整" in text_of(response)
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PROPOSED
    assert not Grid.objects.filter(name="新城网格").exists()


def test_approval_is_refused_when_the_map_changed_meanwhile(staff_client, territory):
    first = propose()
    second = propose(geometry=square(108.052, 21.052, size=0.005))
    actions.do_approve_adjustment(first, actor=None)
    response = staff_client.post(reverse("areas:adjustment_approve", args=[second.number]))
    html = text_of(response)
    assert "重叠" in html and f"{VILLAGE_A}003" in html
    second.refresh_from_db()
    assert second.status == AdjustmentStatus.PROPOSED


def test_rejecting_needs_a_reason(staff_client, territory):
    adjustment = propose()
    url = reverse("areas:adjustment_reject", args=[adjustment.number])
    html = text_of(staff_client.post(url, {"note": ""}))
    assert "驳回须说明理由" in html
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.PROPOSED
    html = text_of(staff_client.post(url, {"note": "与规划不符"}, follow=True))
    assert "已驳回" in html and "与规划不符" in html
    assert not Grid.objects.filter(name="新城网格").exists()


def test_a_decided_adjustment_cannot_be_decided_again(staff_client, territory):
    adjustment = GridAdjustment.objects.get(status=AdjustmentStatus.APPROVED)
    html = text_of(staff_client.get(reverse("areas:adjustment_detail", args=[adjustment.number])))
    assert "批准</button>" not in html
    response = staff_client.post(
        reverse("areas:adjustment_reject", args=[adjustment.number]), {"note": "晚了"}, follow=True
    )
    assert "不能再审批" in text_of(response)


def test_decisions_must_be_posted(staff_client, territory):
    adjustment = propose()
    url = reverse("areas:adjustment_approve", args=[adjustment.number])
    assert staff_client.get(url).status_code == 405


def test_adjustment_detail_shows_items_and_old_grids_on_a_map(staff_client, territory):
    adjustment = propose(
        kind=AdjustmentKind.REDRAW,
        trigger=AdjustmentTrigger.OTHER,
        reason="道路改线",
        old_grid_codes=[A2],
        items=[
            actions.ProposedGrid(
                village_code=VILLAGE_A,
                kind=GridKind.URBAN,
                geometry=square(108.01, 21.0, size=0.009),
                redraw_of=A2,
            )
        ],
    )
    html = text_of(staff_client.get(reverse("areas:adjustment_detail", args=[adjustment.number])))
    assert "边界调整" in html and "道路改线" in html
    assert A2 in html
    assert 'data-shape-map="adjustment-shape"' in html
    assert "批准" in html and "驳回" in html


def test_withdrawing_a_proposal(staff_client, territory):
    adjustment = propose()
    response = staff_client.post(
        reverse("areas:adjustment_withdraw", args=[adjustment.number]), follow=True
    )
    assert "已撤回" in text_of(response)


def test_chinese_by_default_even_for_an_english_browser(staff_client, territory):
    html = text_of(
        staff_client.get(reverse("areas:grid_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    )
    assert '<html lang="zh-hans">' in html
    assert "网格地图" in html
