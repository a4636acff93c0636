"""Locate: a point → its grid, village, town, county and exclusive grids."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.areas.locate import get_index, locate
from gridgov.core.geo import gcj02_to_wgs84, wgs84_to_gcj02

A1, A2 = "990101001001001", "990101001001002"
B1, B2 = "990101001002001", "990101001002002"


def test_point_inside_a_grid_gives_its_whole_path(territory):
    found = locate(108.015, 21.015)
    assert found.inside and not found.at_sea
    assert found.grid.code == B2
    assert (found.village.code, found.village.name) == ("990101001002", "乙社区居民委员会")
    assert (found.town.code, found.town.name) == ("990101001", "测试街道")
    assert (found.county.code, found.county.name) == ("990101", "测试区")
    assert found.exclusive == []


@pytest.mark.parametrize(
    "lon, lat, expected",
    [
        (108.01, 21.005, A1),  # edge shared by A1 and A2
        (108.005, 21.01, A1),  # edge shared by A1 and B1
        (108.01, 21.01, A1),  # corner of all four
        (108.015, 21.01, A2),  # edge shared by A2 and B2
    ],
)
def test_shared_edges_go_to_the_smaller_code(territory, lon, lat, expected):
    assert locate(lon, lat).grid.code == expected


def test_point_in_the_county_but_in_no_grid_names_the_county(territory):
    found = locate(108.15, 21.15)
    assert found.inside and found.grid is None
    assert found.county.code == "990101"


def test_point_at_sea_inside_the_sea_area(territory):
    found = locate(108.1, 20.9)
    assert found.inside and found.at_sea and found.grid is None


@pytest.mark.parametrize("lon, lat", [(105.0, 25.0), (108.5, 21.1), (0.0, 0.0)])
def test_point_outside_the_city_is_outside_jurisdiction(territory, lon, lat):
    found = locate(lon, lat)
    assert not found.inside
    assert found.grid is None and found.county is None


def test_gcj02_input_is_converted(territory):
    glon, glat = wgs84_to_gcj02(108.015, 21.005)
    assert (glon, glat) != pytest.approx((108.015, 21.005), abs=1e-4)  # really shifted
    found = locate(glon, glat, crs="gcj02")
    assert found.grid.code == A2
    assert (found.lon, found.lat) == pytest.approx((108.015, 21.005), abs=1e-7)


def test_unknown_crs_is_refused(territory):
    with pytest.raises(ValueError, match="wgs84 or gcj02"):
        locate(108.0, 21.0, crs="bd09")


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=73.0, max_value=135.0),
    lat=st.floats(min_value=4.0, max_value=53.0),
)
def test_gcj02_round_trip_is_within_a_centimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-7)


def test_bulk_locate_agrees_with_single_lookups(territory):
    rng = np.random.default_rng(7)
    lons = rng.uniform(107.99, 108.03, 500)
    lats = rng.uniform(20.99, 21.03, 500)
    # Include exact edges and corners.
    lons = np.concatenate([lons, [108.01, 108.01, 108.0]])
    lats = np.concatenate([lats, [21.005, 21.01, 21.0]])
    codes = get_index().locate_codes(lons, lats)
    for lon, lat, code in zip(lons, lats, codes, strict=True):
        single = locate(float(lon), float(lat)).grid
        assert code == (single.code if single else "")
