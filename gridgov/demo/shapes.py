"""Geometry for the demo generator: splitting a region into cells that tile it.

A region is split into ``n`` cells by Voronoi cells of ``n`` seed points clipped to the
region; a few rounds of Lloyd relaxation (moving each seed to its cell's centroid) make
the cells compact. Clipping a Voronoi diagram to the parent makes the cells tile the
parent without overlaps by construction, which is what the grid validation asks for.

The work is done in a local plane in kilometres (see ``LocalFrame``): in lon/lat a
Voronoi cell would be stretched north–south by 1/cos(latitude).
"""

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from gridgov.core.geo import metres_per_degree

# Generated shapes are snapped to a 1 cm grid in the local plane: snap rounding leaves no
# vertex closer than that to another edge, so neighbours keep identical shared edges and
# the conversion back to lon/lat cannot fold a near-degenerate corner into an invalid ring.
GRID_KM = 1e-5


def snap(geom):
    """``geom`` (or an array of them) on the 1 cm grid; valid by construction."""
    return shapely.set_precision(geom, GRID_KM)


# Stored coordinates are rounded to 1e-7° (about 1 cm, see gridgov.core.geo.to_geojson).
# Independently clipped neighbours meet with slightly different vertices (a corner of one
# lies on an edge of the other); rounding would then open hair-thin overlaps of a few m²
# along long edges. Cleaning the coverage with a snapping distance of that size gives
# neighbours identical vertices, which round alike.
STORAGE_SNAP_DEG = 1e-7


def clean_coverage(shapes: list[BaseGeometry]) -> list[BaseGeometry]:
    """Lon/lat polygons that tile an area, with exactly matching shared edges."""
    if not shapes:
        return []
    cleaned = shapely.coverage_clean(
        np.array(shapes, dtype=object), snapping_distance=STORAGE_SNAP_DEG
    )
    result = []
    for original, shape in zip(shapes, cleaned, strict=True):
        parts = polygons_of(shape)
        if not parts:
            result.append(original)  # never lose a cell to the cleaning
        else:
            result.append(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))
    return result


class LocalFrame:
    """An equirectangular plane in km around (lon0, lat0); exact enough for a city."""

    def __init__(self, lon0: float, lat0: float):
        per_lon, per_lat = metres_per_degree(lat0)
        self.origin = np.array([lon0, lat0])
        self.scale = np.array([per_lon / 1000.0, per_lat / 1000.0])

    def to_local(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: (xy - self.origin) * self.scale)

    def to_lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda xy: xy / self.scale + self.origin)

    def point(self, lon: float, lat: float) -> np.ndarray:
        return (np.array([lon, lat]) - self.origin) * self.scale


def polygons_of(geom: BaseGeometry) -> list[BaseGeometry]:
    """The polygons of any geometry (overlay results may carry stray lines or points)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom] if geom.area > 0 else []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for g in shapely.get_parts(geom) for p in polygons_of(g)]
    return []


def inside_point(region: BaseGeometry, xy) -> np.ndarray:
    """``xy`` if it lies inside ``region``, else the nearest point a little inside it."""
    point = shapely.Point(xy)
    if region.contains(point):
        return np.asarray(xy, dtype=float)
    inner = region.buffer(-0.2)
    target = inner if not inner.is_empty else region
    nearest = nearest_points(target, point)[0]
    if region.contains(nearest):
        return np.array([nearest.x, nearest.y])
    p = region.point_on_surface()
    return np.array([p.x, p.y])


def sample_points(
    region: BaseGeometry, n: int, rng: np.random.Generator, *, existing=None, tries: int = 8
) -> np.ndarray:
    """``n`` well-spread random points inside ``region`` (best-candidate sampling).

    Points are drawn uniformly from a constrained triangulation of the region, so
    narrow or holed regions are sampled as easily as round ones.
    """
    if n <= 0:
        return np.empty((0, 2))
    triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(region))
    triangles = triangles[shapely.area(triangles) > 0]
    corners = shapely.get_coordinates(shapely.get_exterior_ring(triangles)).reshape(-1, 4, 2)
    weights = shapely.area(triangles)
    picks = rng.choice(len(triangles), size=n * tries, p=weights / weights.sum())
    r1, r2 = rng.random((2, n * tries))
    s = np.sqrt(r1)[:, None]
    a, b, c = corners[picks, 0], corners[picks, 1], corners[picks, 2]
    candidates = (1 - s) * a + s * (1 - r2[:, None]) * b + s * r2[:, None] * c

    chosen = [] if existing is None else [np.asarray(p, dtype=float) for p in existing]
    result = []
    for i in range(n):
        batch = candidates[i * tries : (i + 1) * tries]
        if chosen:
            d = np.min(
                np.linalg.norm(batch[:, None, :] - np.array(chosen)[None, :, :], axis=2), axis=1
            )
            best = batch[int(np.argmax(d))]
        else:
            best = batch[0]
        chosen.append(best)
        result.append(best)
    return np.array(result)


def voronoi_cells(points: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """The Voronoi cell of each point (in the points' order) clipped to ``region``."""
    if len(points) == 1:
        return np.array([region], dtype=object)
    minx, miny, maxx, maxy = region.bounds
    margin = max(maxx - minx, maxy - miny) + 1.0
    frame = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise ValueError("duplicate seed points")
    shapely.prepare(region)
    return shapely.intersection(cells, region)


def relax(
    points: np.ndarray, region: BaseGeometry, *, iterations: int, fixed=()
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd relaxation; returns the final seeds and their clipped cells."""
    points = np.array(points, dtype=float)
    fixed = np.array([i in set(fixed) for i in range(len(points))], dtype=bool)
    cells = voronoi_cells(points, region)
    for _ in range(iterations):
        centres = shapely.centroid(cells)
        outside = ~shapely.contains(region, centres)
        if outside.any():
            # A crescent's centroid can lie outside it; its point on surface does not.
            centres[outside] = shapely.point_on_surface(cells[outside])
        moved = shapely.get_coordinates(centres)
        points = np.where(fixed[:, None], points, moved)
        cells = voronoi_cells(points, region)
    return points, cells


def merge_fragments(cells, *, min_area: float = 0.0) -> list[BaseGeometry | None]:
    """Give each cell one main polygon: its detached pieces (and whole cells smaller than
    ``min_area``) go to the neighbour sharing the longest border with them, or, for an
    island, to the nearest cell. The union of all cells stays the same."""
    mains: list[BaseGeometry | None] = []
    pieces: list[tuple[BaseGeometry, int]] = []
    for i, cell in enumerate(cells):
        parts = sorted(polygons_of(cell), key=lambda p: -p.area)
        if not parts:
            mains.append(None)
            continue
        mains.append(parts[0])
        pieces.extend((p, i) for p in parts[1:])
    alive = [i for i, m in enumerate(mains) if m is not None]
    if min_area > 0 and alive:
        keep = max(alive, key=lambda i: mains[i].area)  # never dissolve every cell
        for i in alive:
            if i != keep and mains[i].area < min_area:
                pieces.append((mains[i], i))
                mains[i] = None
    if not pieces:
        return mains
    alive = [i for i, m in enumerate(mains) if m is not None]
    tree = shapely.STRtree([mains[i] for i in alive])
    extra: dict[int, list[BaseGeometry]] = {}
    for piece, _owner in pieces:
        target = _best_neighbour(piece, tree, alive, mains)
        extra.setdefault(target, []).append(piece)
    for target, parts in extra.items():
        mains[target] = shapely.union_all([mains[target], *parts])
    return mains


def _best_neighbour(piece, tree, alive, mains) -> int:
    hits = tree.query(piece, predicate="intersects")
    best, best_len = None, 0.0
    for h in sorted(hits.tolist()):
        j = alive[h]
        shared = shapely.length(shapely.intersection(piece.boundary, mains[j].boundary))
        if shared > best_len:
            best, best_len = j, shared
    if best is not None:
        return best
    nearest = tree.query_nearest(piece, all_matches=False)
    return alive[int(nearest[0])]


def partition(
    region: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    anchors: dict[int, np.ndarray] | None = None,
    iterations: int = 3,
    min_area: float = 0.0,
) -> list[BaseGeometry | None]:
    """Split ``region`` into ``n`` compact cells; cell ``i`` grows from seed ``i``.

    ``anchors`` pins some seeds (by index) to given points, which stay put during the
    relaxation. A cell is None only when ``min_area`` dissolved it into its neighbours.
    """
    if n <= 1:
        return [snap(region)]
    anchors = {i: inside_point(region, xy) for i, xy in (anchors or {}).items()}
    free = [i for i in range(n) if i not in anchors]
    sampled = sample_points(region, len(free), rng, existing=list(anchors.values()))
    points = np.empty((n, 2))
    for i, xy in anchors.items():
        points[i] = xy
    if free:
        points[free] = sampled
    _points, cells = relax(points, region, iterations=iterations, fixed=anchors.keys())
    merged = merge_fragments(snap(cells), min_area=min_area)
    return [None if c is None else snap(c) for c in merged]


def carve_core(
    region: BaseGeometry, centre, area: float, rng: np.random.Generator
) -> tuple[BaseGeometry, BaseGeometry | None]:
    """Split ``region`` into a roundish core of about ``area`` around ``centre`` and the rest.

    The core is a disc with a wobbly rim (a few random harmonics), so that urban cores
    do not look drawn with compasses. The rest is None when the core takes the whole
    region.
    """
    total = region.area
    if area >= 0.9 * total:
        return region, None
    cx, cy = inside_point(region, centre)
    angles = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    harmonics = np.arange(2, 6)
    amplitude = rng.uniform(0.04, 0.12, size=len(harmonics)) / np.sqrt(harmonics - 1)
    phase = rng.uniform(0.0, 2 * np.pi, size=len(harmonics))
    wobble = 1.0 + (amplitude * np.sin(np.outer(angles, harmonics) + phase)).sum(axis=1)

    def blob(radius: float) -> BaseGeometry:
        r = radius * wobble
        return shapely.Polygon(np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)]))

    lo, hi = 0.0, math.sqrt(total) * 4
    shape = None
    for _ in range(30):
        radius = (lo + hi) / 2
        shape = blob(radius)
        got = shapely.area(shapely.intersection(shape, region))
        if abs(got - area) < 0.01 * area:
            break
        lo, hi = (radius, hi) if got < area else (lo, radius)
    inner = polygons_of(shapely.intersection(region, shape))
    # Keep the piece around the centre; pieces of the blob across a bay stay outside.
    point = shapely.Point(cx, cy)
    core = min(inner, key=lambda p: p.distance(point))
    core = snap(core)
    rest = polygons_of(snap(shapely.difference(region, core)))
    if not rest:
        return region, None
    return core, shapely.union_all(rest)


def square_patch(
    within: BaseGeometry, centre, area: float, *, inset: float = 0.02
) -> BaseGeometry | None:
    """A square of about ``area`` around ``centre``, cut to lie ``inset`` inside ``within``."""
    side = math.sqrt(area)
    x, y = centre
    square = shapely.box(x - side / 2, y - side / 2, x + side / 2, y + side / 2)
    room = within.buffer(-inset) if inset else within
    parts = polygons_of(snap(shapely.intersection(square, room)))
    if not parts:
        return None
    return max(parts, key=lambda p: p.area)
