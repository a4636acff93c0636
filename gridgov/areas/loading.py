"""Loading official divisions (行政区划) and their boundaries into ``Area``.

Input is what statistics bureaus and map services publish:

- a CSV ``code,name,parent_code`` of statistical division codes (统计用区划代码): 6-digit
  city and county codes (``450700``, ``450702``), 9-digit town codes (``450702101``),
  12-digit village codes (``450702101201``); the 12-digit padded form of higher levels
  (``450702000000``) is accepted too;
- a GeoJSON FeatureCollection of boundaries whose features carry ``properties.adcode``
  (DataV GeoAtlas files are in GCJ-02 and are converted to WGS-84 here).

Everything is validated first and written in one transaction, so a file with one bad row
writes nothing. Loading is idempotent: areas are matched by code, and a second run of
the same files reports every area as unchanged.
"""

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.models import Area
from gridgov.core.geo import CRS_CHOICES, from_geojson, to_geojson, to_wgs84, transform_geometry

# The reference data shipped with the product (see data/SOURCE.md).
DATA_DIR = Path(__file__).resolve().parent / "data"

CSV_COLUMNS = ("code", "name", "parent_code")


class LoadError(Exception):
    """The input cannot be loaded; ``errors`` holds one Chinese message per problem."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class DivisionRow:
    """One row of a division list as read, before any checking."""

    code: str
    name: str
    parent_code: str = ""
    where: str = ""  # "文件 第 N 行", for messages
    source: str = ""


@dataclass(frozen=True)
class PlannedArea:
    """A checked row: the area it describes in the model's terms."""

    code: str  # the materialised path: 4507 / 450702 / 450702101 / 450702101201
    name: str
    level: int
    kind: str
    parent_code: str | None
    source: str
    is_generated: bool = False


@dataclass(frozen=True)
class Boundary:
    """One boundary from a GeoJSON file, already in WGS-84 and valid."""

    code: str  # area path code
    shape: BaseGeometry
    where: str = ""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[int, Counter] = field(default_factory=dict)

    def count(self, level: int, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.by_level.setdefault(level, Counter())[outcome] += 1

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return _("新增 %(created)d 个，更新 %(updated)d 个，未变 %(unchanged)d 个") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


# Codes -----------------------------------------------------------------------------


def path_code(raw: str) -> tuple[str, int]:
    """The materialised-path code and level of a statistical code, or ValueError.

    ``450700`` → (``4507``, city), ``450702`` → county, 9 digits → town, 12 → village.
    """
    code = (raw or "").strip()
    if not code.isdigit():
        raise ValueError(_("区划代码“%(code)s”应全部为数字") % {"code": code})
    if len(code) == 12:
        # The padded 12-digit form of a higher level: 450702000000, 450702101000.
        if code.endswith("000000"):
            code = code[:6]
        elif code.endswith("000"):
            code = code[:9]
    if len(code) == 6:
        if code.endswith("0000"):
            raise ValueError(_("%(code)s 是省级代码，本系统从地级市开始管理") % {"code": code})
        if code.endswith("00"):
            return code[:4], AreaLevel.CITY
        return code, AreaLevel.COUNTY
    if len(code) == 9:
        return code, AreaLevel.TOWN
    if len(code) == 12:
        return code, AreaLevel.VILLAGE
    raise ValueError(
        _(
            "区划代码 %(code)s 为 %(n)d 位，应为 6 位（市、县）、9 位（镇、街道）或 12 位（村、社区）"
        )
        % {"code": code, "n": len(code)}
    )


def county_kind(name: str) -> str:
    """市辖区, 县 or 县级市 from the name's last character (自治县 ends in 县 too)."""
    if name.endswith("区"):
        return AreaKind.DISTRICT
    if name.endswith("县"):
        return AreaKind.COUNTY
    if name.endswith("市"):
        return AreaKind.COUNTY_CITY
    raise ValueError(
        _("无法从名称“%(name)s”判断县级区划类别（应以区、县或市结尾）") % {"name": name}
    )


def town_kind(code: str) -> str:
    """From digits 7–9: 001–099 街道, 100–199 镇, 200–399 乡, 400–599 类似乡级单位."""
    n = int(code[6:9])
    if 1 <= n <= 99:
        return AreaKind.SUBDISTRICT
    if 100 <= n <= 199:
        return AreaKind.TOWN
    if 200 <= n <= 399:
        return AreaKind.TOWNSHIP
    if 400 <= n <= 599:
        return AreaKind.TOWN_LIKE
    raise ValueError(_("镇级代码 %(code)s 的第 7–9 位应在 001–599 之间") % {"code": code})


def village_kind(code: str) -> str:
    """From digits 10–12: 001–199 居民委员会, 200–399 村民委员会, 400 and above 类似村级单位."""
    n = int(code[9:12])
    if 1 <= n <= 199:
        return AreaKind.COMMUNITY
    if 200 <= n <= 399:
        return AreaKind.VILLAGE
    if n >= 400:
        return AreaKind.VILLAGE_LIKE
    raise ValueError(_("村级代码 %(code)s 的第 10–12 位不能为 000") % {"code": code})


def kind_of(code: str, level: int, name: str) -> str:
    if level == AreaLevel.CITY:
        return AreaKind.CITY
    if level == AreaLevel.COUNTY:
        return county_kind(name)
    if level == AreaLevel.TOWN:
        return town_kind(code)
    return village_kind(code)


# Reading files ---------------------------------------------------------------------


def read_divisions(path: Path, *, source: str = "") -> list[DivisionRow]:
    """Rows of a ``code,name,parent_code`` CSV (UTF-8, with or without BOM)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(
            [_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": exc}]
        ) from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise LoadError(
            [
                _("%(path)s 缺少列：%(columns)s（应为 code,name,parent_code）")
                % {"path": path.name, "columns": ", ".join(missing)}
            ]
        )
    rows = []
    for line, record in enumerate(reader, start=2):
        if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
            continue  # blank line
        rows.append(
            DivisionRow(
                code=(record["code"] or "").strip(),
                name=(record["name"] or "").strip(),
                parent_code=(record["parent_code"] or "").strip(),
                where=_("%(file)s 第 %(line)d 行") % {"file": path.name, "line": line},
                source=source or path.name,
            )
        )
    return rows


def read_boundaries(path: Path, *, crs: str = "gcj02") -> list[Boundary]:
    """Boundaries of a GeoJSON FeatureCollection keyed by ``properties.adcode``."""
    path = Path(path)
    if crs not in CRS_CHOICES:
        raise LoadError([_("未知的坐标系 %(crs)s，应为 wgs84 或 gcj02") % {"crs": crs}])
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise LoadError(
            [_("无法读取 GeoJSON 文件 %(path)s：%(error)s") % {"path": path, "error": exc}]
        ) from exc
    features = data.get("features") if isinstance(data, dict) else None
    if features is None and isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    if not isinstance(features, list):
        raise LoadError([_("%(path)s 不是 GeoJSON FeatureCollection") % {"path": path.name}])
    boundaries, errors = [], []
    for index, feature in enumerate(features, start=1):
        where = _("%(file)s 第 %(n)d 个要素") % {"file": path.name, "n": index}
        try:
            boundaries.append(_read_feature(feature, crs, where))
        except ValueError as exc:
            errors.append(f"{where}：{exc}")
    if errors:
        raise LoadError(errors)
    return boundaries


def _read_feature(feature, crs: str, where: str) -> Boundary:
    properties = (feature or {}).get("properties") or {}
    adcode = properties.get("adcode")
    if adcode in (None, ""):
        raise ValueError(_("缺少 properties.adcode（区划代码）"))
    code, _level = path_code(str(adcode))
    try:
        geom = from_geojson(feature.get("geometry") or {})
    except Exception as exc:  # shapely raises several kinds for malformed GeoJSON
        raise ValueError(_("边界不是有效的 GeoJSON：%(error)s") % {"error": exc}) from exc
    if crs != "wgs84":
        geom = transform_geometry(geom, lambda lon, lat: to_wgs84(lon, lat, crs))
    geom = polygonal(geom)
    if geom is None:
        raise ValueError(_("边界不是面（Polygon 或 MultiPolygon）或面积为零"))
    return Boundary(code=code, shape=geom, where=where)


def polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """``geom`` made valid, keeping only its areas (make_valid may leave stray lines)."""
    if geom.is_empty:
        return None
    if geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom if geom.area > 0 else None
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [p for p in parts if p.area > 0]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return shapely.union_all(parts)


# Checking --------------------------------------------------------------------------


def plan_divisions(
    rows: list[DivisionRow], *, is_generated: bool = False
) -> tuple[list[PlannedArea], list[str]]:
    """Check every row; return the areas to write (parents first) and the errors."""
    errors: list[str] = []
    planned: dict[str, PlannedArea] = {}
    pending: list[tuple[DivisionRow, str, int, str | None]] = []
    for row in rows:
        label = f"{row.where}（{row.code or '—'} {row.name}）"
        try:
            code, level = path_code(row.code)
            if not row.name:
                raise ValueError(_("缺少名称"))
            if len(row.name) > 100:
                raise ValueError(_("名称超过 100 字"))
            kind = kind_of(code, level, row.name)
            parent = _parent_of(code, level, row.parent_code)
        except ValueError as exc:
            errors.append(f"{label}：{exc}")
            continue
        if code in planned:
            errors.append(_("%(label)s：区划代码重复") % {"label": label})
            continue
        planned[code] = PlannedArea(code, row.name, level, kind, parent, row.source, is_generated)
        pending.append((row, code, level, parent))

    # Every parent must be in this load or already in the database.
    wanted = {parent for _r, _c, _l, parent in pending if parent and parent not in planned}
    existing = dict(
        Area.objects.filter(code__in=wanted).values_list("code", "level") if wanted else []
    )
    for row, _code, level, parent in pending:
        if parent is None:
            continue
        parent_level = planned[parent].level if parent in planned else existing.get(parent)
        if parent_level is None:
            errors.append(
                _(
                    "%(where)s（%(code)s %(name)s）：上级区划 %(parent)s 不存在（文件中没有，数据库中也没有）"
                )
                % {"where": row.where, "code": row.code, "name": row.name, "parent": parent}
            )
        elif parent_level != level - 1:
            errors.append(
                _("%(where)s（%(code)s %(name)s）：上级区划 %(parent)s 的层级不对")
                % {"where": row.where, "code": row.code, "name": row.name, "parent": parent}
            )
    ordered = sorted(planned.values(), key=lambda a: (a.level, a.code))
    return ordered, errors


def _parent_of(code: str, level: int, raw_parent: str) -> str | None:
    """The parent's path code; checks that the code begins with it."""
    if level == AreaLevel.CITY:
        # A city's parent is its province, which the system does not hold; only check
        # that the province code (if given) agrees with the city's first two digits.
        if raw_parent and not (raw_parent.isdigit() and raw_parent[:2] == code[:2]):
            raise ValueError(
                _("上级代码 %(parent)s 与市级代码 %(code)s 不符")
                % {"parent": raw_parent, "code": code}
            )
        return None
    if not raw_parent:
        raise ValueError(_("缺少上级代码（parent_code）"))
    parent, parent_level = path_code(raw_parent)
    if parent_level != level - 1:
        raise ValueError(
            _("上级代码 %(parent)s 不是上一级区划的代码") % {"parent": raw_parent.strip()}
        )
    if not code.startswith(parent):
        raise ValueError(_("区划代码不以上级代码 %(parent)s 开头") % {"parent": raw_parent.strip()})
    return parent


def check_boundaries(boundaries: list[Boundary], known: set[str]) -> list[str]:
    """Each boundary must belong to an area being loaded or already in the database."""
    errors = []
    seen: set[str] = set()
    wanted = {b.code for b in boundaries} - known
    in_db = set(Area.objects.filter(code__in=wanted).values_list("code", flat=True))
    for b in boundaries:
        if b.code in seen:
            errors.append(
                _("%(where)s：区划 %(code)s 的边界重复") % {"where": b.where, "code": b.code}
            )
        seen.add(b.code)
        if b.code not in known and b.code not in in_db:
            errors.append(
                _("%(where)s：区划 %(code)s 不存在，请先加载区划代码")
                % {"where": b.where, "code": b.code}
            )
    return errors


# Writing ---------------------------------------------------------------------------


def load_divisions(
    rows: list[DivisionRow],
    boundaries: list[Boundary] = (),
    *,
    is_generated: bool = False,
    dry_run: bool = False,
) -> LoadReport:
    """Validate everything, then write it in one transaction (nothing on any error).

    Raises LoadError with one message per problem.
    """
    planned, errors = plan_divisions(rows, is_generated=is_generated)
    errors += check_boundaries(list(boundaries), {a.code for a in planned})
    if errors:
        raise LoadError(errors)
    with transaction.atomic():
        report = _write(planned, list(boundaries))
        if dry_run:
            transaction.set_rollback(True)
    return report


def _write(planned: list[PlannedArea], boundaries: list[Boundary]) -> LoadReport:
    report = LoadReport()
    shapes = {b.code: b.shape for b in boundaries}
    explicit = set(shapes)
    codes = {a.code for a in planned} | explicit | {a.parent_code for a in planned if a.parent_code}
    existing = {a.code: a for a in Area.objects.filter(code__in=codes)}
    reshaped: set[str] = set()
    for plan in planned:  # parents first, so their ids are known
        area = existing.get(plan.code)
        values = {
            "name": plan.name,
            "level": plan.level,
            "kind": plan.kind,
            "parent": existing[plan.parent_code] if plan.parent_code else None,
            "source": plan.source,
            "is_generated": plan.is_generated,
        }
        if area is None:
            area = Area(code=plan.code, **values)
            outcome = "created"
        else:
            changed = [k for k, v in values.items() if getattr(area, k) != v]
            for key in changed:
                setattr(area, key, values[key])
            outcome = "updated" if changed else "unchanged"
        if plan.code in shapes and _set_shape(area, shapes.pop(plan.code)):
            reshaped.add(plan.code)
            if outcome == "unchanged":
                outcome = "updated"
        if outcome != "unchanged":
            area.save()
        existing[plan.code] = area
        report.count(plan.level, outcome)
    # Boundaries of areas that were loaded earlier.
    for code, shape in shapes.items():
        area = existing[code]
        if _set_shape(area, shape):
            reshaped.add(code)
            area.save()
            report.count(area.level, "updated")
        else:
            report.count(area.level, "unchanged")
    cities = {a.code[:4] for a in planned} | {c[:4] for c in explicit}
    _derive_city_boundaries(cities - explicit, reshaped, report)
    return report


def _set_shape(area: Area, shape: BaseGeometry) -> bool:
    """Store ``shape`` on ``area`` unless it already has exactly this boundary."""
    if area.geometry == to_geojson(shape):
        return False
    area.set_geometry(shape)
    return True


def _derive_city_boundaries(city_codes: set[str], reshaped: set[str], report: LoadReport) -> None:
    """A city whose file gave no boundary of its own gets the union of its counties'
    boundaries (so the map can draw its outline): when it has none yet, or when a
    county's boundary has just changed. A boundary loaded for the city itself is kept."""
    for city in Area.objects.filter(code__in=city_codes, level=AreaLevel.CITY):
        counties = list(city.children.filter(level=AreaLevel.COUNTY))
        if not counties or any(c.geometry is None for c in counties):
            continue
        if city.geometry is not None and not any(c.code in reshaped for c in counties):
            continue
        union = polygonal(shapely.union_all([c.shape for c in counties]))
        if union is not None and _set_shape(city, union):
            city.save()
            report.by_level.setdefault(city.level, Counter())["boundary_derived"] += 1


def load_sea_areas(boundaries: list[Boundary], *, dry_run: bool = False) -> dict[str, str]:
    """Store the sea areas (管辖海域) of coastal areas: code → created/updated/unchanged.

    Maritime grids must lie within their county's sea area, and locate answers "at sea"
    there. Raises LoadError if a code is unknown or a sea area covers land.
    """
    from gridgov.areas.actions import bump_territory_revision
    from gridgov.core.geo import approx_area_m2

    areas = {a.code: a for a in Area.objects.filter(code__in=[b.code for b in boundaries])}
    errors = [
        _("海域边界 %(code)s：没有此区划，请先加载区划代码") % {"code": b.code}
        for b in boundaries
        if b.code not in areas
    ]
    land = [a.shape for a in Area.objects.filter(level=AreaLevel.COUNTY, geometry__isnull=False)]
    for boundary in boundaries:
        on_land = sum(approx_area_m2(boundary.shape.intersection(piece)) for piece in land)
        if on_land > 10_000:
            errors.append(
                _("海域边界 %(code)s 覆盖陆地约 %(km2).2f 平方公里，请核对")
                % {"code": boundary.code, "km2": on_land / 1e6}
            )
    if errors:
        raise LoadError(errors)
    outcome: dict[str, str] = {}
    with transaction.atomic():
        for boundary in boundaries:
            area = areas[boundary.code]
            stored = to_geojson(boundary.shape)
            if area.sea_geometry == stored:
                outcome[area.code] = "unchanged"
                continue
            outcome[area.code] = "updated" if area.sea_geometry else "created"
            area.sea_geometry = stored
            area.save(update_fields=["sea_geometry"])
        if any(v != "unchanged" for v in outcome.values()):
            bump_territory_revision()
        if dry_run:
            transaction.set_rollback(True)
    return outcome
