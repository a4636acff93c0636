"""Test helpers for the registry: people on the small test territory, fictitious ID
numbers, and the check that nothing leaks an unmasked ID number or mobile number."""

import re
from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.core.testing import grant
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel
from gridgov.registry.identity import is_resident_id, make_credit_code, make_resident_id

__all__ = [
    "GRID_A1",
    "GRID_A2",
    "GRID_B1",
    "assert_no_plain_personal_data",
    "id_number",
    "make_address",
    "make_credit_code",
    "registry_people",
]

GRID_A1, GRID_A2 = "990101001001001", "990101001001002"
GRID_B1 = "990101001002001"
# A point inside each grid of the test territory (core.testing.make_territory).
POINTS = {
    GRID_A1: (108.005, 21.005),
    GRID_A2: (108.015, 21.005),
    GRID_B1: (108.005, 21.015),
}

_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def assert_no_plain_personal_data(text) -> None:
    """Fail if ``text`` holds a valid mainland ID number or an 11-digit mobile number."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = str(text)
    for match in _ID_CANDIDATE.finditer(text):
        if is_resident_id(match.group(0)):
            start = max(match.start() - 60, 0)
            raise AssertionError(
                f"unmasked ID number in response: …{text[start : match.end() + 20]}…"
            )
    match = _MOBILE.search(text)
    if match:
        start = max(match.start() - 60, 0)
        raise AssertionError(
            f"unmasked mobile number in response: …{text[start : match.end() + 20]}…"
        )


def id_number(sequence: int = 1, born: date = date(1995, 3, 8), area: str = "450702") -> str:
    """A valid fictitious resident ID number (area 450702 exists since 1994)."""
    return make_resident_id(born, sequence, area)


def registry_people(territory) -> dict:
    """Users on the test territory: grid staff of grids A1 and B1, the town and county
    agencies, 司法行政 / 公安 / 民政 handlers and a system administrator."""
    from gridgov.areas.models import Grid

    User = get_user_model()
    people = {}

    def user(username, name, role, **place):
        account = User.objects.create_user(
            username,
            password="Grid-test-2024!",
            full_name=name,
            password_changed_at=timezone.now(),
        )
        grant(account, role, **place)
        people[username] = account
        return account

    grid_a1 = Grid.objects.get(code=GRID_A1)
    grid_b1 = Grid.objects.get(code=GRID_B1)
    user("worker", "甲一网格员", Role.FULLTIME, grid=grid_a1)
    user("parttime", "甲一兼职网格员", Role.PARTTIME, grid=grid_a1)
    user("leader", "甲一网格长", Role.LEADER, grid=grid_a1)
    user("worker_b", "乙一网格员", Role.FULLTIME, grid=grid_b1)
    user("leader_b", "乙一网格长", Role.LEADER, grid=grid_b1)
    user("town", "街道中心操作员", Role.AGENCY_OPERATOR, area=territory["town"])
    user("town_leader", "街道中心负责人", Role.AGENCY_LEADER, area=territory["town"])
    user("county", "区中心操作员", Role.AGENCY_OPERATOR, area=territory["county"])
    for username, kind, name in (
        ("justice", "司法行政", "测试区司法局"),
        ("police", "公安", "测试区公安分局"),
        ("civil", "民政", "测试区民政局"),
    ):
        department = Department.objects.create(
            name=name, kind=kind, level=DepartmentLevel.COUNTY, area=territory["county"]
        )
        user(username, f"{name}经办人", Role.DEPARTMENT_HANDLER, department=department)
    user("sysadmin", "系统管理员", Role.SYSTEM_ADMIN)
    return people


def make_address(grid_code: str = GRID_A1, *, road="人民路", door="12号", room=None):
    """A verified road → door (→ room) in a grid, made by the system; returns the deepest."""
    from gridgov.areas.models import Grid
    from gridgov.registry.actions import do_import_record
    from gridgov.registry.models import Address

    grid = Grid.objects.select_related("village").get(code=grid_code)
    village = grid.village
    road_row = Address.objects.filter(village=village, parent=None, name=road).first()
    if road_row is None:
        _, road_row = do_import_record(
            "address", {"level": "road", "name": road, "village": village.code}, actor=None
        )
    lon, lat = POINTS[grid_code]
    door_row = Address.objects.filter(parent=road_row, name=door).first()
    if door_row is None:
        _, door_row = do_import_record(
            "address",
            {"level": "door", "name": door, "parent": road_row.code, "lon": lon, "lat": lat},
            actor=None,
        )
    if room is None:
        return door_row
    _, room_row = do_import_record(
        "address", {"level": "room", "name": room, "parent": door_row.code}, actor=None
    )
    return room_row


def make_maritime_grid(territory, department=None):
    """A 海上 vessel-group grid of village A, at sea south of the test county."""
    from gridgov.areas import actions as area_actions
    from gridgov.areas.models import Grid
    from gridgov.core.testing import square

    if department is None:
        department = Department.objects.create(
            name="测试区海洋局", kind="海洋", level=DepartmentLevel.COUNTY, area=territory["county"]
        )
    adjustment = area_actions.do_propose_adjustment(
        town=territory["town"],
        kind="create",
        trigger="other",
        reason="渔船编组海上网格",
        old_grid_codes=[],
        items=[
            area_actions.ProposedGrid(
                village_code=territory["village_a"].code,
                kind="exclusive",
                subject="maritime",
                maritime_kind="vessel_group",
                department_id=department.pk,
                name="甲社区渔船编组海上网格",
                geometry=square(108.05, 20.9, 0.02),
            )
        ],
        actor=None,
        source="demo",
    )
    area_actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 1, 1))
    return Grid.objects.get(subject="maritime")
