"""Locate: which grid, village, town and county a point lies in.

The active grids are held in memory in shapely STRtrees (one for territorial grids, one
for exclusive grids), built on first use and rebuilt when the territory revision moves.
A point on an edge shared by two territorial grids goes to the one with the smaller
code, so the answer never depends on load order.
"""

import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely

from gridgov.areas.choices import GridKind, GridStatus
from gridgov.core.geo import from_geojson, to_wgs84


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class GridPlace:
    code: str
    name: str
    kind: str
    subject: str = ""


@dataclass
class Located:
    """The answer for one point. ``inside`` is False outside the city's land and sea."""

    lon: float
    lat: float
    inside: bool
    grid: GridPlace | None = None
    village: Place | None = None
    town: Place | None = None
    county: Place | None = None
    exclusive: list[GridPlace] = field(default_factory=list)
    at_sea: bool = False
    # False when the point lies in grids or areas the asking user may not see (they are
    # left out of the answer, see locate_for).
    in_scope: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


intersects_xy = shapely.intersects_xy


class CellIndex:
    """A uniform grid of cells over the shapes' extent: cell → indices of the shapes whose
    bounding box touches it, in index order.

    For one point this beats an STRtree query by avoiding a Point object and the tree
    walk: the cell is arithmetic and a cell holds two or three candidates on average.
    """

    def __init__(self, shapes: np.ndarray):
        self.cells: dict[int, tuple[int, ...]] = {}
        if not len(shapes):
            self.x0 = self.y0 = self.x1 = self.y1 = 0.0
            self.size, self.nx = 1.0, 1
            return
        bounds = shapely.bounds(shapes)
        self.x0, self.y0 = bounds[:, 0].min(), bounds[:, 1].min()
        self.x1, self.y1 = bounds[:, 2].max(), bounds[:, 3].max()
        extent = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        # About the size of a typical shape: few candidates per cell, few cells per shape.
        self.size = max(float(np.median(extent)) / 2, 1e-6)
        self.nx = int((self.x1 - self.x0) / self.size) + 1
        cells: dict[int, list[int]] = {}
        for index, (min_x, min_y, max_x, max_y) in enumerate(bounds.tolist()):
            for iy in range(self._iy(min_y), self._iy(max_y) + 1):
                for ix in range(self._ix(min_x), self._ix(max_x) + 1):
                    cells.setdefault(iy * self.nx + ix, []).append(index)
        self.cells = {key: tuple(value) for key, value in cells.items()}

    def _ix(self, x: float) -> int:
        return int((x - self.x0) / self.size)

    def _iy(self, y: float) -> int:
        return int((y - self.y0) / self.size)

    def candidates(self, x: float, y: float) -> tuple[int, ...]:
        if not (self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1):
            return ()
        return self.cells.get(self._iy(y) * self.nx + self._ix(x), ())


class LocateIndex:
    """An immutable snapshot of the map for fast point queries."""

    def __init__(self, revision: int, grids: list[tuple], areas: list[tuple], seas: list):
        self.revision = revision
        # Areas by code, for names along a grid's path.
        self.areas: dict[str, Place] = {code: Place(code, name) for code, name, _l, _g in areas}
        territorial = sorted((g for g in grids if g[2] != GridKind.EXCLUSIVE), key=lambda g: g[0])
        exclusive = sorted((g for g in grids if g[2] == GridKind.EXCLUSIVE), key=lambda g: g[0])
        self.territorial = [
            GridPlace(code, name, kind, subject) for code, name, kind, subject, _ in territorial
        ]
        self.exclusive = [
            GridPlace(code, name, kind, subject) for code, name, kind, subject, _ in exclusive
        ]
        self.t_shapes = np.array([g[4] for g in territorial], dtype=object)
        self.e_shapes = np.array([g[4] for g in exclusive], dtype=object)
        shapely.prepare(self.t_shapes)
        shapely.prepare(self.e_shapes)
        self.t_tree = shapely.STRtree(self.t_shapes)
        self.e_tree = shapely.STRtree(self.e_shapes)
        self.t_cells = CellIndex(self.t_shapes)
        self.e_cells = CellIndex(self.e_shapes)
        # Area polygons, deepest level first, for points that no grid covers.
        area_rows = sorted((a for a in areas if a[3] is not None), key=lambda a: (-a[2], a[0]))
        self.area_codes = [a[0] for a in area_rows]
        self.a_shapes = np.array([a[3] for a in area_rows], dtype=object)
        shapely.prepare(self.a_shapes)
        self.a_cells = CellIndex(self.a_shapes)
        self.seas = np.array(seas, dtype=object)
        shapely.prepare(self.seas)

    @classmethod
    def load(cls) -> "LocateIndex":
        from gridgov.areas.models import Area, Grid, TerritoryRevision

        revision = (
            TerritoryRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0
        )
        grids = [
            (code, name, kind, subject, from_geojson(geometry))
            for code, name, kind, subject, geometry in Grid.objects.filter(
                status=GridStatus.ACTIVE
            ).values_list("code", "name", "kind", "subject", "geometry")
        ]
        areas = []
        seas = []
        for code, name, level, geometry, sea in Area.objects.values_list(
            "code", "name", "level", "geometry", "sea_geometry"
        ):
            shape = from_geojson(geometry) if geometry else None
            areas.append((code, name, level, shape))
            if sea:
                seas.append(from_geojson(sea))
        return cls(revision, grids, areas, seas)

    # Single points ---------------------------------------------------------------

    def locate(self, lon: float, lat: float) -> Located:
        # Candidates come in code order, so the first hit is the smallest code.
        grid = None
        shapes = self.t_shapes
        for i in self.t_cells.candidates(lon, lat):
            if intersects_xy(shapes[i], lon, lat):
                grid = self.territorial[i]
                break
        shapes = self.e_shapes
        exclusive = [
            self.exclusive[i]
            for i in self.e_cells.candidates(lon, lat)
            if intersects_xy(shapes[i], lon, lat)
        ]
        return self._answer(lon, lat, grid, exclusive)

    def _answer(self, lon, lat, grid, exclusive) -> Located:
        anchor = grid or (exclusive[0] if exclusive else None)
        if anchor is not None:
            code = anchor.code
            at_sea = grid is None and all(g.subject == "maritime" for g in exclusive)
            return Located(
                lon,
                lat,
                True,
                grid=grid,
                village=self.areas.get(code[:12]),
                town=self.areas.get(code[:9]),
                county=self.areas.get(code[:6]),
                exclusive=exclusive,
                at_sea=at_sea,
            )
        # No grid here: the deepest area whose boundary holds the point, if any.
        for i in self.a_cells.candidates(lon, lat):
            if intersects_xy(self.a_shapes[i], lon, lat):
                code = self.area_codes[i]
                return Located(
                    lon,
                    lat,
                    True,
                    village=self.areas.get(code[:12]) if len(code) >= 12 else None,
                    town=self.areas.get(code[:9]) if len(code) >= 9 else None,
                    county=self.areas.get(code[:6]) if len(code) >= 6 else None,
                )
        if any(intersects_xy(sea, lon, lat) for sea in self.seas):
            return Located(lon, lat, True, at_sea=True)
        return Located(lon, lat, False)

    # Many points at once ---------------------------------------------------------

    def locate_codes(self, lons, lats) -> np.ndarray:
        """The territorial grid code for each point ('' where none), vectorised."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, grid_idx = self.t_tree.query(points, predicate="intersects")
        best = np.full(len(points), -1, dtype=np.int64)
        if point_idx.size:
            # Smallest grid index (= smallest code) per point, for shared edges.
            order = np.lexsort((grid_idx, point_idx))
            point_idx, grid_idx = point_idx[order], grid_idx[order]
            first = np.ones(point_idx.size, dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            best[point_idx[first]] = grid_idx[first]
        codes = np.array([g.code for g in self.territorial] + [""], dtype=object)
        return codes[best]

    def locate_many(self, lons, lats) -> list[Located]:
        return [self.locate(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]


_lock = threading.Lock()
_index: LocateIndex | None = None
_checked_at = 0.0
# How often a process asks the database whether the map changed (seconds).
REFRESH_SECONDS = 5.0


def invalidate() -> None:
    global _index
    _index = None


def get_index() -> LocateIndex:
    """The current index; other processes' changes show within REFRESH_SECONDS."""
    global _index, _checked_at
    index = _index
    now = time.monotonic()
    if index is not None and now - _checked_at < REFRESH_SECONDS:
        return index
    from gridgov.areas.models import TerritoryRevision

    with _lock:
        revision = (
            TerritoryRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0
        )
        if _index is None or _index.revision != revision:
            _index = LocateIndex.load()
        _checked_at = now
        return _index


def locate(lon: float, lat: float, crs: str = "wgs84") -> Located:
    """Where is (lon, lat)? Input in WGS-84 or GCJ-02; the answer carries WGS-84."""
    lon, lat = to_wgs84(lon, lat, crs)
    return get_index().locate(lon, lat)


def locate_for(user, lon: float, lat: float, crs: str = "wgs84") -> Located:
    """locate() as a user may see it: grids and areas outside their scope are left out.

    The index itself is shared by everybody; the scope is applied to its answer with
    the same restrict() every page uses (two small queries).
    """
    from gridgov.areas.models import Area, Grid

    found = locate(lon, lat, crs)
    grids = ([found.grid] if found.grid else []) + found.exclusive
    places = [p for p in (found.village, found.town, found.county) if p]
    seen_grids = (
        set(
            Grid.objects.restrict(user, "view")
            .filter(code__in=[g.code for g in grids])
            .values_list("code", flat=True)
        )
        if grids
        else set()
    )
    seen_areas = (
        set(
            Area.objects.restrict(user, "view")
            .filter(code__in=[p.code for p in places])
            .values_list("code", flat=True)
        )
        if places
        else set()
    )
    hidden = len(seen_grids) < len(grids) or len(seen_areas) < len(places)
    if found.grid and found.grid.code not in seen_grids:
        found.grid = None
    found.exclusive = [g for g in found.exclusive if g.code in seen_grids]
    found.village = found.village if found.village and found.village.code in seen_areas else None
    found.town = found.town if found.town and found.town.code in seen_areas else None
    found.county = found.county if found.county and found.county.code in seen_areas else None
    found.in_scope = not hidden
    return found
