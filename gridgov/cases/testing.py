"""Test helpers for case handling: the people of one case's journey on the test territory.

Grid 990101001001001 (village A of 测试街道) has a 专职网格员 and a 网格长; the town
agency has an operator and a leader; the town's 城管执法中队 (lead) and 市场监管所
(assisting) each have a handler; the county has an operator. One matter on the city's
list may be reported by residents, anonymously too.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Grid
from gridgov.core.testing import grant
from gridgov.matters.models import Matter
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel

GRID_A1 = "990101001001001"
GRID_B1 = "990101001002001"
# A point inside GRID_A1 (108.00–108.01, 21.00–21.01) and one inside GRID_B1.
POINT_A1 = (108.005, 21.005)
POINT_B1 = (108.005, 21.015)
MATTER_CODE = "0301001"


def case_world(territory) -> dict:
    User = get_user_model()
    city, county, town = territory["city"], territory["county"], territory["town"]
    world = dict(territory)

    def person(username, name, role, **place):
        user = User.objects.create_user(
            username, password="x", full_name=name, password_changed_at=timezone.now()
        )
        grant(user, role, **place)
        world[username] = user
        return user

    city_dept = Department.objects.create(
        name="测试市城市管理局", kind="城管执法", level=DepartmentLevel.CITY, area=city
    )
    world["lead_department"] = Department.objects.create(
        name="测试街道城管执法中队", kind="城管执法", level=DepartmentLevel.TOWN, area=town
    )
    world["assist_department"] = Department.objects.create(
        name="测试街道市场监管所", kind="市场监管", level=DepartmentLevel.TOWN, area=town
    )
    world["county_department"] = Department.objects.create(
        name="测试区住建局", kind="住建", level=DepartmentLevel.COUNTY, area=county
    )
    world["matter"] = Matter.objects.create(
        code=MATTER_CODE,
        name="占道经营",
        work_kind="hazard",
        description="占用道路、人行道摆摊经营，影响通行",
        level="city",
        area=city,
        department=city_dept,
        duties=["report"],
        deadline_workdays=5,
        attributes=[
            {
                "code": "stalls",
                "label": "摊位数量",
                "type": "number",
                "required": False,
                "choices": [],
            }
        ],
        resident_reportable=True,
        anonymous_allowed=True,
        valid_from=date(2024, 1, 1),
    )
    grid_a1 = Grid.objects.get(code=GRID_A1)
    grid_b1 = Grid.objects.get(code=GRID_B1)
    world["grid_a1"], world["grid_b1"] = grid_a1, grid_b1
    person("worker", "网格员小李", Role.FULLTIME, grid=grid_a1)
    person("leader", "网格长老王", Role.LEADER, grid=grid_a1)
    person("other_worker", "乙社区网格员", Role.FULLTIME, grid=grid_b1)
    person("town_operator", "街道中心操作员", Role.AGENCY_OPERATOR, area=town)
    person("town_leader", "街道中心主任", Role.AGENCY_LEADER, area=town)
    person("county_operator", "区中心操作员", Role.AGENCY_OPERATOR, area=county)
    person(
        "handler", "城管中队经办人", Role.DEPARTMENT_HANDLER, department=world["lead_department"]
    )
    person(
        "assistant",
        "市场监管所经办人",
        Role.DEPARTMENT_HANDLER,
        department=world["assist_department"],
    )
    return world


def resident_case(world, **overrides):
    """A resident's report at POINT_A1 through the same action as the public site."""
    from gridgov.cases.actions import submit_case

    data = {
        "channel": "resident",
        "matter_code": MATTER_CODE,
        "description": "小区门口人行道上有三个摊位占道经营，行人只能走机动车道",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "reporter_name": "张三",
        "reporter_phone": "13907770001",
    }
    data.update(overrides)
    case, _created = submit_case(**data)
    return case
