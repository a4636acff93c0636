"""Helpers shared by the test suites: a small made-up territory built through the actions."""

from datetime import date

from shapely.geometry import box

from gridgov.areas import actions
from gridgov.areas.choices import AdjustmentKind, AdjustmentTrigger, AreaKind, AreaLevel, GridKind
from gridgov.areas.models import Area
from gridgov.core.geo import to_geojson

# A made-up county far from Qinzhou's real codes: 9901 city, 990101 county, …
CITY = "9901"
COUNTY = "990101"
TOWN = "990101001"
VILLAGE_A = "990101001001"
VILLAGE_B = "990101001002"
COUNTY_BOX = (108.0, 21.0, 108.2, 21.2)


def square(min_lon, min_lat, size=0.01):
    return to_geojson(box(min_lon, min_lat, min_lon + size, min_lat + size))


def make_territory(*, grids_per_village: int = 2) -> dict[str, Area]:
    """City → county (a 0.2° box) → town → two villages, each with a row of 0.01° grids.

    Village A's grids start at (108.0, 21.0), village B's at (108.0, 21.01), so
    grids of the two villages share edges.
    """
    city = Area.objects.create(code=CITY, name="测试市", level=AreaLevel.CITY, kind=AreaKind.CITY)
    county = Area(
        code=COUNTY, name="测试区", level=AreaLevel.COUNTY, kind=AreaKind.DISTRICT, parent=city
    )
    county.set_geometry(box(*COUNTY_BOX))
    sea = box(COUNTY_BOX[0], COUNTY_BOX[1] - 0.2, COUNTY_BOX[2], COUNTY_BOX[1])
    county.sea_geometry = to_geojson(sea)
    county.save()
    town = Area.objects.create(
        code=TOWN, name="测试街道", level=AreaLevel.TOWN, kind=AreaKind.SUBDISTRICT, parent=county
    )
    village_a = Area.objects.create(
        code=VILLAGE_A,
        name="甲社区居民委员会",
        level=AreaLevel.VILLAGE,
        kind=AreaKind.COMMUNITY,
        parent=town,
    )
    village_b = Area.objects.create(
        code=VILLAGE_B,
        name="乙社区居民委员会",
        level=AreaLevel.VILLAGE,
        kind=AreaKind.COMMUNITY,
        parent=town,
    )
    items = []
    for row, village in enumerate((village_a, village_b)):
        for col in range(grids_per_village):
            items.append(
                actions.ProposedGrid(
                    village_code=village.code,
                    kind=GridKind.URBAN,
                    geometry=square(108.0 + 0.01 * col, 21.0 + 0.01 * row),
                )
            )
    if items:
        adjustment = actions.do_propose_adjustment(
            town=town,
            kind=AdjustmentKind.CREATE,
            trigger=AdjustmentTrigger.OTHER,
            reason="测试区初次划分网格",
            old_grid_codes=[],
            items=items,
            actor=None,
            source="demo",
        )
        actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 1, 1))
    return {
        "city": city,
        "county": county,
        "town": town,
        "village_a": village_a,
        "village_b": village_b,
    }


def grant(user, role, *, area=None, grid=None, department=None, start=None):
    """Give ``user`` a post (test helper; the product grants through orgs.actions)."""
    from gridgov.orgs.models import Post

    return Post.objects.create(
        user=user,
        role=role,
        area=area,
        grid=grid,
        department=department,
        start_date=start or date(2020, 1, 1),
    )
