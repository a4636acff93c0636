"""`gridgov load-divisions` and gridgov.areas.loading: codes, kinds, boundaries, idempotence."""

import io
import json

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import box, mapping

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.loading import (
    LoadError,
    load_divisions,
    path_code,
    read_boundaries,
    read_divisions,
)
from gridgov.areas.models import Area
from gridgov.core.geo import from_geojson, wgs84_to_gcj02

# A made-up city (99 is no province), so nothing collides with the Qinzhou codes.
DIVISIONS = """code,name,parent_code
990200,测试市,990000
990201,甲区,990200
990202,乙县,990200
990281,丙市,990200
990201001,一街道,990201
990201101,二镇,990201
990201201,三乡,990201
990201401,四开发区,990201
990201001001,东社区居民委员会,990201001
990201101201,西村村民委员会,990201101
990201401401,五农场,990201401
"""

DISTRICT_BOX = (108.0, 21.0, 108.1, 21.1)
COUNTY_BOX = (108.1, 21.0, 108.2, 21.1)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def feature_collection(features: list[tuple[object, object]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"adcode": adcode}, "geometry": mapping(geom)}
                for adcode, geom in features
            ],
        }
    )


def gcj02(geom):
    return shapely.transform(
        geom, lambda xy: [wgs84_to_gcj02(float(x), float(y)) for x, y in xy.tolist()]
    )


def load(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_divisions", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("450700", ("4507", AreaLevel.CITY)),
        ("450702", ("450702", AreaLevel.COUNTY)),
        ("450702401", ("450702401", AreaLevel.TOWN)),
        ("450702101201", ("450702101201", AreaLevel.VILLAGE)),
        ("450702000000", ("450702", AreaLevel.COUNTY)),  # the padded 12-digit form
        ("450702101000", ("450702101", AreaLevel.TOWN)),
    ],
)
def test_path_codes(raw, expected):
    assert path_code(raw) == expected


@pytest.mark.parametrize("raw", ["450000", "4507", "45070210", "45070a", ""])
def test_bad_codes_are_refused(raw):
    with pytest.raises(ValueError):
        path_code(raw)


@pytest.mark.django_db
def test_loads_levels_kinds_and_parents(tmp_path):
    out, _err = load(write(tmp_path, "d.csv", DIVISIONS))
    assert "新增 11 个" in out
    areas = {a.code: a for a in Area.objects.select_related("parent")}
    assert areas["9902"].level == AreaLevel.CITY and areas["9902"].parent is None
    assert areas["990201"].kind == AreaKind.DISTRICT
    assert areas["990202"].kind == AreaKind.COUNTY
    assert areas["990281"].kind == AreaKind.COUNTY_CITY
    assert areas["990201001"].kind == AreaKind.SUBDISTRICT
    assert areas["990201101"].kind == AreaKind.TOWN
    assert areas["990201201"].kind == AreaKind.TOWNSHIP
    assert areas["990201401"].kind == AreaKind.TOWN_LIKE
    assert areas["990201001001"].kind == AreaKind.COMMUNITY
    assert areas["990201101201"].kind == AreaKind.VILLAGE
    assert areas["990201401401"].kind == AreaKind.VILLAGE_LIKE
    assert areas["990201101201"].parent.code == "990201101"
    assert areas["990201"].parent.code == "9902"
    assert areas["990201"].source == "d.csv"
    assert not any(a.is_generated for a in areas.values())


@pytest.mark.django_db
def test_second_run_changes_nothing(tmp_path):
    csv_path = write(tmp_path, "d.csv", DIVISIONS)
    geo = write(tmp_path, "b.geojson", feature_collection([(990201, box(*DISTRICT_BOX))]))
    load(csv_path, "--boundaries", geo, "--crs", "wgs84")
    before = {a.code: (a.name, a.kind, a.parent_id, a.geometry) for a in Area.objects.all()}
    out, _err = load(csv_path, "--boundaries", geo, "--crs", "wgs84")
    assert "新增 0 个，更新 0 个，未变 11 个" in out
    after = {a.code: (a.name, a.kind, a.parent_id, a.geometry) for a in Area.objects.all()}
    assert after == before


@pytest.mark.django_db
def test_changed_name_is_an_update(tmp_path):
    load(write(tmp_path, "d.csv", DIVISIONS))
    renamed = DIVISIONS.replace("二镇", "二镇（新）")
    report = load_divisions(read_divisions(write(tmp_path, "d.csv", renamed)))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 10)
    assert Area.objects.get(code="990201101").name == "二镇（新）"


@pytest.mark.django_db
def test_bad_rows_are_reported_and_nothing_is_written(tmp_path):
    bad = DIVISIONS + (
        "99020110,短码镇,990201\n"  # 8 digits
        "990201102,孤儿镇,990209\n"  # parent missing
        "990202101,错位镇,990201\n"  # does not start with its parent's code
        "990201101900,,990201101\n"  # no name
    )
    with pytest.raises(CommandError, match="发现 4 处问题，未写入任何数据"):
        load(write(tmp_path, "bad.csv", bad))
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_bad_row_messages_name_the_line(tmp_path):
    bad = DIVISIONS + "990202101,错位镇,990201\n"
    with pytest.raises(LoadError) as info:
        load_divisions(read_divisions(write(tmp_path, "bad.csv", bad)))
    (message,) = info.value.errors
    assert "bad.csv 第 13 行" in message
    assert "990202101" in message and "不以上级代码 990201 开头" in message
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_parent_may_already_be_in_the_database(tmp_path):
    towns = "\n".join(line for line in DIVISIONS.splitlines() if len(line.split(",")[0]) <= 9)
    villages = "code,name,parent_code\n990201101202,北村村民委员会,990201101\n"
    load(write(tmp_path, "towns.csv", towns + "\n"))
    out, _err = load(write(tmp_path, "villages.csv", villages))
    assert "新增 1 个" in out
    assert Area.objects.get(code="990201101202").parent.code == "990201101"


@pytest.mark.django_db
def test_gcj02_boundaries_are_converted_to_wgs84(tmp_path):
    wgs = box(*DISTRICT_BOX)
    geo = write(tmp_path, "b.geojson", feature_collection([("990201", gcj02(wgs))]))
    load(write(tmp_path, "d.csv", DIVISIONS), "--boundaries", geo)  # gcj02 is the default
    district = Area.objects.get(code="990201")
    stored = from_geojson(district.geometry)
    # GCJ-02 is offset by hundreds of metres; the stored shape is back on WGS-84 (≈ 1 cm).
    assert stored.symmetric_difference(wgs).area < 1e-9
    assert district.min_lon == pytest.approx(108.0, abs=1e-6)
    assert district.max_lat == pytest.approx(21.1, abs=1e-6)


@pytest.mark.django_db
def test_city_outline_is_derived_from_its_counties(tmp_path):
    load(write(tmp_path, "d.csv", DIVISIONS))
    geo = write(
        tmp_path,
        "b.geojson",
        feature_collection(
            [
                ("990201", box(*DISTRICT_BOX)),
                ("990202", box(*COUNTY_BOX)),
                ("990281", box(108.2, 21.0, 108.3, 21.1)),
            ]
        ),
    )
    load("--boundaries", geo, "--crs", "wgs84")
    city = from_geojson(Area.objects.get(code="9902").geometry)
    assert city.symmetric_difference(box(108.0, 21.0, 108.3, 21.1)).area < 1e-9


@pytest.mark.django_db
def test_invalid_boundary_is_made_valid(tmp_path):
    bowtie = shapely.Polygon([(108.0, 21.0), (108.1, 21.1), (108.1, 21.0), (108.0, 21.1)])
    assert not bowtie.is_valid
    geo = write(tmp_path, "b.geojson", feature_collection([(990201, bowtie)]))
    load(write(tmp_path, "d.csv", DIVISIONS), "--boundaries", geo, "--crs", "wgs84")
    stored = from_geojson(Area.objects.get(code="990201").geometry)
    assert stored.is_valid
    assert stored.area == pytest.approx(0.005, rel=1e-3)


@pytest.mark.django_db
def test_boundary_of_unknown_area_is_refused(tmp_path):
    geo = write(tmp_path, "b.geojson", feature_collection([(990299, box(*DISTRICT_BOX))]))
    with pytest.raises(CommandError):
        load(write(tmp_path, "d.csv", DIVISIONS), "--boundaries", geo, "--crs", "wgs84")
    assert Area.objects.count() == 0


def test_feature_without_adcode_is_refused(tmp_path):
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": mapping(box(0, 0, 1, 1))}
            ],
        }
    )
    with pytest.raises(LoadError, match="adcode"):
        read_boundaries(write(tmp_path, "b.geojson", text), crs="wgs84")


def test_missing_columns_are_refused(tmp_path):
    with pytest.raises(LoadError, match="缺少列"):
        read_divisions(write(tmp_path, "d.csv", "code,name\n450702,钦南区\n"))


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path):
    out, _err = load(write(tmp_path, "d.csv", DIVISIONS), "--dry-run")
    assert "试运行" in out
    assert Area.objects.count() == 0


def test_sea_areas_are_loaded_refused_on_land_and_used_by_locate(db, tmp_path):
    from gridgov.areas.locate import invalidate, locate

    load(
        write(tmp_path, "d.csv", DIVISIONS),
        "--boundaries",
        write(tmp_path, "b.geojson", feature_collection([(990201, box(*DISTRICT_BOX))])),
        "--crs",
        "wgs84",
    )
    on_land = write(
        tmp_path, "bad.geojson", feature_collection([(990201, box(108.0, 20.9, 108.1, 21.05))])
    )
    with pytest.raises(CommandError):
        load("--sea", on_land, "--crs", "wgs84")
    assert Area.objects.get(code="990201").sea_geometry is None

    sea = write(
        tmp_path, "sea.geojson", feature_collection([(990201, box(108.0, 20.8, 108.1, 21.0))])
    )
    out, _err = load("--sea", sea, "--crs", "wgs84")
    assert "管辖海域 990201：新增" in out
    invalidate()
    found = locate(108.05, 20.9)
    assert found.inside and found.at_sea
    out, _err = load("--sea", sea, "--crs", "wgs84")
    assert "管辖海域 990201：未变" in out
