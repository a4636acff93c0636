"""The areas API as a program would use it."""

import json

import pytest
from shapely.geometry import box

from gridgov.core.geo import to_geojson
from gridgov.core.testing import grant, square
from gridgov.orgs.choices import Role

A1 = "990101001001001"


def test_api_needs_a_login(client, territory):
    response = client.get("/api/areas/locate", {"lon": 108.005, "lat": 21.005})
    assert response.status_code == 401
    assert response.json() == {"detail": "未登录或令牌无效"}


def test_locate_returns_codes_and_names(staff_client, territory):
    response = staff_client.get("/api/areas/locate", {"lon": 108.005, "lat": 21.005})
    assert response.status_code == 200
    data = response.json()
    assert data["inside"] is True
    assert data["grid"]["code"] == A1
    assert data["village"] == {"code": "990101001001", "name": "甲社区居民委员会"}
    assert data["town"]["name"] == "测试街道"
    assert data["county"]["code"] == "990101"


def test_locate_outside_says_so(staff_client, territory):
    data = staff_client.get("/api/areas/locate", {"lon": 105, "lat": 25}).json()
    assert data["inside"] is False
    assert data["message"] == "该位置不在本市管辖范围内"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lon": "abc", "lat": 21}, "lon"),
        ({"lon": 500, "lat": 21}, "lon"),
        ({"lon": 108, "lat": 21, "crs": "bd09"}, "crs"),
        ({"lat": 21}, "lon"),
    ],
)
def test_locate_bad_input_gets_field_errors(staff_client, territory, params, field):
    response = staff_client.get("/api/areas/locate", params)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])


def test_openapi_schema_and_docs_are_served_without_a_cdn(staff_client):
    schema = staff_client.get("/api/openapi.json").json()
    assert "/api/areas/locate" in schema["paths"]
    docs = staff_client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/" in html
    assert "cdn" not in html.lower()


def test_grid_list_filters_by_village_and_kind(staff_client, territory):
    data = staff_client.get("/api/areas/grids", {"village": "990101001002"}).json()
    assert [g["code"] for g in data["items"]] == ["990101001002001", "990101001002002"]
    assert data["count"] == 2
    assert staff_client.get("/api/areas/grids", {"kind": "rural"}).json()["count"] == 0


def test_grid_detail_and_unknown_code(staff_client, territory):
    data = staff_client.get(f"/api/areas/grids/{A1}").json()
    assert data["village"]["name"] == "甲社区居民委员会"
    assert data["geometry"]["type"] == "Polygon"
    assert data["area_m2"] > 1_000_000  # ~1.1 km × 1.04 km
    assert staff_client.get("/api/areas/grids/990101001001999").status_code == 404


def test_grids_geojson_by_bbox(staff_client, territory):
    data = staff_client.get(
        "/api/areas/grids/geojson", {"bbox": "108.0,21.0,108.009,21.009"}
    ).json()
    assert [f["id"] for f in data["features"]] == [A1]
    bad = staff_client.get("/api/areas/grids/geojson", {"bbox": "x"})
    assert bad.status_code == 422


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def test_propose_and_approve_through_the_api(staff_client, territory, django_user_model):
    payload = {
        "town_code": "990101001",
        "kind": "create",
        "trigger": "relocation",
        "reason": "新建小区入住",
        "items": [
            {"village_code": "990101001001", "kind": "urban", "geometry": square(108.05, 21.05)}
        ],
    }
    response = post(staff_client, "/api/areas/adjustments", payload)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["status"] == "proposed"

    # The proposer may not approve; a county operator does.
    refused = post(staff_client, f"/api/areas/adjustments/{number}/approve", {"note": ""})
    assert refused.status_code == 403
    approver = django_user_model.objects.create_user("county", password="x")
    grant(approver, Role.AGENCY_OPERATOR, area=territory["county"])
    staff_client.force_login(approver)
    approved = post(staff_client, f"/api/areas/adjustments/{number}/approve", {"note": "同意"})
    assert approved.status_code == 200, approved.content
    (item,) = approved.json()["items"]
    assert item["result"] == "990101001001003"
    history = staff_client.get(f"/api/areas/grids/{item['result']}/history").json()
    assert [e["kind"] for e in history] == ["created"]
    assert history[0]["adjustment"] == number


def test_overlapping_proposal_gets_field_errors_and_creates_nothing(staff_client, territory):
    payload = {
        "town_code": "990101001",
        "kind": "create",
        "trigger": "other",
        "reason": "补划",
        "items": [
            {
                "village_code": "990101001001",
                "kind": "urban",
                "geometry": to_geojson(box(108.005, 21.002, 108.008, 21.008)),
            }
        ],
    }
    response = post(staff_client, "/api/areas/adjustments", payload)
    assert response.status_code == 422
    body = response.json()
    assert A1 in " ".join(body["errors"]["items"])
    assert staff_client.get("/api/areas/adjustments").json()["count"] == 1  # the fixture's


def test_bad_payload_is_refused_with_field_errors(staff_client, territory):
    response = post(staff_client, "/api/areas/adjustments", {"town_code": "99", "kind": "grow"})
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "payload", "town_code") in locs
    assert ("body", "payload", "kind") in locs
