"""The operator commands `gridgov locate` and `gridgov import-grids`."""

import json

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import box

from gridgov.areas.choices import AdjustmentStatus
from gridgov.areas.models import Grid, GridAdjustment
from gridgov.core.geo import to_geojson, wgs84_to_gcj02
from gridgov.core.testing import grant
from gridgov.orgs.choices import Role


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_locate_prints_the_path(territory):
    text = run("locate", "108.005", "21.005")
    assert "测试区（990101）" in text
    assert "甲社区居民委员会（990101001001）" in text
    assert "990101001001001" in text


def test_locate_json_in_gcj02(territory):
    lon, lat = wgs84_to_gcj02(108.015, 21.005)
    data = json.loads(run("locate", str(lon), str(lat), "--crs", "gcj02", "--json"))
    assert data["grid"]["code"] == "990101001001002"
    assert data["inside"] is True


def test_locate_outside_fails_with_a_message(territory):
    with pytest.raises(CommandError, match="不在本市管辖范围内"):
        run("locate", "105", "25")


def test_locate_refuses_swapped_coordinates(territory):
    with pytest.raises(CommandError, match="经度在前"):
        run("locate", "21.0", "108.0")


def feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write(tmp_path, features, name="proposal.geojson"):
    path = tmp_path / name
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def test_import_creates_a_proposal_and_approves_when_told(territory, tmp_path, django_user_model):
    county = django_user_model.objects.create_user("county", password="x")
    grant(county, Role.AGENCY_OPERATOR, area=territory["county"])
    path = write(
        tmp_path,
        [
            feature(
                to_geojson(box(108.05, 21.05, 108.06, 21.06)),
                village_code="990101001002",
                kind="城市社区网格",
                name="新城小区网格",
            )
        ],
    )
    text = run(
        "import_grids",
        str(path),
        "--town",
        "990101001",
        "--reason",
        "新城小区入住",
        "--trigger",
        "relocation",
        "--approve-by",
        "county",
    )
    assert "990101001002003" in text
    grid = Grid.objects.get(code="990101001002003")
    assert grid.name == "新城小区网格"
    adjustment = GridAdjustment.objects.get(created_grids=grid)
    assert adjustment.source == "import" and adjustment.status == AdjustmentStatus.APPROVED


def test_import_in_gcj02_is_converted(territory, tmp_path):
    ring = [
        wgs84_to_gcj02(x, y)
        for x, y in [(108.1, 21.1), (108.11, 21.1), (108.11, 21.11), (108.1, 21.11), (108.1, 21.1)]
    ]
    path = write(
        tmp_path,
        [
            feature(
                {"type": "Polygon", "coordinates": [ring]},
                village_code="990101001001",
                kind="urban",
            )
        ],
    )
    run("import_grids", str(path), "--town", "990101001", "--reason", "补划", "--crs", "gcj02")
    item = GridAdjustment.objects.latest("id").items.get()
    min_lon = min(x for x, _ in item.geometry["coordinates"][0])
    assert min_lon == pytest.approx(108.1, abs=1e-6)


def test_import_dry_run_writes_nothing(territory, tmp_path):
    path = write(
        tmp_path,
        [
            feature(
                to_geojson(box(108.1, 21.1, 108.11, 21.11)),
                village_code="990101001001",
                kind="urban",
            )
        ],
    )
    text = run("import_grids", str(path), "--town", "990101001", "--reason", "补划", "--dry-run")
    assert "校验通过" in text
    assert GridAdjustment.objects.count() == 1


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{not json", "不是有效的 JSON"),
        ('{"type": "FeatureCollection", "features": []}', "没有网格"),
    ],
)
def test_import_bad_files_are_refused(territory, tmp_path, content, expected, capsys):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_grids", str(path), "--town", "990101001", "--reason", "x")
    assert expected in capsys.readouterr().err
    assert GridAdjustment.objects.count() == 1


def test_import_overlap_names_the_grid_and_writes_nothing(territory, tmp_path, capsys):
    path = write(
        tmp_path,
        [
            feature(
                to_geojson(box(108.002, 21.002, 108.004, 21.004)),
                village_code="990101001001",
                kind="urban",
            )
        ],
    )
    with pytest.raises(CommandError):
        call_command("import_grids", str(path), "--town", "990101001", "--reason", "补划")
    assert "990101001001001" in capsys.readouterr().err
    assert GridAdjustment.objects.count() == 1


def test_import_unknown_town_or_missing_file(territory, tmp_path):
    path = write(tmp_path, [])
    with pytest.raises(CommandError, match="990101009 不存在"):
        run("import_grids", str(path), "--town", "990101009", "--reason", "x")
    with pytest.raises(CommandError, match="无法读取文件"):
        run(
            "import_grids",
            str(tmp_path / "missing.geojson"),
            "--town",
            "990101001",
            "--reason",
            "x",
        )
