"""The demo plan: what the demo writes, computed from the shipped data files and the seed.

Nothing here touches the database, so the plan is the same on every run with the same
seed (which makes ``gridgov demo`` idempotent and resumable) and can be tested alone.
Every random choice draws from a generator seeded with (seed, area code, purpose), and
the shapes as stored are cleaned together for the whole city, so what a run writes does
not depend on which counties it writes.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from gridgov.areas.choices import AreaKind, AreaLevel, ExclusiveSubject
from gridgov.areas.loading import (
    DATA_DIR,
    Boundary,
    DivisionRow,
    LoadError,
    PlannedArea,
    plan_divisions,
    polygonal,
    read_boundaries,
    read_divisions,
)
from gridgov.core.geo import approx_area_m2, from_geojson, to_geojson
from gridgov.demo import config
from gridgov.demo.shapes import (
    LocalFrame,
    carve_core,
    clean_coverage,
    inside_point,
    merge_fragments,
    partition,
    polygons_of,
    snap,
    square_patch,
)

# Purposes, mixed into the random seeds so each kind of choice has its own stream.
_VILLAGE_COUNTS, _GRID_COUNTS, _TOWNS, _VILLAGES, _GRIDS = 1, 2, 3, 4, 5

# How the generated communities and villages are spread over the towns that have none
# in the real file: communities in 街道 (and some in development zones), villages in 镇/乡.
_COMMUNITY_WEIGHT = {AreaKind.SUBDISTRICT: 9.0, AreaKind.TOWN_LIKE: 3.0}
_VILLAGE_WEIGHT = {AreaKind.TOWN: 1.0, AreaKind.TOWNSHIP: 1.0}


@dataclass(frozen=True)
class PlannedExclusive:
    spec: config.ExclusiveSpec
    village_code: str
    shape: BaseGeometry  # lon/lat


def allocate(total: int, weights) -> list[int]:
    """``total`` split into whole shares proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or len(w) == 0 or w.sum() <= 0:
        return [0] * len(w)
    exact = w / w.sum() * total
    shares = np.floor(exact).astype(int)
    left = total - int(shares.sum())
    order = np.argsort(-(exact - shares), kind="stable")
    shares[order[:left]] += 1
    return shares.tolist()


class DemoPlan:
    """The Qinzhou demo for one seed and scale. Shapes are computed on first use."""

    def __init__(self, seed: int = config.DEFAULT_SEED, scale: float = 1.0):
        if seed < 0:
            raise ValueError("seed must not be negative")
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed = seed
        self.scale = scale
        self.division_rows = read_divisions(
            DATA_DIR / config.DIVISIONS_FILE, source=config.DIVISIONS_SOURCE
        )
        self.real_village_rows = read_divisions(
            DATA_DIR / config.VILLAGES_FILE, source=config.VILLAGES_SOURCE
        )
        self.boundaries: list[Boundary] = read_boundaries(
            DATA_DIR / config.BOUNDARIES_FILE, crs=config.BOUNDARIES_CRS
        )
        real, errors = plan_divisions(self.division_rows + self.real_village_rows)
        if errors:
            raise LoadError(errors)
        self.real: dict[str, PlannedArea] = {a.code: a for a in real}
        land = shapely.union_all([b.shape for b in self.boundaries])
        centre = land.centroid
        self.frame = LocalFrame(centre.x, centre.y)
        self.county_local = {b.code: snap(self.frame.to_local(b.shape)) for b in self.boundaries}
        self._towns: dict[str, dict[str, BaseGeometry]] = {}
        self._villages: dict[str, dict[str, BaseGeometry]] = {}

    def rng(self, *keys: int | str) -> np.random.Generator:
        return np.random.default_rng([self.seed, *(int(k) for k in keys)])

    # Divisions ---------------------------------------------------------------------

    def areas(self, level: int) -> list[PlannedArea]:
        """Real and generated areas of one level, by code."""
        pool = list(self.real.values())
        if level == AreaLevel.VILLAGE:
            pool += self.generated_villages
        return sorted((a for a in pool if a.level == level), key=lambda a: a.code)

    def children(self, code: str) -> list[PlannedArea]:
        return self._children.get(code, [])

    @cached_property
    def _children(self) -> dict[str, list[PlannedArea]]:
        children: dict[str, list[PlannedArea]] = {}
        for level in (AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE):
            for area in self.areas(level):
                children.setdefault(area.parent_code, []).append(area)
        return children

    @cached_property
    def generated_village_rows(self) -> list[DivisionRow]:
        """Villages for the towns the real file leaves empty, up to the city's real total.

        Codes follow the statistical rule (001–199 居民委员会, 200–399 村民委员会); names
        say plainly that they are made up.
        """
        towns = [a for a in self.real.values() if a.level == AreaLevel.TOWN]
        real_villages = [a for a in self.real.values() if a.level == AreaLevel.VILLAGE]
        with_villages = Counter(a.parent_code for a in real_villages)
        empty = sorted((t for t in towns if not with_villages[t.code]), key=lambda t: t.code)
        real_communities = sum(a.kind == AreaKind.COMMUNITY for a in real_villages)
        n_communities = max(0, config.COMMUNITIES_IN_ALL - real_communities)
        n_villages = max(0, config.VILLAGES_IN_ALL - len(real_villages) - n_communities)
        jitter = self.rng(0, _VILLAGE_COUNTS).uniform(0.8, 1.25, size=len(empty))
        communities = allocate(
            n_communities,
            [_COMMUNITY_WEIGHT.get(t.kind, 0.0) * j for t, j in zip(empty, jitter, strict=True)],
        )
        villages = allocate(
            n_villages,
            [_VILLAGE_WEIGHT.get(t.kind, 0.0) * j for t, j in zip(empty, jitter, strict=True)],
        )
        rows = []
        for town, n_c, n_v in zip(empty, communities, villages, strict=True):
            if n_c + n_v == 0:  # every town has at least one village-level unit
                if town.kind in _VILLAGE_WEIGHT:
                    n_v = 1
                else:
                    n_c = 1
            for i in range(1, n_c + 1):
                rows.append(self._generated_row(town.code, i, f"演示社区{i}"))
            for i in range(1, n_v + 1):
                rows.append(self._generated_row(town.code, 200 + i, f"演示村{i}"))
        return rows

    @staticmethod
    def _generated_row(town_code: str, number: int, name: str) -> DivisionRow:
        return DivisionRow(
            code=f"{town_code}{number:03d}",
            name=name,
            parent_code=town_code,
            where="演示数据",
            source=config.GENERATED_SOURCE,
        )

    @cached_property
    def generated_villages(self) -> list[PlannedArea]:
        planned, errors = plan_divisions(
            self.division_rows + self.generated_village_rows, is_generated=True
        )
        if errors:
            raise LoadError(errors)
        return [a for a in planned if a.level == AreaLevel.VILLAGE]

    @cached_property
    def grid_counts(self) -> dict[str, int]:
        """Territorial grids per village: ≈ 6,000 × scale in all, at least one each."""
        villages = self.areas(AreaLevel.VILLAGE)
        town_kind = {a.code: a.kind for a in self.areas(AreaLevel.TOWN)}
        weights = []
        for village in villages:
            if village.kind == AreaKind.COMMUNITY:
                street = town_kind[village.parent_code] == AreaKind.SUBDISTRICT
                weights.append(config.GRID_WEIGHT["street_community" if street else "community"])
            else:
                weights.append(config.GRID_WEIGHT[village.kind])
        jitter = self.rng(0, _GRID_COUNTS).uniform(0.75, 1.3, size=len(villages))
        total = max(len(villages), round(config.TERRITORIAL_GRIDS_AT_SCALE_1 * self.scale))
        extra = allocate(total - len(villages), np.asarray(weights) * jitter)
        return {v.code: min(999, 1 + e) for v, e in zip(villages, extra, strict=True)}

    # Shapes (in the local km plane) -------------------------------------------------

    def town_shapes(self, county: str) -> dict[str, BaseGeometry]:
        """Town boundaries tiling the real county: 街道 in a core around the county seat."""
        if county not in self._towns:
            self._towns[county] = self._make_town_shapes(county)
        return self._towns[county]

    def _make_town_shapes(self, county: str) -> dict[str, BaseGeometry]:
        region = self.county_local[county]
        towns = self.children(county)
        streets = [t for t in towns if t.kind == AreaKind.SUBDISTRICT]
        others = [t for t in towns if t.kind != AreaKind.SUBDISTRICT]
        rng = self.rng(county, _TOWNS)
        seat = config.COUNTY_SEATS.get(county)
        seat_xy = self.frame.point(*seat) if seat else _centre_of(region)
        core, rest = region, None
        if streets and others:
            core, rest = carve_core(region, seat_xy, config.STREET_KM2 * len(streets), rng)
        if rest is None:  # no 街道 (or a core that fills the county): one partition
            streets, others, core, rest = [], towns, None, region
        cells = []
        if streets:
            cells += partition(core, len(streets), rng)
        anchors = {
            i: self.frame.point(*config.TOWN_ANCHORS[t.code])
            for i, t in enumerate(others)
            if t.code in config.TOWN_ANCHORS
        }
        cells += partition(rest, len(others), rng, anchors=anchors)
        cells = merge_fragments(cells)
        return {t.code: cell for t, cell in zip(streets + others, cells, strict=True)}

    def village_shapes(self, town: str) -> dict[str, BaseGeometry]:
        """Village boundaries tiling the town: communities around the town's centre."""
        if town not in self._villages:
            self._villages[town] = self._make_village_shapes(town)
        return self._villages[town]

    def _make_village_shapes(self, town: str) -> dict[str, BaseGeometry]:
        region = self.town_shapes(town[:6])[town]
        villages = self.children(town)
        if not villages:
            return {}
        communities = [v for v in villages if v.kind == AreaKind.COMMUNITY]
        others = [v for v in villages if v.kind != AreaKind.COMMUNITY]
        rng = self.rng(town, _VILLAGES)
        core, rest = region, None
        if communities and others:
            area = min(config.COMMUNITY_KM2 * len(communities), 0.6 * region.area)
            core, rest = carve_core(region, self._town_centre(town, region), area, rng)
        if rest is None:
            return dict(
                zip(
                    [v.code for v in villages],
                    merge_fragments(partition(region, len(villages), rng)),
                    strict=True,
                )
            )
        cells = partition(core, len(communities), rng) + partition(rest, len(others), rng)
        cells = merge_fragments(cells)
        return {v.code: c for v, c in zip(communities + others, cells, strict=True)}

    def _town_centre(self, town: str, region: BaseGeometry):
        """A 街道's communities gather towards the county seat, a town's around its middle."""
        seat = config.COUNTY_SEATS.get(town[:6])
        if self.real[town].kind == AreaKind.SUBDISTRICT and seat:
            xy = self.frame.point(*seat)
            if region.distance(shapely.Point(xy)) < 1.0:
                return inside_point(region, xy)
        anchor = config.TOWN_ANCHORS.get(town)
        if anchor:
            return inside_point(region, self.frame.point(*anchor))
        return _centre_of(region)

    def grid_shapes(self, village: str) -> list[BaseGeometry]:
        """Territorial grid boundaries tiling the village (slivers merged away)."""
        region = self.village_shapes(village[:9])[village]
        n = self.grid_counts[village]
        cells = partition(
            region,
            n,
            self.rng(village, _GRIDS),
            iterations=2,
            min_area=config.MIN_GRID_KM2,
        )
        return [c for c in cells if c is not None]

    # The shapes as stored: lon/lat, each level a clean coverage of the whole city -------

    @cached_property
    def town_lonlat(self) -> dict[str, BaseGeometry]:
        codes = [t.code for t in self.areas(AreaLevel.TOWN)]
        shapes = [self.lonlat(self.town_shapes(code[:6])[code]) for code in codes]
        return dict(zip(codes, clean_coverage(shapes), strict=True))

    @cached_property
    def village_lonlat(self) -> dict[str, BaseGeometry]:
        codes = [v.code for v in self.areas(AreaLevel.VILLAGE)]
        shapes = [self.lonlat(self.village_shapes(code[:9])[code]) for code in codes]
        return dict(zip(codes, clean_coverage(shapes), strict=True))

    @cached_property
    def grid_lonlat(self) -> dict[str, list[BaseGeometry]]:
        """Territorial grids of every village, cleaned together so that neighbours in
        different villages, towns and counties share exactly the same edges."""
        owners, shapes = [], []
        for village in self.areas(AreaLevel.VILLAGE):
            for cell in self.grid_shapes(village.code):
                owners.append(village.code)
                shapes.append(self.lonlat(cell))
        result: dict[str, list[BaseGeometry]] = {}
        for owner, shape in zip(owners, clean_coverage(shapes), strict=True):
            result.setdefault(owner, []).append(shape)
        return result

    @cached_property
    def sea_lonlat(self) -> BaseGeometry:
        """The coastal county's sea: a box south of the coast minus all the land.

        Computed in lon/lat from the county boundaries exactly as stored, so that the
        sea and the land share their coastline vertex for vertex and do not overlap.
        """
        land = shapely.union_all([from_geojson(to_geojson(b.shape)) for b in self.boundaries])
        water = polygons_of(shapely.difference(shapely.box(*config.SEA_BOX), land))
        coast = next(b.shape for b in self.boundaries if b.code == config.SEA_COUNTY)
        # Only water along this county's coast, not slivers at the box's corners.
        keep = [p for p in water if p.distance(coast) < 1e-6 and approx_area_m2(p) > 1e6]
        return shapely.union_all(keep)

    @cached_property
    def sea_local(self) -> BaseGeometry:
        return snap(self.frame.to_local(self.sea_lonlat))

    # Exclusive grids ------------------------------------------------------------------

    def exclusive_grids(self, town: str) -> list[PlannedExclusive]:
        """The town's exclusive grids (at most one per village on land; none of the
        maritime grids overlap each other)."""
        result = []
        for spec in config.EXCLUSIVE_GRIDS:
            if spec.town != town:
                continue
            if spec.subject == ExclusiveSubject.MARITIME:
                planned = self._maritime.get(spec)
            else:
                code, shape = self._on_land(spec)
                planned = PlannedExclusive(spec, code, self.lonlat(shape)) if shape else None
            if planned is not None:
                result.append(planned)
        return result

    @cached_property
    def _maritime(self) -> dict[config.ExclusiveSpec, PlannedExclusive]:
        """All maritime grids at once, in the configured order, each clear of the others."""
        result, taken = {}, []
        for spec in config.EXCLUSIVE_GRIDS:
            if spec.subject != ExclusiveSubject.MARITIME:
                continue
            code, shape = self._at_sea(spec, taken)
            if shape is not None:
                taken.append(shape)
                result[spec] = PlannedExclusive(spec, code, self.lonlat(shape))
        return result

    def _on_land(self, spec: config.ExclusiveSpec):
        """A square inside a village: parks and the canal hub in the town's largest
        villages, markets, schools and hospitals in its communities (lowest codes)."""
        villages = self.village_shapes(spec.town)
        codes = sorted(villages)
        if spec.subject in (ExclusiveSubject.INDUSTRIAL_PARK, ExclusiveSubject.CANAL_HUB):
            codes.sort(key=lambda c: -villages[c].area)
        code = spec.village or codes[spec.index % len(codes)]
        shape = villages[code]
        inner = shape.buffer(-0.1)
        centre = _centre_of(inner if inner.area > 0 else shape)
        area = min(spec.km2, 0.5 * shape.area)
        return code, square_patch(shape, centre, area, inset=0.02)

    def _at_sea(self, spec: config.ExclusiveSpec, taken: list[BaseGeometry]):
        """A square at sea off the village's nearest coast, 100 m clear of the land and
        500 m clear of the other maritime grids. Without a configured village, the
        ``index``-th village nearest the sea."""
        villages = self.village_shapes(spec.town)
        sea = self.sea_local
        by_coast = sorted(villages, key=lambda c: (round(villages[c].distance(sea), 3), c))
        code = spec.village or by_coast[spec.index % len(by_coast)]
        room = sea.buffer(-0.1)
        if taken:
            room = shapely.difference(room, shapely.union_all(taken).buffer(0.5))
        shape = villages[code]
        coast = nearest_points(shape, sea)[1]
        coast = np.array([coast.x, coast.y])
        dx, dy = coast - np.array(shape.centroid.coords[0])
        heading = np.arctan2(dy, dx) if dx or dy else -np.pi / 2
        side = np.sqrt(spec.km2)
        for step in range(10):
            distance = 0.6 * side + 0.5 + step
            for turn in (0, 30, -30, 60, -60, 90, -90, 120, -120):
                angle = heading + np.radians(turn)
                centre = coast + distance * np.array([np.cos(angle), np.sin(angle)])
                patch = square_patch(room, centre, spec.km2, inset=0)
                if patch is not None and patch.area >= 0.8 * spec.km2:
                    return code, patch
        return code, None

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """A shape of the local plane back in lon/lat (repaired if rounding folded it)."""
        result = self.frame.to_lonlat(geom)
        if not result.is_valid:
            result = polygonal(result)
        return result


def _centre_of(region: BaseGeometry) -> np.ndarray:
    centre = region.centroid
    return inside_point(region, (centre.x, centre.y))
