"""Coordinates and geometry helpers.

We store WGS-84 (≈ CGCS2000) lon/lat. Input from Amap, WeChat or DataV boundaries
comes in GCJ-02, the obfuscated datum of Chinese web maps; it is converted here.
"""

import json
import math

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

_GEOD = Geod(ellps="WGS84")

# GCJ-02 parameters (Krasovsky 1940 ellipsoid).
_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lon: float, lat: float) -> bool:
    """GCJ-02 is only applied inside (roughly) mainland China."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = math.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert the GCJ-02 offset by fixed-point iteration (error well below 1 cm)."""
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon -= dlon
        wlat -= dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlon, wlat


CRS_CHOICES = ("wgs84", "gcj02")


def to_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    if crs == "wgs84":
        return lon, lat
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}; use wgs84 or gcj02")


def transform_geometry(geom: BaseGeometry, func) -> BaseGeometry:
    """Apply ``func(lon, lat) -> (lon, lat)`` to every vertex of ``geom``."""

    return shapely.transform(geom, lambda arr: np.array([func(x, y) for x, y in arr.tolist()]))


def geodesic_area_m2(geom: BaseGeometry) -> float:
    """Area on the WGS-84 ellipsoid in square metres."""
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(area)


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Approximate metres per degree of longitude and latitude at ``lat``."""
    lat_rad = math.radians(lat)
    per_lat = 111132.92 - 559.82 * math.cos(2 * lat_rad) + 1.175 * math.cos(4 * lat_rad)
    per_lon = 111412.84 * math.cos(lat_rad) - 93.5 * math.cos(3 * lat_rad)
    return per_lon, per_lat


def approx_area_m2(geom: BaseGeometry) -> float:
    """A fast planar area for small shapes (overlap checks); exact enough near the centroid."""
    if geom.is_empty:
        return 0.0
    per_lon, per_lat = metres_per_degree(geom.centroid.y)
    return geom.area * per_lon * per_lat


def from_geojson(data: dict | str) -> BaseGeometry:
    if isinstance(data, str):
        data = json.loads(data)
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry") or {}
    return shape(data)


def to_geojson(geom: BaseGeometry, precision: int = 7) -> dict:
    """GeoJSON for storage: coordinates rounded to ~1 cm."""
    geom = shapely.set_precision(geom, 10**-precision) if precision else geom
    return _listify(mapping(geom))


def _listify(obj):
    if isinstance(obj, dict):
        return {key: _listify(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_listify(value) for value in obj]
    return obj


def bbox_of(geom: BaseGeometry) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return min_lon, min_lat, max_lon, max_lat
