"""The grid adjustment flow (第六条): propose, validate, approve, reject, history."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import Polygon, box

from gridgov.areas import actions
from gridgov.areas.actions import ProposedGrid
from gridgov.areas.choices import AdjustmentStatus, GridEventKind, GridKind, GridStatus
from gridgov.areas.locate import locate
from gridgov.areas.models import Grid, GridAdjustment
from gridgov.core.exceptions import IllegalTransition, NotPermitted
from gridgov.core.geo import to_geojson
from gridgov.core.testing import TOWN, VILLAGE_A, VILLAGE_B, square
from gridgov.orgs.models import Department, DepartmentLevel

A1, A2 = "990101001001001", "990101001001002"
B1 = "990101001002001"


def propose(territory, kind="create", items=(), old=(), reason="测试调整", actor=None):
    return actions.do_propose_adjustment(
        town=territory["town"],
        kind=kind,
        trigger="other",
        reason=reason,
        old_grid_codes=list(old),
        items=list(items),
        actor=actor,
    )


def messages(excinfo) -> str:
    return " ".join(m for msgs in excinfo.value.message_dict.values() for m in msgs)


def new_grid(geometry, village=VILLAGE_A, kind=GridKind.URBAN, **extra):
    return ProposedGrid(village_code=village, kind=kind, geometry=geometry, **extra)


def test_overlapping_proposal_is_refused_naming_the_neighbour(territory):
    overlapping = to_geojson(box(108.005, 21.002, 108.008, 21.008))  # inside A1
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(overlapping)])
    text = messages(excinfo)
    assert A1 in text and "重叠" in text
    assert GridAdjustment.objects.count() == 1  # only the fixture's own


def test_touching_proposal_is_accepted(territory):
    east = square(108.02, 21.0)  # shares A2's east edge
    adjustment = propose(territory, items=[new_grid(east)])
    assert adjustment.status == AdjustmentStatus.PROPOSED
    assert not Grid.objects.filter(created_by_adjustment=adjustment).exists()


def test_proposal_leaving_the_county_is_refused(territory):
    crossing = to_geojson(box(108.195, 21.1, 108.25, 21.11))
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(crossing)])
    assert "超出测试区边界" in messages(excinfo)


def test_self_intersecting_polygon_is_refused_with_its_location(territory):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[108.1, 21.1], [108.11, 21.11], [108.11, 21.1], [108.1, 21.11], [108.1, 21.1]]
        ],
    }
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(bowtie)])
    assert "自相交" in messages(excinfo)


@pytest.mark.parametrize(
    "geometry, expected",
    [
        ({"type": "Point", "coordinates": [108.1, 21.1]}, "必须是面"),
        (
            {"type": "Polygon", "coordinates": [[[200, 21], [201, 21], [201, 22], [200, 21]]]},
            "经纬度范围",
        ),
        ("not json", "GeoJSON"),
        (None, "缺少网格边界"),
    ],
)
def test_malformed_shapes_get_a_clear_message(territory, geometry, expected):
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(geometry)])
    assert expected in messages(excinfo)


def test_village_outside_the_proposing_town_is_refused(territory):
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(square(108.1, 21.1), village="990101002001")])
    assert "不存在" in messages(excinfo)


def test_the_other_ground_needs_a_reason(territory):
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(square(108.1, 21.1))], reason="  ")
    assert "具体理由" in messages(excinfo)


def test_split_gives_two_new_codes_and_keeps_the_old_one_in_history(territory):
    halves = [
        new_grid(to_geojson(box(108.005, 21.0, 108.01, 21.01))),  # east half
        new_grid(to_geojson(box(108.0, 21.0, 108.005, 21.01))),  # west half
    ]
    adjustment = propose(territory, kind="split", items=halves, old=[A1])
    created = actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2025, 3, 1))

    # Numbered west→east after the highest sequence ever used in the village.
    assert [g.code for g in created] == ["990101001001003", "990101001001004"]
    assert created[0].centroid_lon < created[1].centroid_lon
    old = Grid.objects.get(code=A1)
    assert old.status == GridStatus.RETIRED and old.valid_to == date(2025, 3, 1)
    assert [e.kind for e in old.events.all()] == [GridEventKind.CREATED, GridEventKind.RETIRED]
    assert old.events.last().geometry_before == old.geometry
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.APPROVED
    assert adjustment.filed_at is not None  # 报市备案
    assert locate(108.002, 21.005).grid.code == "990101001001003"  # the west half
    assert locate(108.008, 21.005).grid.code == "990101001001004"


def test_codes_are_never_reused(territory):
    retire = propose(territory, kind="retire", old=[A2])
    actions.do_approve_adjustment(retire, actor=None)
    again = propose(territory, items=[new_grid(square(108.01, 21.0))])
    (grid,) = actions.do_approve_adjustment(again, actor=None)
    assert grid.code == "990101001001003"


def test_merge_needs_grids_of_one_village(territory):
    merged = to_geojson(box(108.0, 21.0, 108.01, 21.02))
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, kind="merge", items=[new_grid(merged)], old=[A1, B1])
    assert "同一村" in messages(excinfo)


def test_merge_retires_both_and_creates_one(territory):
    merged = to_geojson(box(108.0, 21.0, 108.02, 21.01))
    adjustment = propose(territory, kind="merge", items=[new_grid(merged)], old=[A1, A2])
    (grid,) = actions.do_approve_adjustment(adjustment, actor=None)
    assert set(Grid.objects.filter(status=GridStatus.RETIRED).values_list("code", flat=True)) == {
        A1,
        A2,
    }
    assert grid.area_m2 == pytest.approx(2 * Grid.objects.get(code=A1).area_m2, rel=1e-3)


def test_redraw_keeps_codes_and_records_the_old_boundary(territory):
    items = [
        new_grid(to_geojson(box(108.0, 21.0, 108.012, 21.01)), redraw_of=A1),
        new_grid(to_geojson(box(108.012, 21.0, 108.02, 21.01)), redraw_of=A2),
    ]
    adjustment = propose(territory, kind="redraw", items=items, old=[A1, A2])
    actions.do_approve_adjustment(adjustment, actor=None)
    a1 = Grid.objects.get(code=A1)
    assert a1.status == GridStatus.ACTIVE
    assert a1.max_lon == pytest.approx(108.012)
    event = a1.events.get(kind=GridEventKind.REDRAWN)
    assert event.geometry_before != event.geometry_after
    assert locate(108.011, 21.005).grid.code == A1


def test_approval_checks_the_map_again(territory):
    first = propose(territory, items=[new_grid(square(108.05, 21.05))])
    second = propose(territory, items=[new_grid(square(108.055, 21.055))])
    (created,) = actions.do_approve_adjustment(first, actor=None)
    with pytest.raises(ValidationError) as excinfo:
        actions.do_approve_adjustment(second, actor=None)
    assert created.code in messages(excinfo)
    second.refresh_from_db()
    assert second.status == AdjustmentStatus.PROPOSED


def test_a_decided_proposal_cannot_be_decided_again(territory):
    adjustment = propose(territory, items=[new_grid(square(108.1, 21.1))])
    actions.do_approve_adjustment(adjustment, actor=None)
    with pytest.raises(IllegalTransition):
        actions.do_reject_adjustment(adjustment, actor=None, note="不同意")


def test_rejection_needs_a_reason_and_changes_nothing(territory):
    adjustment = propose(territory, items=[new_grid(square(108.1, 21.1))])
    with pytest.raises(ValidationError):
        actions.do_reject_adjustment(adjustment, actor=None, note="")
    actions.do_reject_adjustment(adjustment, actor=None, note="与村规划不符")
    adjustment.refresh_from_db()
    assert adjustment.status == AdjustmentStatus.REJECTED
    assert Grid.objects.count() == 4


def test_the_proposer_cannot_approve_their_own_proposal(territory, staff_user):
    adjustment = propose(territory, items=[new_grid(square(108.1, 21.1))], actor=staff_user)
    with pytest.raises(NotPermitted):
        actions.do_approve_adjustment(adjustment, actor=staff_user)


@pytest.fixture
def department(territory):
    return Department.objects.create(
        name="测试市市场监督管理局",
        kind="市场监管",
        level=DepartmentLevel.CITY,
        area=territory["city"],
    )


def test_exclusive_grid_may_overlap_territorial_ones(territory, department):
    market = new_grid(
        to_geojson(box(108.005, 21.005, 108.015, 21.015)),
        kind=GridKind.EXCLUSIVE,
        subject="market",
        department_id=department.pk,
        name="测试农贸市场",
    )
    (grid,) = actions.do_approve_adjustment(propose(territory, items=[market]), actor=None)
    found = locate(108.007, 21.007)
    assert found.grid.code == A1
    assert [g.code for g in found.exclusive] == [grid.code]


def test_exclusive_grid_needs_subject_and_department(territory):
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[new_grid(square(108.1, 21.1), kind=GridKind.EXCLUSIVE)])
    text = messages(excinfo)
    assert "须注明类型" in text and "业务主管部门" in text


def maritime(geometry, department, **extra):
    return new_grid(
        geometry,
        kind=GridKind.EXCLUSIVE,
        subject="maritime",
        maritime_kind=extra.pop("maritime_kind", "aquaculture"),
        department_id=department.pk,
        **extra,
    )


def test_maritime_grid_lies_at_sea(territory, department):
    at_sea = to_geojson(box(108.05, 20.9, 108.1, 20.95))
    (grid,) = actions.do_approve_adjustment(
        propose(territory, items=[maritime(at_sea, department)]), actor=None
    )
    found = locate(108.07, 20.92)
    assert found.inside and found.at_sea and found.grid is None
    assert [g.code for g in found.exclusive] == [grid.code]
    assert found.county.code == "990101"


def test_maritime_grid_on_land_is_refused(territory, department):
    on_land = to_geojson(box(108.05, 20.95, 108.1, 21.05))
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[maritime(on_land, department)])
    assert "覆盖陆地" in messages(excinfo)


def test_maritime_grid_beyond_the_sea_area_is_refused(territory, department):
    far_out = to_geojson(box(108.05, 20.5, 108.1, 20.85))
    with pytest.raises(ValidationError) as excinfo:
        propose(territory, items=[maritime(far_out, department)])
    assert "管辖海域" in messages(excinfo)


def test_new_grids_are_numbered_north_to_south_then_west_to_east(territory):
    cells = [
        new_grid(square(108.10, 21.10)),  # south-west
        new_grid(square(108.11, 21.11)),  # north-east
        new_grid(square(108.10, 21.11)),  # north-west
        new_grid(square(108.11, 21.10)),  # south-east
    ]
    created = actions.do_approve_adjustment(propose(territory, items=cells), actor=None)
    by_code = sorted(created, key=lambda g: g.code)
    corners = [(round(g.min_lon, 2), round(g.min_lat, 2)) for g in by_code]
    assert corners == [(108.10, 21.11), (108.11, 21.11), (108.10, 21.10), (108.11, 21.10)]


def test_sequence_across_villages_is_per_village(territory):
    created = actions.do_approve_adjustment(
        propose(territory, items=[new_grid(square(108.1, 21.1), village=VILLAGE_B)]), actor=None
    )
    assert created[0].code == "990101001002003"
    assert created[0].code.startswith(TOWN)


def test_polygon_with_hole_is_accepted_and_area_excludes_the_hole(territory):
    outer = [(108.1, 21.1), (108.12, 21.1), (108.12, 21.12), (108.1, 21.12)]
    hole = [(108.105, 21.105), (108.115, 21.105), (108.115, 21.115), (108.105, 21.115)]
    ring = to_geojson(Polygon(outer, [hole]))
    (grid,) = actions.do_approve_adjustment(propose(territory, items=[new_grid(ring)]), actor=None)
    full = to_geojson(box(108.13, 21.13, 108.15, 21.15))
    (solid,) = actions.do_approve_adjustment(propose(territory, items=[new_grid(full)]), actor=None)
    assert grid.area_m2 == pytest.approx(solid.area_m2 * 0.75, rel=0.01)
    assert locate(108.11, 21.11).grid is None  # the hole


def test_a_write_that_leaves_the_writers_scope_is_rolled_back(territory, staff_user, monkeypatch):
    from django.db.models import Q

    from gridgov.accounts import scope

    original = scope.RULES["areas.GridAdjustment"]

    def hides_new_ones(post, action):
        # As if the saved proposal had landed outside the writer's area.
        rule = original(post, action)
        return None if rule is None else rule & Q(status=AdjustmentStatus.APPROVED)

    monkeypatch.setitem(scope.RULES, "areas.GridAdjustment", hides_new_ones)
    before = GridAdjustment.objects.count()
    with pytest.raises(NotPermitted, match="超出您的管辖范围"):
        propose(territory, items=[new_grid(square(108.1, 21.1))], actor=staff_user)
    assert GridAdjustment.objects.count() == before


def test_proposal_and_decision_are_in_the_audit_log(territory, staff_user):
    from gridgov.core.models import AuditEvent

    adjustment = propose(territory, items=[new_grid(square(108.1, 21.1))], actor=staff_user)
    (grid,) = actions.do_approve_adjustment(adjustment, actor=None)
    events = list(AuditEvent.objects.filter(target_id=adjustment.number).order_by("sequence"))
    assert [e.kind for e in events] == ["data_created", "data_changed"]
    assert events[0].actor == staff_user
    assert events[0].after["town"] == TOWN
    assert events[1].after["created"] == [grid.code]
    assert events[1].before == {"status": "proposed"}
