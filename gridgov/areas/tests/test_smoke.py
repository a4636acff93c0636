from gridgov.areas.locate import locate
from gridgov.areas.models import Grid


def test_territory_fixture_builds_four_grids_with_codes_in_reading_order(territory):
    codes = list(Grid.objects.values_list("code", flat=True))
    assert codes == ["990101001001001", "990101001001002", "990101001002001", "990101001002002"]
    # Village B's row lies north of village A's; in each village west→east.
    a1 = Grid.objects.get(code="990101001001001")
    a2 = Grid.objects.get(code="990101001001002")
    assert a1.centroid_lon < a2.centroid_lon


def test_locate_finds_grid_in_fixture(territory):
    found = locate(108.005, 21.005)
    assert found.inside
    assert found.grid.code == "990101001001001"
    assert found.town.name == "测试街道"
