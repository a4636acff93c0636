"""The demo plan without a database: codes, determinism and how the shapes tile."""

import numpy as np
import pytest
import shapely

from gridgov.areas.choices import AreaKind, AreaLevel, ExclusiveSubject, MaritimeKind
from gridgov.core.geo import approx_area_m2, from_geojson, to_geojson
from gridgov.demo import config
from gridgov.demo.plan import DemoPlan, allocate
from gridgov.demo.shapes import carve_core, merge_fragments, partition

KM2 = 1e-6  # areas in the local plane are in km²; 1e-6 km² is one square metre


def stored(shape):
    return from_geojson(to_geojson(shape))


@pytest.fixture(scope="module")
def plan():
    return DemoPlan()


def assert_tiles(parts, whole, *, slack_km2=1e-4):
    """``parts`` cover ``whole`` exactly once (overlaps and gaps below ``slack_km2``)."""
    total = sum(p.area for p in parts)
    union = shapely.union_all(parts)
    assert total == pytest.approx(union.area, abs=slack_km2), "parts overlap"
    assert union.symmetric_difference(whole).area < slack_km2, "parts do not cover the whole"


def test_allocate_splits_exactly():
    assert allocate(10, [1, 1, 2]) == [3, 2, 5]
    assert sum(allocate(997, np.random.default_rng(1).random(50))) == 997
    assert allocate(0, [1, 2]) == [0, 0]


def test_the_city_has_its_real_divisions(plan):
    assert [a.code for a in plan.areas(AreaLevel.CITY)] == ["4507"]
    assert [a.code for a in plan.areas(AreaLevel.COUNTY)] == [
        "450702",
        "450703",
        "450721",
        "450722",
    ]
    towns = {a.code: a for a in plan.areas(AreaLevel.TOWN)}
    assert len(towns) == 71
    assert towns["450702401"].name == "钦州港经济技术开发区"
    assert towns["450702401"].kind == AreaKind.TOWN_LIKE


def test_generated_villages_fill_the_empty_towns_by_the_code_rules(plan):
    real = [a for a in plan.real.values() if a.level == AreaLevel.VILLAGE]
    assert len(real) == 683
    towns_with_real = {a.parent_code for a in real}
    for village in plan.generated_villages:
        town = plan.real[village.parent_code]
        number = int(village.code[9:])
        assert village.is_generated
        assert village.name.startswith("演示")
        assert village.parent_code not in towns_with_real
        if village.kind == AreaKind.COMMUNITY:
            assert 1 <= number <= 199
            assert town.kind in (AreaKind.SUBDISTRICT, AreaKind.TOWN_LIKE)
        else:
            assert village.kind == AreaKind.VILLAGE
            assert 200 <= number <= 399
            assert town.kind in (AreaKind.TOWN, AreaKind.TOWNSHIP, AreaKind.TOWN_LIKE)
    villages = plan.areas(AreaLevel.VILLAGE)
    assert len(villages) == config.VILLAGES_IN_ALL
    assert sum(v.kind == AreaKind.COMMUNITY for v in villages) == config.COMMUNITIES_IN_ALL
    every_town = {a.code for a in plan.areas(AreaLevel.TOWN)}
    assert {v.parent_code for v in villages} == every_town


def test_grid_counts_follow_the_scale():
    assert sum(DemoPlan(scale=1).grid_counts.values()) == config.TERRITORIAL_GRIDS_AT_SCALE_1
    assert sum(DemoPlan(scale=5).grid_counts.values()) == 5 * config.TERRITORIAL_GRIDS_AT_SCALE_1
    tiny = DemoPlan(scale=0.01).grid_counts
    assert set(tiny.values()) == {1}


def test_same_seed_same_shapes_other_seed_other_shapes():
    a, b, c = DemoPlan(seed=11), DemoPlan(seed=11), DemoPlan(seed=12)
    county, town = "450703", "450703109"
    village = sorted(a.village_shapes(town))[0]
    for shapes_a, shapes_b in (
        (a.town_shapes(county), b.town_shapes(county)),
        (a.village_shapes(town), b.village_shapes(town)),
        (dict(enumerate(a.grid_shapes(village))), dict(enumerate(b.grid_shapes(village)))),
    ):
        assert shapes_a.keys() == shapes_b.keys()
        assert all(shapes_a[k].wkb == shapes_b[k].wkb for k in shapes_a)
    mine, other = a.town_shapes(county), c.town_shapes(county)
    assert any(other[k].wkb != mine[k].wkb for k in other)


def test_towns_tile_each_county(plan):
    for county, region in plan.county_local.items():
        towns = plan.town_shapes(county)
        assert len(towns) == len(plan.children(county))
        assert_tiles(list(towns.values()), region)


def test_streets_are_small(plan):
    for county in plan.county_local:
        towns = plan.town_shapes(county)
        kinds = {a.code: a.kind for a in plan.children(county)}
        streets = [s.area for c, s in towns.items() if kinds[c] == AreaKind.SUBDISTRICT]
        others = [s.area for c, s in towns.items() if kinds[c] != AreaKind.SUBDISTRICT]
        assert max(streets) < np.median(others)
        assert np.mean(streets) < np.mean(others) / 3


def test_villages_and_grids_tile_their_parents(plan):
    for town, town_shape in plan.town_shapes("450703").items():
        villages = plan.village_shapes(town)
        assert set(villages) == {a.code for a in plan.children(town)}
        assert_tiles(list(villages.values()), town_shape)
    for village in ("450703109201", "450703001001", "450702401001"):
        grids = plan.grid_shapes(village)
        assert len(grids) == plan.grid_counts[village]
        assert_tiles(grids, plan.village_shapes(village[:9])[village])


def test_the_sea_lies_along_the_coast_and_not_on_land(plan):
    # As stored: coordinates rounded to 1e-7°.
    land = shapely.union_all([stored(b.shape) for b in plan.boundaries])
    sea = stored(plan.sea_lonlat)
    assert approx_area_m2(sea) > 500e6
    assert approx_area_m2(sea.intersection(land)) < 1.0
    coast = next(b.shape for b in plan.boundaries if b.code == config.SEA_COUNTY)
    assert sea.distance(coast) < 1e-6


def test_maritime_grids_lie_at_sea_off_the_coast(plan):
    land = shapely.union_all(list(plan.county_local.values()))
    kinds = set()
    for town in ("450702112", "450702105", "450702402"):
        maritime = [
            e for e in plan.exclusive_grids(town) if e.spec.subject == ExclusiveSubject.MARITIME
        ]
        assert maritime, town
        for planned in maritime:
            local = plan.frame.to_local(planned.shape)
            assert local.intersection(land).area < KM2
            assert plan.sea_local.covers(local.buffer(-0.001))
            assert local.distance(plan.town_shapes("450702")[town]) < 5.0  # km off its coast
            assert planned.village_code.startswith(town)
            kinds.add(planned.spec.maritime_kind)
    assert kinds == set(MaritimeKind.values)


def test_land_exclusive_grids_lie_in_their_village(plan):
    subjects = set()
    for town in {s.town for s in config.EXCLUSIVE_GRIDS}:
        for planned in plan.exclusive_grids(town):
            if planned.spec.subject == ExclusiveSubject.MARITIME:
                continue
            village = plan.village_shapes(town)[planned.village_code]
            assert village.covers(plan.frame.to_local(planned.shape))
            subjects.add(planned.spec.subject)
    assert subjects == {
        ExclusiveSubject.INDUSTRIAL_PARK,
        ExclusiveSubject.CANAL_HUB,
        ExclusiveSubject.MARKET,
        ExclusiveSubject.INSTITUTION,
    }


def test_partition_of_a_concave_region_tiles_it():
    # An L-shaped region with an island: every cell has one main part, nothing is lost.
    region = shapely.union_all(
        [shapely.box(0, 0, 10, 2), shapely.box(0, 0, 2, 10), shapely.box(8, 8, 9, 9)]
    )
    cells = partition(region, 12, np.random.default_rng(3))
    assert len(cells) == 12
    assert_tiles(cells, region)


def test_core_is_about_the_asked_size():
    region = shapely.box(0, 0, 20, 20)
    core, rest = carve_core(region, (10, 10), 40.0, np.random.default_rng(5))
    assert core.area == pytest.approx(40.0, rel=0.02)
    assert_tiles([core, rest], region)


def test_slivers_are_merged_into_a_neighbour():
    big, sliver = shapely.box(0, 0, 10, 10), shapely.box(10, 0, 10.001, 10)
    merged = merge_fragments([big, sliver], min_area=0.1)
    assert merged[1] is None
    assert merged[0].area == pytest.approx(10.01 * 10, rel=1e-3)
