"""The staffing report (第十一至十三条): exactly the planted gaps, within the viewer's
scope, for agency staff only, and a fixed number of queries however many grids."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from shapely.geometry import box

from gridgov.areas import actions as area_actions
from gridgov.areas.choices import AreaKind, AreaLevel, GridKind
from gridgov.areas.models import Area, Grid
from gridgov.core.geo import to_geojson
from gridgov.core.testing import COUNTY, TOWN, VILLAGE_A, VILLAGE_B, grant, square
from gridgov.orgs import staffing
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel
from gridgov.orgs.tests.people import cast, person

A1, A2, A3 = (f"{VILLAGE_A}00{n}" for n in (1, 2, 3))  # A3: the exclusive market grid
B1, B2 = (f"{VILLAGE_B}00{n}" for n in (1, 2))
TOWN_2 = "990101002"
VILLAGE_C = f"{TOWN_2}001"
C1 = f"{VILLAGE_C}001"


def add_grids(town, village, kind, cells, **extra):
    items = [
        area_actions.ProposedGrid(
            village_code=village.code, kind=kind, geometry=to_geojson(cell), **extra
        )
        for cell in cells
    ]
    adjustment = area_actions.do_propose_adjustment(
        town=town,
        kind="create",
        trigger="other",
        reason="测试",
        old_grid_codes=[],
        items=items,
        actor=None,
        source="demo",
    )
    area_actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 1, 1))


@pytest.fixture
def world(territory):
    """The test town (villages A and B, four urban grids and an exclusive market grid in
    A) and a second town of the county (village C, one rural grid), with these posts:

    - village A: two 总网格长; village B: one, plus an ended and a future one;
    - A1: 网格长 and 专职网格员 (the cast's worker); A2: 专职网格员 only;
      B1: 网格长 only; B2: a 网格长 who left yesterday;
    - A3 (exclusive): a 网格长 and a 专属网格员, but no 专属网格长;
    - village C, C1: nobody.
    """
    people = cast(territory)
    market = Department.objects.create(
        name="测试市市场监督管理局",
        kind="市场监管",
        level=DepartmentLevel.CITY,
        area=territory["city"],
    )
    add_grids(
        territory["town"],
        territory["village_a"],
        GridKind.EXCLUSIVE,
        [box(108.0, 21.0, 108.005, 21.005)],
        subject="market",
        department_id=market.pk,
        name="测试市场",
    )
    town_2 = Area.objects.create(
        code=TOWN_2,
        name="第二镇",
        level=AreaLevel.TOWN,
        kind=AreaKind.TOWN,
        parent=territory["county"],
    )
    village_c = Area.objects.create(
        code=VILLAGE_C,
        name="丙村委会",
        level=AreaLevel.VILLAGE,
        kind=AreaKind.VILLAGE,
        parent=town_2,
    )
    add_grids(town_2, village_c, GridKind.RURAL, [box(108.1, 21.1, 108.11, 21.11)])
    grids = {g.code: g for g in Grid.objects.all()}
    today = timezone.localdate()
    for n in (1, 2):
        grant(
            person(f"chief_a{n}", full_name=f"甲总网格长{n}"),
            Role.CHIEF,
            area=territory["village_a"],
        )
    grant(person("chief_b"), Role.CHIEF, area=territory["village_b"])
    ended = grant(person("chief_b_old"), Role.CHIEF, area=territory["village_b"])
    ended.end_date = today - timedelta(days=1)
    ended.save()
    grant(
        person("chief_b_next"),
        Role.CHIEF,
        area=territory["village_b"],
        start=today + timedelta(days=1),
    )
    grant(person("leader_a1"), Role.LEADER, grid=grids[A1])
    grant(person("fulltime_a2"), Role.FULLTIME, grid=grids[A2])
    grant(person("leader_b1"), Role.LEADER, grid=grids[B1])
    left = grant(person("leader_b2"), Role.LEADER, grid=grids[B2])
    left.end_date = today - timedelta(days=1)
    left.save()
    grant(person("market_leader"), Role.LEADER, grid=grids[A3])  # the wrong role here
    grant(person("market_member"), Role.EXCLUSIVE_MEMBER, grid=grids[A3])
    county_op = person("county_op", full_name="县操作员")
    grant(county_op, Role.AGENCY_OPERATOR, area=territory["county"])
    people.county = county_op
    return people


def codes(rows) -> list[str]:
    return [row.code for row in rows]


def test_the_report_lists_exactly_the_planted_gaps(world):
    town = world.town
    assert codes(staffing.gaps(town, "villages")) == [VILLAGE_A]
    assert codes(staffing.gaps(town, "leaders")) == [A2, A3, B2]
    assert codes(staffing.gaps(town, "fulltime")) == [B1, B2]
    assert staffing.summary(town) == staffing.Summary(
        villages=2,
        villages_without_chief=0,
        villages_with_several_chiefs=1,
        grids=5,
        grids_without_leader=3,
        urban_grids=4,
        urban_grids_without_fulltime=2,
    )


def test_the_county_sees_its_other_town_too(world):
    county = world.county
    assert codes(staffing.gaps(county, "villages")) == [VILLAGE_A, VILLAGE_C]
    assert codes(staffing.gaps(county, "leaders")) == [A2, A3, B2, C1]
    assert codes(staffing.gaps(county, "fulltime")) == [B1, B2]  # rural grids need none
    summary = staffing.summary(county)
    assert (summary.villages, summary.villages_without_chief, summary.grids) == (3, 1, 6)


def test_the_report_narrows_to_an_area(world):
    assert codes(staffing.gaps(world.county, "leaders", within=VILLAGE_B)) == [B2]
    assert staffing.summary(world.county, within=TOWN_2).grids == 1


def test_a_gap_closes_when_the_post_is_granted(world):
    from gridgov.orgs.actions import do_grant_post

    b2 = Grid.objects.get(code=B2)
    do_grant_post(person("new_leader"), Role.LEADER, grid=b2, actor=world.secadmin)
    assert codes(staffing.gaps(world.town, "leaders")) == [A2, A3]


def test_a_grid_worker_elsewhere_does_not_widen_an_agency_report(world):
    # The town operator also holds a grid post in the other town: not their agency's area.
    grant(world.town, Role.PARTTIME, grid=Grid.objects.get(code=C1))
    assert C1 not in codes(staffing.gaps(world.town, "leaders"))


# The page -----------------------------------------------------------------------------


def test_the_page_shows_the_gaps_with_the_chiefs_names(client, world):
    client.force_login(world.town)
    response = client.get("/orgs/staffing/")
    page = response.content.decode()
    assert response.status_code == 200
    assert VILLAGE_A in page and VILLAGE_B not in page
    assert "甲总网格长1" in page and "甲总网格长2" in page
    leaders = client.get("/orgs/staffing/", {"gap": "leaders"}).content.decode()
    for code in (A2, A3, B2):
        assert code in leaders
    assert A1 not in leaders and C1 not in leaders
    assert "无专属网格长" in leaders
    fulltime = client.get("/orgs/staffing/", {"gap": "fulltime"}).content.decode()
    assert B1 in fulltime and A2 not in fulltime


def test_the_page_offers_only_areas_in_scope(client, world):
    client.force_login(world.town)
    response = client.get("/orgs/staffing/", {"within": TOWN_2, "gap": "leaders"})
    choices = [code for code, _label in response.context["filters"].fields["within"].choices]
    assert TOWN_2 not in choices and TOWN in choices and COUNTY not in choices
    # A stale or foreign area is ignored rather than an error.
    assert codes(response.context["page"].object_list) == [A2, A3, B2]


@pytest.mark.parametrize("who", ["worker", "sysadmin", "secadmin", "auditor", "nobody"])
def test_the_page_is_missing_for_everyone_but_agency_staff(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get("/orgs/staffing/").status_code == 404
    assert client.get("/api/orgs/staffing").status_code == 404
    assert client.get("/api/orgs/staffing/villages").status_code == 404


# The API ------------------------------------------------------------------------------


def test_the_api_gives_the_same_report(client, world):
    client.force_login(world.town)
    summary = client.get("/api/orgs/staffing").json()
    assert summary["grids_without_leader"] == 3
    assert summary["villages_with_several_chiefs"] == 1
    villages = client.get("/api/orgs/staffing/villages").json()
    assert villages["count"] == 1
    assert villages["items"][0] == {
        "code": VILLAGE_A,
        "name": "甲社区居民委员会",
        "town_code": TOWN,
        "town_name": "测试街道",
        "chiefs": 2,
    }
    grids = client.get("/api/orgs/staffing/grids", {"gap": "fulltime"}).json()
    assert [g["code"] for g in grids["items"]] == [B1, B2]
    assert client.get("/api/orgs/staffing/grids", {"gap": "nonsense"}).status_code == 422


# Fast on a city: a fixed number of queries ------------------------------------------------


def add_many_grids(territory, villages: int, grids_per_village: int) -> None:
    """Villages and grids written directly (the report only reads them)."""
    town = territory["town"]
    for v in range(villages):
        village = Area.objects.create(
            code=f"{TOWN}{300 + v:03d}",
            name=f"批量村{v}",
            level=AreaLevel.VILLAGE,
            kind=AreaKind.VILLAGE,
            parent=town,
        )
        Grid.objects.bulk_create(
            Grid(
                code=f"{village.code}{g + 1:03d}",
                name=f"批量网格{v}-{g}",
                village=village,
                seq=g + 1,
                kind=GridKind.URBAN if g % 2 else GridKind.RURAL,
                geometry=square(108.0, 21.0),
                area_m2=1.0,
                centroid_lon=108.0,
                centroid_lat=21.0,
                valid_from=date(2024, 1, 1),
            )
            for g in range(grids_per_village)
        )


@pytest.mark.parametrize("gap", ["villages", "leaders", "fulltime"])
def test_the_page_takes_a_fixed_number_of_queries(
    client, world, territory, gap, django_assert_max_num_queries
):
    add_many_grids(territory, villages=30, grids_per_village=20)
    client.force_login(world.county)
    # The report's own queries plus the navigation's fixed few (inbox and bell counts);
    # 600 grids must not make it more.
    with django_assert_max_num_queries(14):
        response = client.get("/orgs/staffing/", {"gap": gap})
    assert response.status_code == 200
    assert response.context["summary"].grids == 600 + 6
    with django_assert_max_num_queries(6):
        assert client.get("/api/orgs/staffing").json()["grids"] == 606
    url = "/api/orgs/staffing/villages" if gap == "villages" else "/api/orgs/staffing/grids"
    with django_assert_max_num_queries(6):
        assert client.get(url, {"gap": gap}).status_code == 200
