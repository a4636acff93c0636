"""Validation of grid shapes: what a town may draw (第五、六条)."""

from dataclasses import dataclass, field

import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gridgov.core.geo import approx_area_m2, from_geojson

# GEOS explain_validity reasons → what an operator understands.
_VALIDITY_REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points": "边界点数太少",
    "Interior is disconnected": "内部不连通",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested holes": "内环相互嵌套",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "边界环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "边界环未闭合",
}


class GeometryError(ValueError):
    """A shape that cannot be a grid; the message is for the operator."""


def describe_invalid(geom: BaseGeometry) -> str:
    reason = explain_validity(geom)
    for key, text in _VALIDITY_REASONS.items():
        if reason.startswith(key):
            location = reason[len(key) :].strip()
            if location.startswith("[") and location.endswith("]"):
                parts = location[1:-1].split()
                if len(parts) >= 2:
                    try:
                        lon, lat = float(parts[0]), float(parts[1])
                        return _("%(reason)s（约在 经度 %(lon).6f、纬度 %(lat).6f 处）") % {
                            "reason": text,
                            "lon": lon,
                            "lat": lat,
                        }
                    except ValueError:
                        pass
            return text
    return reason


def parse_polygon(data) -> BaseGeometry:
    """A valid Polygon or MultiPolygon in lon/lat from GeoJSON, or GeometryError."""
    if not data:
        raise GeometryError(_("缺少网格边界"))
    try:
        geom = from_geojson(data)
    except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
        raise GeometryError(_("边界不是有效的 GeoJSON：%(error)s") % {"error": exc}) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("边界必须是面（Polygon 或 MultiPolygon），收到的是 %(type)s")
            % {"type": geom.geom_type}
        )
    if geom.is_empty:
        raise GeometryError(_("边界为空"))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GeometryError(_("坐标超出经纬度范围，请使用 WGS-84 经纬度（经度在前）"))
    if not geom.is_valid:
        raise GeometryError(_("边界无效：%(reason)s") % {"reason": describe_invalid(geom)})
    if geom.area <= 0:
        raise GeometryError(_("边界面积为零"))
    return geom


@dataclass
class Problem:
    """One reason a proposed grid is refused; ``index`` is the item (0-based) or None."""

    message: str
    index: int | None = None
    conflicting_code: str | None = None


@dataclass
class Candidate:
    """A grid as proposed: its shape and what kind it is."""

    shape: BaseGeometry
    territorial: bool
    maritime: bool
    county_code: str
    replaces: set[int] = field(default_factory=set)


def check_within_county(shape: BaseGeometry, county_shape) -> float:
    """Square metres of ``shape`` outside the county (0 when inside)."""
    if county_shape is None:
        return 0.0
    shapely.prepare(county_shape)
    if county_shape.covers(shape):
        return 0.0
    outside = shape.difference(county_shape)
    return approx_area_m2(outside)


def overlap_m2(a: BaseGeometry, b: BaseGeometry) -> float:
    if not a.intersects(b):
        return 0.0
    return approx_area_m2(a.intersection(b))


def overlap_tolerance() -> float:
    return settings.GRID_OVERLAP_TOLERANCE_M2


def boundary_tolerance() -> float:
    return settings.GRID_BOUNDARY_TOLERANCE_M2
