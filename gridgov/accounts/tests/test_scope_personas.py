"""Who sees and changes what, for every scoped model and every endpoint.

Six personas (a city operator; the 钦南区 county operator; a 犀牛脚镇 town operator; a
grid worker of one grid; a 公安 department handler; an outsider in 浦北县) are checked
against the registry ``ENDPOINTS`` below: for each list the persona sees exactly the
expected objects; for each object its detail answers 200 inside the scope and 404
outside, exactly like a missing object. A model joins this suite by adding its data to
``persona_world`` and an entry to ``ENDPOINTS``.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from shapely.geometry import box

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Grid, GridAdjustment
from gridgov.core.geo import to_geojson
from gridgov.core.models import AuditEvent
from gridgov.core.testing import (
    CITY_QZ,
    LONGMEN,
    PERSONAS,
    PUBEI,
    QINNAN,
    XIAOJIANG,
    XINIUJIAO,
    build_persona_world,
)
from gridgov.matters.models import MatterApplication, Rectification, Task

CITY = CITY_QZ


def under(*prefixes):
    return lambda key: key.startswith(prefixes)


def exactly(*keys):
    return lambda key: key in keys


@pytest.fixture
def persona_world(db):
    users = build_persona_world()
    add_matters(users)
    return users


def add_matters(users):
    """Matter-list data (事项清单): a city matter of 公安 and a 钦南区 matter, one approved
    application each (SX…0001 city, SX…0002 钦南区), a rectification of the city matter
    (ZG…0001), and tasks: RW…0001 city matter → two 犀牛脚镇 grids (by the system, so
    the city agency's), RW…0002 钦南区 matter → a 龙门港镇 grid (by the 钦南区 operator),
    RW…0003 city matter → a 小江街道 grid (by the 公安 handler)."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.matters import actions
    from gridgov.matters.testing import proposed
    from gridgov.orgs.models import Department

    today = timezone.localdate()
    resources = {"staff_provided": "人员", "funds_provided": "经费", "training_provided": "培训"}
    police = Department.objects.get(name="钦州市公安局")
    civil = Department.objects.create(
        name="钦南区民政局", kind="民政", level="county", area=Area.objects.get(code=QINNAN)
    )
    matters = {}
    for department in (police, civil):
        application = actions.do_apply(
            kind="admission",
            department=department,
            actor=None,
            reason="纳入",
            effective_date=today,
            proposed=proposed(),
            **resources,
        )
        matters[department.pk] = actions.do_approve_application(application, actor=None)
    city_matter, county_matter = matters[police.pk], matters[civil.pk]
    actions.do_order_rectification(
        matter_code=city_matter.code,
        area=city_matter.area,
        grounds=["funds"],
        findings="经费未到位",
        deadline=today + timedelta(days=30),
        actor=None,
    )
    for matter, actor, grids in (
        (city_matter, None, [f"{XINIUJIAO}201001", f"{XINIUJIAO}201002"]),
        (county_matter, users["qinnan"], [f"{LONGMEN}201001"]),
        (city_matter, users["police"], [f"{XIAOJIANG}001001"]),
    ):
        actions.do_assign_task(
            matter_code=matter.code,
            title="任务",
            instructions="要求",
            due_date=today + timedelta(days=5),
            actor=actor,
            grid_codes=grids,
        )


NOTHING = exactly()
EVERYTHING = under("")


@dataclass
class Endpoint:
    """One model's lists and details, and who should see which of its objects."""

    model: type
    key: str  # the public key in URLs (code, number)
    lists: tuple[str, ...]  # API list URLs returning {"items": [{key: …}]}
    details: tuple[str, ...]  # URL templates with {key}: API and pages
    visible: dict  # persona → predicate on the key

    def existing_keys(self):
        return list(self.model.objects.values_list(self.key, flat=True))


ENDPOINTS = {
    "area": Endpoint(
        Area,
        "code",
        tuple(f"/api/areas/areas?level={n}&limit=1000" for n in (1, 2, 3, 4)),
        ("/api/areas/areas/{key}",),
        {
            "city": EVERYTHING,
            "qinnan": lambda k: k == CITY or k.startswith(QINNAN),
            "xiniujiao": lambda k: k in (CITY, QINNAN) or k.startswith(XINIUJIAO),
            "gridworker": exactly(CITY, QINNAN, XINIUJIAO, f"{XINIUJIAO}201"),
            "police": EVERYTHING,
            "pubei": lambda k: k in (CITY, PUBEI) or k.startswith(XIAOJIANG),
        },
    ),
    "grid": Endpoint(
        Grid,
        "code",
        ("/api/areas/grids?limit=1000",),
        (
            "/api/areas/grids/{key}",
            "/api/areas/grids/{key}/history",
            "/areas/grids/{key}/",
            "/areas/grids/{key}/panel/",
        ),
        {
            "city": EVERYTHING,
            "qinnan": under(QINNAN),
            "xiniujiao": under(XINIUJIAO),
            "gridworker": exactly(f"{XINIUJIAO}201001"),
            "police": EVERYTHING,
            "pubei": under(XIAOJIANG),
        },
    ),
    "user": Endpoint(
        User,
        "username",
        ("/api/accounts/users?limit=1000",),
        ("/api/accounts/users/{key}", "/admin/users/{key}/"),
        {persona: NOTHING for persona in PERSONAS},
    ),
    "audit": Endpoint(
        AuditEvent,
        "sequence",
        ("/api/audit/events?limit=1000",),
        (),
        {persona: NOTHING for persona in PERSONAS},
    ),
    "adjustment": Endpoint(
        GridAdjustment,
        "number",
        ("/api/areas/adjustments?limit=1000",),
        ("/api/areas/adjustments/{key}", "/areas/adjustments/{key}/"),
        {
            "city": EVERYTHING,
            "qinnan": under(f"TZ{QINNAN}"),
            "xiniujiao": under(f"TZ{XINIUJIAO}"),
            "gridworker": NOTHING,
            "police": NOTHING,
            "pubei": under(f"TZ{XIAOJIANG}"),
        },
    ),
    "matter_application": Endpoint(
        MatterApplication,
        "number",
        ("/api/matters/applications?limit=1000",),
        ("/api/matters/applications/{key}", "/matters/applications/{key}/"),
        {
            "city": EVERYTHING,
            "qinnan": lambda k: k.endswith("0002"),
            "xiniujiao": NOTHING,
            "gridworker": NOTHING,
            "police": lambda k: k.endswith("0001"),
            "pubei": NOTHING,
        },
    ),
    "rectification": Endpoint(
        Rectification,
        "number",
        ("/api/matters/rectifications?limit=1000",),
        ("/api/matters/rectifications/{key}", "/matters/rectifications/{key}/"),
        {
            "city": EVERYTHING,
            "qinnan": NOTHING,
            "xiniujiao": NOTHING,
            "gridworker": NOTHING,
            "police": EVERYTHING,
            "pubei": NOTHING,
        },
    ),
    "task": Endpoint(
        Task,
        "number",
        ("/api/matters/tasks?limit=1000",),
        ("/api/matters/tasks/{key}", "/matters/tasks/{key}/"),
        {
            # Agencies see the tasks their area or its subtree gave and the tasks anyone
            # gave to grids in their area (supervision, refusals); departments their own;
            # grid staff those with a part for their grid.
            "city": lambda k: k.endswith(("0001", "0002", "0003")),
            "qinnan": lambda k: k.endswith(("0001", "0002")),
            "xiniujiao": lambda k: k.endswith("0001"),
            "gridworker": lambda k: k.endswith("0001"),
            "police": lambda k: k.endswith("0003"),
            "pubei": lambda k: k.endswith("0003"),
        },
    ),
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_each_persona_sees_exactly_its_scope(persona_world, persona, name):
    endpoint = ENDPOINTS[name]
    rule = endpoint.visible[persona]
    client = client_for(persona_world[persona])
    expected = {key for key in endpoint.existing_keys() if rule(key)}
    seen = set()
    for url in endpoint.lists:
        response = client.get(url)
        if response.status_code == 404 and not expected:
            continue  # a list this persona may not use at all hides itself
        assert response.status_code == 200, (url, response.content)
        seen |= {item[endpoint.key] for item in response.json()["items"]}
    assert seen == expected
    for key in endpoint.existing_keys():
        for template in endpoint.details:
            url = template.format(key=key)
            status = client.get(url).status_code
            assert status == (200 if rule(key) else 404), (persona, url, status)


@pytest.mark.parametrize("persona", ["qinnan", "xiniujiao", "gridworker", "pubei"])
def test_out_of_scope_answers_exactly_like_missing(persona_world, persona):
    client = client_for(persona_world[persona])
    hidden = next(
        (
            k
            for k in Grid.objects.values_list("code", flat=True)
            if not ENDPOINTS["grid"].visible[persona](k)
        ),
        None,
    )
    missing = client.get("/api/areas/grids/450702112201999")
    out = client.get(f"/api/areas/grids/{hidden}")
    assert (out.status_code, out.content) == (missing.status_code, missing.content)
    page_out = client.get(f"/areas/grids/{hidden}/")
    page_missing = client.get("/areas/grids/450702112201999/")
    assert page_out.status_code == page_missing.status_code == 404


def test_grid_list_page_and_map_data_follow_the_scope(persona_world):
    client = client_for(persona_world["xiniujiao"])
    html = client.get("/areas/grids/?status=").content.decode()
    assert f"{XINIUJIAO}201001" in html
    assert f"{LONGMEN}201001" not in html and f"{XIAOJIANG}001001" not in html
    features = client.get("/api/areas/grids/geojson?bbox=108,21,110,23").json()["features"]
    assert {f["id"][:9] for f in features} == {XINIUJIAO}


# Changes -----------------------------------------------------------------------------

PROPOSE_MAY = {"xiniujiao": {XINIUJIAO}, "pubei": {XIAOJIANG}}
APPROVE_MAY = {"qinnan": {XINIUJIAO, LONGMEN}}


def proposal(town, village_code, cell):
    return {
        "town_code": town,
        "kind": "create",
        "trigger": "other",
        "reason": "测试",
        "items": [{"village_code": village_code, "kind": "rural", "geometry": to_geojson(cell)}],
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_a_town_proposes_for_itself(persona_world, persona):
    client = client_for(persona_world[persona])
    cells = {
        XINIUJIAO: box(108.9, 21.9, 108.91, 21.91),
        LONGMEN: box(108.95, 21.9, 108.96, 21.91),
        XIAOJIANG: box(109.7, 22.4, 109.71, 22.41),
    }
    villages = {
        XINIUJIAO: f"{XINIUJIAO}201",
        LONGMEN: f"{LONGMEN}201",
        XIAOJIANG: f"{XIAOJIANG}001",
    }
    for town, cell in cells.items():
        before = GridAdjustment.objects.count()
        response = client.post(
            "/api/areas/adjustments",
            proposal(town, villages[town], cell),
            content_type="application/json",
        )
        allowed = town in PROPOSE_MAY.get(persona, set())
        assert response.status_code in ((201,) if allowed else (403, 404)), (
            persona,
            town,
            response.content,
        )
        assert GridAdjustment.objects.count() == before + (1 if allowed else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_county_approves_its_towns(persona_world, persona):
    client = client_for(persona_world[persona])
    for adjustment in GridAdjustment.objects.filter(status="proposed"):
        town = adjustment.town.code
        response = client.post(
            f"/api/areas/adjustments/{adjustment.number}/approve",
            {"note": "同意"},
            content_type="application/json",
        )
        allowed = town in APPROVE_MAY.get(persona, set())
        visible = ENDPOINTS["adjustment"].visible[persona](adjustment.number)
        expected = 200 if allowed else (403 if visible else 404)
        assert response.status_code == expected, (persona, town, response.content)
        adjustment.refresh_from_db()
        assert (adjustment.status == "approved") == allowed


def test_a_user_without_posts_sees_nothing(persona_world, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client = client_for(nobody)
    for endpoint in ENDPOINTS.values():
        for url in endpoint.lists:
            response = client.get(url)
            assert response.status_code == 404 or response.json()["items"] == []


def test_an_ended_post_no_longer_gives_access(persona_world):
    from gridgov.orgs.actions import do_end_post

    user = persona_world["xiniujiao"]
    client = client_for(user)
    assert client.get(f"/api/areas/grids/{XINIUJIAO}201001").status_code == 200
    do_end_post(user.posts.get(), actor=None, end_date=date(2025, 1, 1))
    # Ending the post ended the session; even a fresh login sees nothing now.
    assert client.get(f"/api/areas/grids/{XINIUJIAO}201001").status_code == 401
    user.refresh_from_db()
    client = client_for(user)
    assert client.get(f"/api/areas/grids/{XINIUJIAO}201001").status_code == 404


LOCATE_SEES = {
    "city": True,
    "qinnan": True,
    "xiniujiao": True,
    "gridworker": False,  # the point lies in the neighbouring grid
    "police": True,
    "pubei": False,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_locate_answers_only_with_what_the_persona_may_see(persona_world, persona):
    client = client_for(persona_world[persona])
    data = client.get("/api/areas/locate", {"lon": 108.615, "lat": 21.705}).json()
    assert data["inside"] is True
    if LOCATE_SEES[persona]:
        assert data["grid"]["code"] == f"{XINIUJIAO}201002"
        assert data["town"]["name"] == "犀牛脚镇" and data["in_scope"] is True
    else:
        assert data["grid"] is None and data["in_scope"] is False
        assert data["message"] == "该位置不在您的管辖范围内"
    if persona == "pubei":
        assert data["town"] is None and data["county"] is None and data["village"] is None
    if persona == "gridworker":  # its own village, town and county names remain
        assert data["village"]["code"] == f"{XINIUJIAO}201"


def test_grid_page_links_only_the_adjustments_the_persona_may_open(persona_world):
    number = Grid.objects.get(code=f"{XINIUJIAO}201001").created_by_adjustment.number
    worker = client_for(persona_world["gridworker"]).get(f"/areas/grids/{XINIUJIAO}201001/")
    town = client_for(persona_world["xiniujiao"]).get(f"/areas/grids/{XINIUJIAO}201001/")
    assert (
        number in worker.content.decode()
        and f"/areas/adjustments/{number}/" not in worker.content.decode()
    )
    assert f"/areas/adjustments/{number}/" in town.content.decode()
