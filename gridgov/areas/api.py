"""Areas and grids API: locate, area tree, grids (list, detail, GeoJSON), adjustments."""

from datetime import date
from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from gridgov.areas import actions
from gridgov.areas import locate as locate_mod
from gridgov.areas.choices import AreaLevel, GridStatus
from gridgov.areas.models import Area, Grid, GridAdjustment

router = Router()


class PlaceOut(Schema):
    code: str
    name: str


class GridPlaceOut(Schema):
    code: str
    name: str
    kind: str
    subject: str = ""


class LocateOut(Schema):
    lon: float = Field(description="WGS-84 经度")
    lat: float = Field(description="WGS-84 纬度")
    inside: bool = Field(description="是否在本市管辖范围（陆地及海域）内")
    at_sea: bool
    grid: GridPlaceOut | None = Field(None, description="所在城市社区网格或农村网格")
    village: PlaceOut | None = None
    town: PlaceOut | None = None
    county: PlaceOut | None = None
    exclusive: list[GridPlaceOut] = Field(default_factory=list, description="所在专属网格")
    in_scope: bool = Field(
        True, description="是否全部在您的管辖范围内；范围外的网格和区划不在答复中"
    )
    message: str = ""


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: dict[str, list[str]] = Field(default_factory=dict)


@router.get("/locate", response=LocateOut, summary="坐标定位到网格", operation_id="locate")
def locate(
    request,
    lon: float = Query(..., ge=-180, le=180, description="经度"),
    lat: float = Query(..., ge=-90, le=90, description="纬度"),
    crs: Literal["wgs84", "gcj02"] = Query("wgs84", description="坐标系：wgs84 或 gcj02"),
):
    found = locate_mod.locate_for(request.user, lon, lat, crs)
    data = found.as_dict()
    if not found.inside:
        data["message"] = "该位置不在本市管辖范围内"
    elif not found.in_scope:
        data["message"] = "该位置不在您的管辖范围内"
    else:
        data["message"] = ""
    return data


class AreaOut(Schema):
    code: str
    name: str
    level: int
    kind: str
    parent_code: str | None = Field(None, alias="parent.code")
    statistical_code: str
    is_generated: bool
    valid_from: date | None
    valid_to: date | None


@router.get("/areas", response=list[AreaOut], summary="区划列表", operation_id="list_areas")
@paginate(LimitOffsetPagination)
def list_areas(
    request,
    parent: str | None = Query(None, description="上级区划代码；不填为市级"),
    level: int | None = Query(None, ge=1, le=4),
):
    qs = Area.objects.restrict(request.user, "view").select_related("parent")
    if parent:
        qs = qs.filter(parent__code=parent)
    elif level is None:
        qs = qs.filter(level=AreaLevel.CITY)
    if level is not None:
        qs = qs.filter(level=level)
    return qs.order_by("code")


@router.get("/areas/{code}", response=AreaOut, summary="区划详情", operation_id="get_area")
def get_area(request, code: str):
    return get_object_or_404(
        Area.objects.restrict(request.user, "view").select_related("parent"), code=code
    )


class GridOut(Schema):
    code: str
    name: str
    kind: str
    subject: str
    maritime_kind: str
    status: str
    village: PlaceOut
    town_code: str
    county_code: str
    department: str | None = Field(None, alias="department.name")
    area_m2: float
    centroid: tuple[float, float]
    valid_from: date
    valid_to: date | None

    @staticmethod
    def resolve_centroid(obj):
        return (obj.centroid_lon, obj.centroid_lat)


class GridDetailOut(GridOut):
    geometry: dict


class GridFilter(FilterSchema):
    county: Annotated[str | None, FilterLookup(q="code__startswith")] = Field(
        None, description="县（区）代码"
    )
    town: Annotated[str | None, FilterLookup(q="code__startswith")] = Field(
        None, description="镇（街道）代码"
    )
    village: Annotated[str | None, FilterLookup(q="village__code")] = None
    kind: Annotated[str | None, FilterLookup(q="kind")] = None
    subject: Annotated[str | None, FilterLookup(q="subject")] = None
    status: Annotated[str | None, FilterLookup(q="status")] = Field(
        GridStatus.ACTIVE, description="active、retired；空为全部"
    )
    q: Annotated[str | None, FilterLookup(q=["code__startswith", "name__icontains"])] = Field(
        None, description="编码前缀或名称"
    )


@router.get("/grids", response=list[GridOut], summary="网格列表", operation_id="list_grids")
@paginate(LimitOffsetPagination)
def list_grids(request, filters: GridFilter = Query(...)):
    qs = Grid.objects.restrict(request.user, "view").select_related("village", "department")
    return filters.filter(qs).defer("geometry").order_by("code")


@router.get("/grids/geojson", summary="网格边界（GeoJSON，按范围）", operation_id="grids_geojson")
def grids_geojson(
    request,
    bbox: str = Query(..., description="min_lon,min_lat,max_lon,max_lat"),
    kind: str | None = None,
    limit: int = Query(3000, ge=1, le=10000),
):
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox.split(","))
    except ValueError as exc:
        raise HttpError(422, "bbox 应为 最小经度,最小纬度,最大经度,最大纬度") from exc
    qs = Grid.objects.restrict(request.user, "view").filter(
        status=GridStatus.ACTIVE,
        min_lon__lte=max_lon,
        max_lon__gte=min_lon,
        min_lat__lte=max_lat,
        max_lat__gte=min_lat,
    )
    if kind:
        qs = qs.filter(kind=kind)
    rows = qs.order_by("code").values_list("code", "name", "kind", "subject", "geometry")[:limit]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": name, "kind": kind, "subject": subject},
                "geometry": geometry,
            }
            for code, name, kind, subject, geometry in rows
        ],
    }


@router.get("/grids/{code}", response=GridDetailOut, summary="网格详情", operation_id="get_grid")
def get_grid(request, code: str):
    return get_object_or_404(
        Grid.objects.restrict(request.user, "view").select_related("village", "department"),
        code=code,
    )


class GridEventOut(Schema):
    kind: str
    at: str
    effective_date: date
    adjustment: str | None = Field(None, alias="adjustment.number")
    note: str

    @staticmethod
    def resolve_at(obj):
        return obj.at.isoformat()


@router.get(
    "/grids/{code}/history",
    response=list[GridEventOut],
    summary="网格沿革",
    operation_id="grid_history",
)
def grid_history(request, code: str):
    grid = get_object_or_404(Grid.objects.restrict(request.user, "view"), code=code)
    return grid.events.select_related("adjustment").order_by("at", "id")


class ProposedGridIn(Schema):
    village_code: str = Field(..., min_length=12, max_length=12, pattern=r"^\d{12}$")
    kind: Literal["urban", "rural", "exclusive"]
    geometry: dict = Field(..., description="GeoJSON Polygon 或 MultiPolygon（WGS-84）")
    name: str = Field("", max_length=100)
    subject: str = ""
    maritime_kind: str = ""
    department_id: int | None = None
    redraw_of: str | None = Field(None, description="边界调整时原网格编码")


class AdjustmentIn(Schema):
    town_code: str = Field(..., min_length=9, max_length=9, pattern=r"^\d{9}$")
    kind: Literal["create", "split", "merge", "redraw", "retire"]
    trigger: Literal["village_resized", "relocation", "other"]
    reason: str = Field(..., max_length=2000)
    old_grids: list[str] = Field(default_factory=list)
    items: list[ProposedGridIn] = Field(default_factory=list)


class AdjustmentItemOut(Schema):
    village_code: str = Field(..., alias="village.code")
    name: str
    kind: str
    subject: str
    redraw_of: str | None = Field(None, alias="redraw_of.code")
    result: str | None = Field(None, alias="result.code")


class AdjustmentOut(Schema):
    number: str
    town_code: str = Field(..., alias="town.code")
    kind: str
    trigger: str
    reason: str
    status: str
    old_grids: list[str]
    items: list[AdjustmentItemOut]
    proposed_at: str
    decided_at: str | None
    decision_note: str
    effective_date: date | None
    filed_at: str | None

    @staticmethod
    def resolve_old_grids(obj):
        return [g.code for g in obj.old_grids.all()]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.select_related("village", "redraw_of", "result"))

    @staticmethod
    def resolve_proposed_at(obj):
        return obj.proposed_at.isoformat()

    @staticmethod
    def resolve_decided_at(obj):
        return obj.decided_at.isoformat() if obj.decided_at else None

    @staticmethod
    def resolve_filed_at(obj):
        return obj.filed_at.isoformat() if obj.filed_at else None


class DecisionIn(Schema):
    note: str = Field("", max_length=2000)


@router.get(
    "/adjustments",
    response=list[AdjustmentOut],
    summary="网格调整列表",
    operation_id="list_adjustments",
)
@paginate(LimitOffsetPagination)
def list_adjustments(request, status: str | None = None, town: str | None = None):
    qs = GridAdjustment.objects.restrict(request.user, "view").select_related("town")
    if status:
        qs = qs.filter(status=status)
    if town:
        qs = qs.filter(town__code__startswith=town)
    return qs.prefetch_related("old_grids")


@router.get(
    "/adjustments/{number}",
    response=AdjustmentOut,
    summary="网格调整详情",
    operation_id="get_adjustment",
)
def get_adjustment(request, number: str):
    return get_object_or_404(
        GridAdjustment.objects.restrict(request.user, "view").select_related("town"), number=number
    )


@router.post(
    "/adjustments",
    response={201: AdjustmentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="提出网格调整",
    operation_id="propose_adjustment",
)
def propose_adjustment(request, payload: AdjustmentIn):
    town = get_object_or_404(
        Area.objects.restrict(request.user, "view"), code=payload.town_code, level=AreaLevel.TOWN
    )
    adjustment = actions.do_propose_adjustment(
        town=town,
        kind=payload.kind,
        trigger=payload.trigger,
        reason=payload.reason,
        old_grid_codes=payload.old_grids,
        items=[actions.ProposedGrid(**item.dict()) for item in payload.items],
        actor=request.user,
        source="api",
    )
    return Status(201, adjustment)


@router.post(
    "/adjustments/{number}/approve",
    response={200: AdjustmentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="批准网格调整（县级网格化服务管理机构）",
    operation_id="approve_adjustment",
)
def approve_adjustment(request, number: str, payload: DecisionIn):
    adjustment = get_object_or_404(
        GridAdjustment.objects.restrict(request.user, "view"), number=number
    )
    actions.do_approve_adjustment(adjustment, actor=request.user, note=payload.note)
    adjustment.refresh_from_db()
    return adjustment


@router.post(
    "/adjustments/{number}/reject",
    response={200: AdjustmentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="驳回网格调整",
    operation_id="reject_adjustment",
)
def reject_adjustment(request, number: str, payload: DecisionIn):
    adjustment = get_object_or_404(
        GridAdjustment.objects.restrict(request.user, "view"), number=number
    )
    actions.do_reject_adjustment(adjustment, actor=request.user, note=payload.note)
    adjustment.refresh_from_db()
    return adjustment
