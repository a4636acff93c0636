"""Helpers shared by the test suites: a small made-up territory built through the actions."""

from datetime import date

from shapely.geometry import box

from gridgov.areas import actions
from gridgov.areas.choices import AdjustmentKind, AdjustmentTrigger, AreaKind, AreaLevel, GridKind
from gridgov.areas.models import Area, Grid
from gridgov.core.geo import to_geojson
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel

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


# A miniature 钦州市 for access tests: real codes, made-up shapes.
CITY_QZ, QINNAN, PUBEI = "4507", "450702", "450722"
XINIUJIAO, LONGMEN, XIAOJIANG = "450702112", "450702105", "450722001"
PERSONAS = ("city", "qinnan", "xiniujiao", "gridworker", "police", "pubei")


def _area(code, name, level, kind, parent, shape=None):
    area = Area(code=code, name=name, level=level, kind=kind, parent=parent)
    if shape is not None:
        area.set_geometry(shape)
    area.save()
    return area


def _grids(town, village, cells, **extra):
    items = [
        actions.ProposedGrid(
            village_code=village.code,
            kind=extra.get("kind", GridKind.RURAL),
            geometry=to_geojson(cell),
            **{k: v for k, v in extra.items() if k != "kind"},
        )
        for cell in cells
    ]
    adjustment = actions.do_propose_adjustment(
        town=town,
        kind="create",
        trigger="other",
        reason="初次划分",
        old_grid_codes=[],
        items=items,
        actor=None,
        source="demo",
    )
    return actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 1, 1))


def build_persona_world():
    """A miniature 钦州市 with six personas (see PERSONAS); returns {persona: user}."""
    from django.contrib.auth import get_user_model

    django_user_model = get_user_model()
    city = _area(CITY_QZ, "钦州市", AreaLevel.CITY, AreaKind.CITY, None)
    qinnan = _area(
        QINNAN, "钦南区", AreaLevel.COUNTY, AreaKind.DISTRICT, city, box(108.5, 21.6, 109.0, 22.0)
    )
    pubei = _area(
        PUBEI, "浦北县", AreaLevel.COUNTY, AreaKind.COUNTY, city, box(109.4, 22.1, 109.8, 22.5)
    )
    towns = {
        XINIUJIAO: _area(XINIUJIAO, "犀牛脚镇", AreaLevel.TOWN, AreaKind.TOWN, qinnan),
        LONGMEN: _area(LONGMEN, "龙门港镇", AreaLevel.TOWN, AreaKind.TOWN, qinnan),
        XIAOJIANG: _area(XIAOJIANG, "小江街道", AreaLevel.TOWN, AreaKind.SUBDISTRICT, pubei),
    }
    villages = {
        XINIUJIAO: _area(
            f"{XINIUJIAO}201", "沙角村委会", AreaLevel.VILLAGE, AreaKind.VILLAGE, towns[XINIUJIAO]
        ),
        LONGMEN: _area(
            f"{LONGMEN}201", "龙门村委会", AreaLevel.VILLAGE, AreaKind.VILLAGE, towns[LONGMEN]
        ),
        XIAOJIANG: _area(
            f"{XIAOJIANG}001",
            "城东社区居委会",
            AreaLevel.VILLAGE,
            AreaKind.COMMUNITY,
            towns[XIAOJIANG],
        ),
    }
    market_regulator = Department.objects.create(
        name="钦州市市场监督管理局", kind="市场监管", level=DepartmentLevel.CITY, area=city
    )
    police = Department.objects.create(
        name="钦州市公安局", kind="公安", level=DepartmentLevel.CITY, area=city
    )
    _grids(
        towns[XINIUJIAO],
        villages[XINIUJIAO],
        [box(108.6, 21.7, 108.61, 21.71), box(108.61, 21.7, 108.62, 21.71)],
    )
    _grids(towns[LONGMEN], villages[LONGMEN], [box(108.8, 21.7, 108.81, 21.71)])
    _grids(
        towns[XIAOJIANG],
        villages[XIAOJIANG],
        [box(109.5, 22.2, 109.51, 22.21)],
        kind=GridKind.URBAN,
    )
    _grids(
        towns[XINIUJIAO],
        villages[XINIUJIAO],
        [box(108.6, 21.7, 108.605, 21.705)],
        kind=GridKind.EXCLUSIVE,
        subject="market",
        department_id=market_regulator.pk,
        name="犀牛脚海鲜市场",
    )
    # One pending proposal in each town.
    pending = {
        XINIUJIAO: box(108.7, 21.8, 108.71, 21.81),
        LONGMEN: box(108.75, 21.8, 108.76, 21.81),
        XIAOJIANG: box(109.6, 22.3, 109.61, 22.31),
    }
    for code, cell in pending.items():
        actions.do_propose_adjustment(
            town=towns[code],
            kind="create",
            trigger="relocation",
            reason="新小区",
            old_grid_codes=[],
            items=[
                actions.ProposedGrid(
                    village_code=villages[code].code, kind=GridKind.RURAL, geometry=to_geojson(cell)
                )
            ],
            actor=None,
        )
    users = {}
    for name in PERSONAS:
        users[name] = django_user_model.objects.create_user(name, password="x", full_name=name)
    grant(users["city"], Role.AGENCY_OPERATOR, area=city)
    grant(users["qinnan"], Role.AGENCY_OPERATOR, area=qinnan)
    grant(users["xiniujiao"], Role.AGENCY_OPERATOR, area=towns[XINIUJIAO])
    grant(users["gridworker"], Role.FULLTIME, grid=Grid.objects.get(code=f"{XINIUJIAO}201001"))
    grant(users["police"], Role.DEPARTMENT_HANDLER, department=police)
    grant(users["pubei"], Role.AGENCY_OPERATOR, area=towns[XIAOJIANG])
    return users
