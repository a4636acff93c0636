"""Possible duplicates of a case, shown to the operator who accepts it (who may merge).

A duplicate is a case about the same matter, still open, raised within ``WINDOW_DAYS`` of
this one and within ``RADIUS_M`` metres of its point; a case located by area only (no
point) matches the cases of the same place. Bounding-box columns first, the exact
distance after: the query touches the ``case_matter_status`` index, not the whole table.
"""

import math
from datetime import timedelta

from gridgov.cases.choices import OPEN_STATES
from gridgov.cases.models import Case

RADIUS_M = 200
WINDOW_DAYS = 30
LIMIT = 20
EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE = 111_320


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def possible_duplicates(case: Case, *, radius_m: float = RADIUS_M, days: int = WINDOW_DAYS):
    """Open cases of the same matter near ``case`` in place and time, nearest first.

    Each returned case has ``distance`` (metres, or None for an area-only match).
    """
    window = timedelta(days=days)
    candidates = (
        Case.objects.filter(
            matter__code=case.matter.code,
            status__in=sorted(OPEN_STATES),
            created_at__gte=case.created_at - window,
            created_at__lte=case.created_at + window,
        )
        .exclude(pk=case.pk)
        .select_related("matter", "grid")
    )
    if case.lon is None or case.lat is None:
        found = list(candidates.filter(place_code=case.place_code, lon__isnull=True)[:LIMIT])
        for other in found:
            other.distance = None
        return found
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(case.lat)), 0.01))
    near = candidates.filter(
        lat__gte=case.lat - dlat,
        lat__lte=case.lat + dlat,
        lon__gte=case.lon - dlon,
        lon__lte=case.lon + dlon,
    )
    found = []
    for other in near[: LIMIT * 5]:
        other.distance = distance_m(case.lon, case.lat, other.lon, other.lat)
        if other.distance <= radius_m:
            found.append(other)
    found.sort(key=lambda other: (other.distance, other.created_at))
    return found[:LIMIT]
