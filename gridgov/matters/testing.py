"""Test helpers for the matter list: departments and people on the small test territory."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.core.testing import grant
from gridgov.orgs.choices import Role
from gridgov.orgs.models import Department, DepartmentLevel


def matter_people(territory) -> dict:
    """A city department (民政) with a handler, the city agency operator, a grid worker
    of the first grid of village A, and the county agency operator."""
    from gridgov.areas.models import Grid

    User = get_user_model()
    city, county = territory["city"], territory["county"]
    civil = Department.objects.create(
        name="测试市民政局", kind="民政", level=DepartmentLevel.CITY, area=city
    )
    people = {"department": civil}

    def person(username, name):
        return User.objects.create_user(
            username, password="x", full_name=name, password_changed_at=timezone.now()
        )

    people["handler"] = person("minzheng", "民政经办人")
    grant(people["handler"], Role.DEPARTMENT_HANDLER, department=civil)
    people["agency"] = person("city-agency", "市中心操作员")
    grant(people["agency"], Role.AGENCY_OPERATOR, area=city)
    people["county_agency"] = person("county-agency", "区中心操作员")
    grant(people["county_agency"], Role.AGENCY_OPERATOR, area=county)
    people["worker"] = person("worker", "网格员")
    grant(people["worker"], Role.FULLTIME, grid=Grid.objects.get(code="990101001001001"))
    return people


def proposed(**overrides) -> dict:
    data = {
        "name": "独居老人定期探访",
        "work_kind": "livelihood",
        "description": "每月走访独居老人，了解生活和健康状况，发现困难及时上报。",
        "duties": ["serve", "report"],
        "deadline_workdays": 5,
        "attributes": [
            {"code": "visit_date", "label": "走访日期", "type": "date", "required": True},
            {
                "code": "condition",
                "label": "身体状况",
                "type": "single",
                "required": True,
                "choices": ["良好", "一般", "较差"],
            },
        ],
        "resident_reportable": False,
    }
    data.update(overrides)
    return data
