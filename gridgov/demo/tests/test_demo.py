"""The demo in the database: real codes, valid grids, idempotence, determinism, locate."""

import io

import pytest
import shapely
from django.core.management import call_command
from django.db import transaction

from gridgov.accounts.models import User
from gridgov.areas import locate
from gridgov.areas.choices import (
    AreaKind,
    AreaLevel,
    ExclusiveSubject,
    GridKind,
    GridStatus,
    MaritimeKind,
)
from gridgov.areas.models import Area, Grid, GridAdjustment
from gridgov.core.geo import approx_area_m2
from gridgov.demo import config
from gridgov.demo.build import DemoConflict, run_demo
from gridgov.demo.plan import DemoPlan

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def small():
    """A small plan shared by the tests below (one county at a time, few grids): the
    generator does the same work per grid at any scale."""
    return {"plan": DemoPlan(scale=0.4)}


def grid_map() -> dict[str, dict]:
    return dict(Grid.objects.values_list("code", "geometry"))


def overlap_m2(a, b) -> float:
    return approx_area_m2(a.intersection(b)) if a.intersects(b) else 0.0


def test_coastal_county_demo_is_valid_and_idempotent(small):
    first = run_demo(counties=["450702"], **small)
    assert first.grids_created > 0
    assert not Grid.objects.exclude(code__startswith="450702").exists()

    # Real divisions, with their official codes.
    city = Area.objects.get(code="4507")
    assert (city.level, city.name, city.parent) == (AreaLevel.CITY, "钦州市", None)
    port = Area.objects.get(code="450702401")
    assert (port.level, port.kind, port.name) == (
        AreaLevel.TOWN,
        AreaKind.TOWN_LIKE,
        "钦州港经济技术开发区",
    )
    assert Area.objects.get(code="450702112203").name == "犀牛脚村委会"
    assert Area.objects.filter(level=AreaLevel.VILLAGE, is_generated=False).count() == 683
    assert Area.objects.filter(level=AreaLevel.VILLAGE).count() == config.VILLAGES_IN_ALL

    grids = list(Grid.objects.select_related("village", "department"))
    counties = {a.code: a.shape for a in Area.objects.filter(level=AreaLevel.COUNTY)}
    coast = Area.objects.get(code=config.SEA_COUNTY)
    land = shapely.union_all(list(counties.values()))
    for grid in grids:
        assert grid.code.startswith(grid.village.code) and len(grid.code) == 15
        assert grid.status == GridStatus.ACTIVE
        if grid.subject == ExclusiveSubject.MARITIME:
            assert overlap_m2(grid.shape, land) < 500
            assert coast.sea_shape.buffer(1e-6).covers(grid.shape)
        else:
            assert counties[grid.code[:6]].buffer(1e-6).covers(grid.shape)
        if grid.kind == GridKind.URBAN:
            assert grid.village.kind == AreaKind.COMMUNITY
        if grid.kind == GridKind.RURAL:
            assert grid.village.kind != AreaKind.COMMUNITY

    # Territorial grids of a town never overlap (beyond the centimetre rounding of stored
    # coordinates, far below the 50 m² the validation allows).
    by_town: dict[str, list] = {}
    for grid in grids:
        if grid.kind != GridKind.EXCLUSIVE:
            by_town.setdefault(grid.code[:9], []).append(grid.shape)
    for shapes in by_town.values():
        tree = shapely.STRtree(shapes)
        left, right = tree.query(shapes, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i < j:
                assert overlap_m2(shapes[i], shapes[j]) < 10.0

    # Exclusive grids: each with its subject and department.
    exclusive = [g for g in grids if g.kind == GridKind.EXCLUSIVE]
    parks = [g for g in exclusive if g.subject == ExclusiveSubject.INDUSTRIAL_PARK]
    assert parks and all(g.code.startswith("450702401") for g in parks)
    assert {g.department.name for g in parks} == {"钦州港经济技术开发区管理委员会"}
    maritime = [g for g in exclusive if g.subject == ExclusiveSubject.MARITIME]
    assert {g.maritime_kind for g in maritime} == set(MaritimeKind.values)
    assert {g.code[:9] for g in maritime} == {"450702112", "450702105", "450702402"}
    assert {g.department.name for g in maritime} == {"钦州市海洋局"}
    assert all(g.department is not None for g in exclusive)

    # Every grid came through an approved demo adjustment, one per town.
    adjustments = GridAdjustment.objects.filter(source="demo")
    assert adjustments.count() == len({g.code[:9] for g in grids})
    assert set(adjustments.values_list("status", flat=True)) == {"approved"}
    assert set(adjustments.values_list("reason", flat=True)) == {config.ADJUSTMENT_REASON}

    # A second run changes nothing.
    before = grid_map()
    again = run_demo(counties=["450702"], **small)
    assert again.changed == 0
    assert again.towns_skipped == first.towns_done
    assert grid_map() == before
    assert GridAdjustment.objects.count() == adjustments.count()


def test_same_seed_gives_the_same_codes_and_shapes():
    with transaction.atomic():
        run_demo(counties=["450703"], seed=99, scale=0.2)
        first = grid_map()
        transaction.set_rollback(True)
    assert not Grid.objects.exists()
    run_demo(counties=["450703"], seed=99, scale=0.2)  # a new plan, computed afresh
    assert grid_map() == first


def test_an_interrupted_demo_resumes(small):
    run_demo(counties=["450703"], **small)
    done = grid_map()
    result = run_demo(counties=["450703", "450722"], **small)
    assert result.towns_skipped == Area.objects.filter(parent__code="450703").count()
    assert result.towns_done == Area.objects.filter(parent__code="450722").count()
    assert {c: g for c, g in grid_map().items() if c.startswith("450703")} == done


def test_another_seed_over_an_existing_demo_is_refused():
    run_demo(counties=["450703"], seed=1, scale=0.01)
    with pytest.raises(DemoConflict, match="种子 2"):
        run_demo(counties=["450703"], seed=2, scale=0.01)


def test_full_demo_through_the_command():
    """The default data set once (about 25 s): counts, idempotence and locate."""
    out = io.StringIO()
    # The cases' own test covers the full walk through the actions; a few suffice here.
    call_command("demo", "--cases", "40", stdout=out)
    text = out.getvalue()
    assert "县（区）4 个，镇（街道）71 个，村（社区）1042 个（其中演示生成 359 个）" in text
    territorial = Grid.objects.filter(kind__in=(GridKind.URBAN, GridKind.RURAL)).count()
    assert 5900 <= territorial <= 6000
    urban = Grid.objects.filter(kind=GridKind.URBAN).count()
    assert 1000 < urban < territorial / 2
    assert Grid.objects.filter(subject=ExclusiveSubject.CANAL_HUB, code__startswith="450721111")
    assert Grid.objects.filter(subject=ExclusiveSubject.MARKET).count() >= 3
    assert Grid.objects.filter(subject=ExclusiveSubject.INSTITUTION).count() >= 3
    # About 16,000 made-up staff, and the personas with their password, printed once.
    assert 15_000 <= User.objects.filter(password__startswith="!").count() <= 20_000
    assert "共用密码：" in text and "demo-gridworker" in text

    locate.invalidate()
    centre = locate.locate(108.65, 21.97)
    assert centre.inside and centre.grid is not None
    assert centre.county.code in ("450702", "450703")
    assert Area.objects.get(code=centre.town.code).kind == AreaKind.SUBDISTRICT
    assert centre.grid.kind == GridKind.URBAN

    boat = Grid.objects.filter(maritime_kind=MaritimeKind.VESSEL_GROUP).first()
    at_sea = locate.locate(boat.centroid_lon, boat.centroid_lat)
    assert at_sea.inside and at_sea.at_sea and at_sea.grid is None
    assert [g.code for g in at_sea.exclusive] == [boat.code]
    assert at_sea.village.code == boat.village.code

    assert not locate.locate(105.0, 25.0).inside

    out = io.StringIO()
    call_command("demo", "--cases", "40", stdout=out)
    assert "数据已是最新，未作改动" in out.getvalue()
    assert "共用密码" not in out.getvalue()
