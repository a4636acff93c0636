"""Every change to the grid map goes through these actions (第六条).

A town proposes (``do_propose_adjustment``), the county agency approves
(``do_approve_adjustment``) or rejects; approval retires the old grids, creates the new
ones with new codes and files the change with the city agency. The web UI, the API, the
GeoJSON import and the demo loader all call these, so they all validate the same way.
"""

from dataclasses import dataclass, field
from datetime import date

import shapely
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.choices import (
    AdjustmentKind,
    AdjustmentStatus,
    AdjustmentTrigger,
    AreaLevel,
    ExclusiveSubject,
    GridEventKind,
    GridKind,
    GridStatus,
    MaritimeKind,
)
from gridgov.areas.geometry import (
    GeometryError,
    boundary_tolerance,
    check_within_county,
    overlap_m2,
    overlap_tolerance,
    parse_polygon,
)
from gridgov.areas.models import (
    Area,
    Grid,
    GridAdjustment,
    GridAdjustmentItem,
    GridEvent,
    TerritoryRevision,
)
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.core.exceptions import Conflict, IllegalTransition, NotPermitted
from gridgov.core.geo import geodesic_area_m2
from gridgov.core.numbers import next_number
from gridgov.core.querysets import recheck_scope


@dataclass
class ProposedGrid:
    """What a proposal says about one new grid (or the new shape of a redrawn one)."""

    village_code: str
    kind: str
    geometry: dict
    name: str = ""
    subject: str = ""
    maritime_kind: str = ""
    department_id: int | None = None
    redraw_of: str | None = None  # code of the grid whose boundary this redraws


@dataclass
class _Checked:
    item: ProposedGrid
    village: Area
    shape: object
    redraw_of: Grid | None = None
    errors: list[str] = field(default_factory=list)


def _item_label(index: int, item: ProposedGrid) -> str:
    label = _("第 %(n)d 个网格") % {"n": index + 1}
    if item.name:
        label += f"（{item.name}）"
    return label


def validate_adjustment(
    *,
    town: Area,
    kind: str,
    trigger: str,
    reason: str,
    old_grids: list[Grid],
    items: list[ProposedGrid],
    check_overlaps: bool = True,
) -> list[_Checked]:
    """Check a proposal against the map as it is now; raise ValidationError with field errors.

    Returns the checked items (village, parsed shape) for the caller to use.
    """
    errors: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    if town.level != AreaLevel.TOWN:
        add("town", _("网格调整须由镇（街道）提出"))
    if kind not in AdjustmentKind.values:
        add("kind", _("未知的调整类型"))
    if trigger not in AdjustmentTrigger.values:
        add("trigger", _("请选择调整情形（第六条所列三种情形之一）"))
    if not (reason or "").strip():
        if trigger == AdjustmentTrigger.OTHER:
            add("reason", _("“其他需要调整的情形”须说明具体理由"))
        else:
            add("reason", _("请填写调整理由"))

    # The shape of each kind of change.
    n_old, n_new = len(old_grids), len(items)
    shape_rules = {
        AdjustmentKind.CREATE: (
            n_old == 0 and n_new >= 1,
            _("新设网格不涉及原网格，且至少新设一个网格"),
        ),
        AdjustmentKind.SPLIT: (
            n_old == 1 and n_new >= 2,
            _("拆分须选择一个原网格，并划出至少两个新网格"),
        ),
        AdjustmentKind.MERGE: (
            n_old >= 2 and n_new == 1,
            _("合并须选择至少两个原网格，合并为一个新网格"),
        ),
        AdjustmentKind.REDRAW: (
            n_old >= 1 and n_new == n_old,
            _("边界调整须为每个原网格给出一个新边界"),
        ),
        AdjustmentKind.RETIRE: (
            n_old >= 1 and n_new == 0,
            _("撤销须选择至少一个原网格，且不新设网格"),
        ),
    }
    if kind in shape_rules and not shape_rules[kind][0]:
        add("items", shape_rules[kind][1])

    old_ids = {g.pk for g in old_grids}
    for grid in old_grids:
        if grid.status != GridStatus.ACTIVE:
            add("old_grids", _("网格 %(code)s 已撤销，不能再调整") % {"code": grid.code})
        if not grid.code.startswith(town.code):
            add(
                "old_grids",
                _("网格 %(code)s 不属于%(town)s，镇（街道）只能调整本辖区网格")
                % {"code": grid.code, "town": town.name},
            )
    if kind == AdjustmentKind.MERGE and len({g.village_id for g in old_grids}) > 1:
        add("old_grids", _("合并的网格须属于同一村（社区）"))

    villages = {
        a.code: a
        for a in Area.objects.filter(
            code__in={i.village_code for i in items}, level=AreaLevel.VILLAGE
        )
    }
    counties = {
        a.code: a for a in Area.objects.filter(code__in={i.village_code[:6] for i in items})
    }
    old_by_code = {g.code: g for g in old_grids}
    checked: list[_Checked] = []
    for index, item in enumerate(items):
        label = _item_label(index, item)
        village = villages.get(item.village_code)
        if village is None:
            add(
                "items",
                _("%(item)s：村（社区）代码 %(code)s 不存在")
                % {"item": label, "code": item.village_code},
            )
            continue
        if not village.code.startswith(town.code):
            add(
                "items",
                _("%(item)s：%(village)s不属于%(town)s")
                % {"item": label, "village": village.name, "town": town.name},
            )
        try:
            shape = parse_polygon(item.geometry)
        except GeometryError as exc:
            add("items", f"{label}：{exc}")
            continue
        entry = _Checked(item=item, village=village, shape=shape)
        if item.kind not in GridKind.values:
            add("items", _("%(item)s：请选择网格类别") % {"item": label})
        if item.kind == GridKind.EXCLUSIVE:
            if item.subject not in ExclusiveSubject.values:
                add("items", _("%(item)s：专属网格须注明类型") % {"item": label})
            if not item.department_id:
                add(
                    "items", _("%(item)s：专属网格须明确业务主管部门（双重管理）") % {"item": label}
                )
            if (
                item.subject == ExclusiveSubject.MARITIME
                and item.maritime_kind not in MaritimeKind.values
            ):
                add(
                    "items",
                    _(
                        "%(item)s：海上专属网格须注明单元类型（船只编组、水产养殖海域或海上生产作业区域）"
                    )
                    % {"item": label},
                )
        elif item.subject or item.maritime_kind:
            add("items", _("%(item)s：只有专属网格才注明专属类型") % {"item": label})
        if item.subject != ExclusiveSubject.MARITIME and item.maritime_kind:
            add("items", _("%(item)s：只有海上专属网格才有海上单元类型") % {"item": label})
        if kind == AdjustmentKind.REDRAW:
            target = old_by_code.get(item.redraw_of or "")
            if target is None:
                add("items", _("%(item)s：须指明调整哪个原网格的边界") % {"item": label})
            else:
                entry.redraw_of = target
                if target.village.code != village.code:
                    add("items", _("%(item)s：边界调整不改变网格所属村（社区）") % {"item": label})
        elif item.redraw_of:
            add("items", _("%(item)s：只有边界调整才指明原网格") % {"item": label})

        county = counties.get(village.code[:6])
        maritime = item.subject == ExclusiveSubject.MARITIME
        if county is not None and not maritime:
            outside = check_within_county(shape, county.shape)
            if outside > boundary_tolerance():
                add(
                    "items",
                    _("%(item)s：超出%(county)s边界约 %(m2)s 平方米")
                    % {"item": label, "county": county.name, "m2": f"{outside:,.0f}"},
                )
        if county is not None and maritime:
            _check_at_sea(add, label, shape, county)
        checked.append(entry)

    if kind == AdjustmentKind.REDRAW:
        targets = [c.redraw_of.pk for c in checked if c.redraw_of]
        if len(targets) != len(set(targets)):
            add("items", _("同一原网格只能给出一个新边界"))

    if check_overlaps and not errors:
        _check_overlaps(add, checked, replaced_ids=old_ids)

    if errors:
        raise ValidationError(errors)
    return checked


def _check_at_sea(add, label: str, shape, county: Area) -> None:
    land = [
        a.shape
        for a in Area.objects.filter(level=AreaLevel.COUNTY, geometry__isnull=False).exclude(
            min_lon__gt=shape.bounds[2]
        )
        if a.shape is not None
    ]
    on_land = sum(overlap_m2(shape, piece) for piece in land)
    if on_land > boundary_tolerance():
        add(
            "items",
            _("%(item)s：海上网格须位于海上，现覆盖陆地约 %(m2)s 平方米")
            % {"item": label, "m2": f"{on_land:,.0f}"},
        )
    if county.sea_shape is None:
        add(
            "items",
            _("%(item)s：%(county)s没有登记管辖海域，不能设立海上网格")
            % {"item": label, "county": county.name},
        )
        return
    outside = check_within_county(shape, county.sea_shape)
    if outside > boundary_tolerance():
        add(
            "items",
            _("%(item)s：超出%(county)s管辖海域约 %(m2)s 平方米")
            % {"item": label, "county": county.name, "m2": f"{outside:,.0f}"},
        )


def _check_overlaps(add, checked: list[_Checked], *, replaced_ids: set[int]) -> None:
    """Territorial grids may touch but not overlap: not each other, not the existing map."""
    territorial = [c for c in checked if c.item.kind in (GridKind.URBAN, GridKind.RURAL)]
    if not territorial:
        return
    tolerance = overlap_tolerance()
    # Among the new grids themselves.
    shapes = [c.shape for c in territorial]
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            m2 = overlap_m2(shapes[i], shapes[j])
            if m2 > tolerance:
                add(
                    "items",
                    _("新设网格“%(a)s”与“%(b)s”重叠约 %(m2)s 平方米")
                    % {
                        "a": territorial[i].item.name or i + 1,
                        "b": territorial[j].item.name or j + 1,
                        "m2": f"{m2:,.0f}",
                    },
                )
    # Against the grids already on the map (pre-filtered by bounding box in SQL).
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(shapes).tolist()
    existing = list(
        Grid.objects.filter(
            status=GridStatus.ACTIVE,
            kind__in=(GridKind.URBAN, GridKind.RURAL),
            min_lon__lte=max_lon,
            max_lon__gte=min_lon,
            min_lat__lte=max_lat,
            max_lat__gte=min_lat,
        )
        .exclude(pk__in=replaced_ids)
        .only("code", "name", "geometry")
    )
    if not existing:
        return
    existing_shapes = [g.shape for g in existing]
    tree = shapely.STRtree(existing_shapes)
    new_idx, old_idx = tree.query(shapes, predicate="intersects")
    for i, j in zip(new_idx.tolist(), old_idx.tolist(), strict=True):
        m2 = overlap_m2(shapes[i], existing_shapes[j])
        if m2 > tolerance:
            grid = existing[j]
            add(
                "items",
                _("%(item)s：与网格 %(code)s（%(name)s）重叠约 %(m2)s 平方米")
                % {
                    "item": _item_label(checked.index(territorial[i]), territorial[i].item),
                    "code": grid.code,
                    "name": grid.name,
                    "m2": f"{m2:,.0f}",
                },
            )


def _require(user, action: str, obj) -> None:
    from gridgov.accounts.scope import can

    if user is not None and not can(user, action, obj):
        raise NotPermitted(_("您没有权限进行此操作"))


@transaction.atomic
def do_propose_adjustment(
    *,
    town: Area,
    kind: str,
    trigger: str,
    reason: str,
    old_grid_codes: list[str],
    items: list[ProposedGrid],
    actor,
    source: str = "web",
) -> GridAdjustment:
    """A town proposes a change to its grids; nothing on the map changes until approval."""
    _require(actor, "propose", town)
    old_grids = list(Grid.objects.filter(code__in=old_grid_codes).select_related("village"))
    missing = set(old_grid_codes) - {g.code for g in old_grids}
    if missing:
        raise ValidationError(
            {"old_grids": [_("网格 %(code)s 不存在") % {"code": code} for code in sorted(missing)]}
        )
    validate_adjustment(
        town=town, kind=kind, trigger=trigger, reason=reason, old_grids=old_grids, items=items
    )
    now = timezone.now()
    adjustment = GridAdjustment.objects.create(
        number=next_number(GridAdjustment, f"TZ{town.code}{timezone.localdate(now):%Y}"),
        town=town,
        kind=kind,
        trigger=trigger,
        reason=reason.strip(),
        proposed_by=actor,
        proposed_at=now,
        source=source,
    )
    adjustment.old_grids.set(old_grids)
    villages = {a.code: a for a in Area.objects.filter(code__in={i.village_code for i in items})}
    old_by_code = {g.code: g for g in old_grids}
    GridAdjustmentItem.objects.bulk_create(
        [
            GridAdjustmentItem(
                adjustment=adjustment,
                village=villages[item.village_code],
                name=item.name,
                kind=item.kind,
                subject=item.subject,
                maritime_kind=item.maritime_kind,
                department_id=item.department_id,
                geometry=item.geometry,
                redraw_of=old_by_code.get(item.redraw_of or ""),
            )
            for item in items
        ]
    )
    recheck_scope(adjustment, actor)
    audit.record(
        AuditKind.DATA_CREATED,
        actor=actor,
        target=adjustment,
        after={
            "town": town.code,
            "kind": kind,
            "trigger": trigger,
            "old_grids": sorted(g.code for g in old_grids),
            "new_grids": len(items),
            "source": source,
        },
    )
    return adjustment


def _lock(adjustment: GridAdjustment) -> GridAdjustment:
    locked = GridAdjustment.objects.select_for_update().get(pk=adjustment.pk)
    if locked.status != AdjustmentStatus.PROPOSED:
        raise IllegalTransition(
            _("该调整已%(status)s，不能再审批") % {"status": locked.get_status_display()}
        )
    return locked


def proposed_items(adjustment: GridAdjustment) -> list[ProposedGrid]:
    return [
        ProposedGrid(
            village_code=item.village.code,
            kind=item.kind,
            geometry=item.geometry,
            name=item.name,
            subject=item.subject,
            maritime_kind=item.maritime_kind,
            department_id=item.department_id,
            redraw_of=item.redraw_of.code if item.redraw_of else None,
        )
        for item in adjustment.items.select_related("village", "redraw_of")
    ]


def order_west_east_north_south(shapes) -> list[int]:
    """Indices of ``shapes`` in reading order: rows from north to south, west to east in a row.

    Two shapes are in one row when their centroids are less than half a typical shape
    height apart in latitude.
    """
    if not shapes:
        return []
    centroids = [s.centroid for s in shapes]
    heights = sorted(s.bounds[3] - s.bounds[1] for s in shapes)
    band = max(heights[len(heights) // 2] / 2, 1e-9)
    by_lat = sorted(range(len(shapes)), key=lambda i: (-centroids[i].y, centroids[i].x))
    rows: list[list[int]] = []
    row_top = None
    for i in by_lat:
        if row_top is None or row_top - centroids[i].y > band:
            rows.append([])
            row_top = centroids[i].y
        rows[-1].append(i)
    return [i for row in rows for i in sorted(row, key=lambda i: centroids[i].x)]


@transaction.atomic
def do_approve_adjustment(
    adjustment: GridAdjustment, *, actor, note: str = "", effective_date: date | None = None
) -> list[Grid]:
    """The county agency approves: the map changes and the change is filed with the city."""
    _require(actor, "approve", adjustment)
    adjustment = _lock(adjustment)
    if actor is not None and adjustment.proposed_by_id == getattr(actor, "pk", None):
        raise NotPermitted(_("提出人不能审批自己的网格调整"))
    old_grids = list(adjustment.old_grids.select_related("village").order_by("code"))
    items = proposed_items(adjustment)
    checked = validate_adjustment(
        town=adjustment.town,
        kind=adjustment.kind,
        trigger=adjustment.trigger,
        reason=adjustment.reason,
        old_grids=old_grids,
        items=items,
    )
    now = timezone.now()
    effective = effective_date or timezone.localdate(now)
    redrawn_ids = {c.redraw_of.pk for c in checked if c.redraw_of}

    for grid in old_grids:
        if grid.pk in redrawn_ids:
            continue
        updated = Grid.objects.filter(pk=grid.pk, status=GridStatus.ACTIVE).update(
            status=GridStatus.RETIRED,
            valid_to=effective,
            retired_by_adjustment=adjustment,
            updated_at=now,
        )
        if updated != 1:
            raise Conflict(_("网格 %(code)s 刚被修改，请刷新后重试") % {"code": grid.code})
        GridEvent.objects.create(
            grid=grid,
            kind=GridEventKind.RETIRED,
            at=now,
            effective_date=effective,
            adjustment=adjustment,
            actor=actor,
            note=adjustment.reason,
            geometry_before=grid.geometry,
        )

    created: list[Grid] = []
    db_items = list(adjustment.items.order_by("id"))
    for entry, db_item in zip(checked, db_items, strict=True):
        if entry.redraw_of is not None:
            grid = entry.redraw_of
            before = grid.geometry
            _apply_shape(grid, entry.shape)
            grid.save()
            GridEvent.objects.create(
                grid=grid,
                kind=GridEventKind.REDRAWN,
                at=now,
                effective_date=effective,
                adjustment=adjustment,
                actor=actor,
                note=adjustment.reason,
                geometry_before=before,
                geometry_after=grid.geometry,
            )
            db_item.result = grid
            db_item.save(update_fields=["result"])

    new_entries = [(c, d) for c, d in zip(checked, db_items, strict=True) if c.redraw_of is None]
    by_village: dict[int, list[int]] = {}
    for index, (entry, _db_item) in enumerate(new_entries):
        by_village.setdefault(entry.village.pk, []).append(index)
    for village_id, indices in sorted(by_village.items()):
        village = new_entries[indices[0]][0].village
        # Codes are never reused: continue after the highest sequence ever given here.
        last = Grid.objects.filter(village_id=village_id).aggregate(m=Max("seq"))["m"] or 0
        order = order_west_east_north_south([new_entries[i][0].shape for i in indices])
        for offset, position in enumerate(order, start=1):
            entry, db_item = new_entries[indices[position]]
            seq = last + offset
            if seq > 999:
                raise ValidationError(
                    {
                        "items": [
                            _("%(village)s的网格序号已用尽（最多999个）")
                            % {"village": village.name}
                        ]
                    }
                )
            grid = Grid(
                code=f"{village.code}{seq:03d}",
                seq=seq,
                village=village,
                name=entry.item.name
                or _("%(village)s第%(seq)d网格") % {"village": _short(village.name), "seq": seq},
                kind=entry.item.kind,
                subject=entry.item.subject,
                maritime_kind=entry.item.maritime_kind,
                department_id=entry.item.department_id,
                status=GridStatus.ACTIVE,
                valid_from=effective,
                created_by_adjustment=adjustment,
            )
            _apply_shape(grid, entry.shape)
            try:
                with transaction.atomic():
                    grid.save()
            except IntegrityError as exc:
                raise Conflict(
                    _("网格编码 %(code)s 已被占用，请重试") % {"code": grid.code}
                ) from exc
            GridEvent.objects.create(
                grid=grid,
                kind=GridEventKind.CREATED,
                at=now,
                effective_date=effective,
                adjustment=adjustment,
                actor=actor,
                note=adjustment.reason,
                geometry_after=grid.geometry,
            )
            db_item.result = grid
            db_item.save(update_fields=["result"])
            created.append(grid)

    adjustment.status = AdjustmentStatus.APPROVED
    adjustment.decided_by = actor
    adjustment.decided_at = now
    adjustment.decision_note = note
    adjustment.effective_date = effective
    adjustment.filed_at = now
    adjustment.save()
    recheck_scope(adjustment, actor)
    for grid in created:
        recheck_scope(grid, actor)
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=adjustment,
        before={"status": AdjustmentStatus.PROPOSED},
        after={
            "status": AdjustmentStatus.APPROVED,
            "effective_date": effective.isoformat(),
            "created": [g.code for g in created],
            "retired": sorted(g.code for g in old_grids if g.pk not in redrawn_ids),
            "redrawn": sorted(c.redraw_of.code for c in checked if c.redraw_of),
        },
    )
    bump_territory_revision()
    return created


def _short(village_name: str) -> str:
    """长田社区居民委员会 → 长田社区; 那丽村民委员会 → 那丽村 (for default grid names)."""
    suffixes = (("居民委员会", "社区"), ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村"))
    for suffix, plain in suffixes:
        if village_name.endswith(suffix):
            stem = village_name[: -len(suffix)]
            return stem if stem.endswith(plain) else stem + plain
    return village_name


def _apply_shape(grid: Grid, shape) -> None:
    grid.set_geometry(shape)
    grid.area_m2 = round(geodesic_area_m2(shape), 1)
    point = shape.representative_point() if not shape.centroid.within(shape) else shape.centroid
    grid.centroid_lon = round(point.x, 7)
    grid.centroid_lat = round(point.y, 7)


@transaction.atomic
def do_reject_adjustment(adjustment: GridAdjustment, *, actor, note: str) -> GridAdjustment:
    _require(actor, "approve", adjustment)
    if not (note or "").strip():
        raise ValidationError({"note": [_("驳回须说明理由")]})
    adjustment = _lock(adjustment)
    adjustment.status = AdjustmentStatus.REJECTED
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.decision_note = note.strip()
    adjustment.save()
    _record_decision(adjustment, actor)
    return adjustment


@transaction.atomic
def do_withdraw_adjustment(adjustment: GridAdjustment, *, actor) -> GridAdjustment:
    _require(actor, "propose", adjustment.town)
    adjustment = _lock(adjustment)
    adjustment.status = AdjustmentStatus.WITHDRAWN
    adjustment.decided_by = actor
    adjustment.decided_at = timezone.now()
    adjustment.save()
    _record_decision(adjustment, actor)
    return adjustment


def _record_decision(adjustment: GridAdjustment, actor) -> None:
    audit.record(
        AuditKind.DATA_CHANGED,
        actor=actor,
        target=adjustment,
        before={"status": AdjustmentStatus.PROPOSED},
        after={"status": adjustment.status, "note": adjustment.decision_note},
    )


def bump_territory_revision() -> None:
    """Tell every process's locate index that the map changed (after this commits)."""
    updated = TerritoryRevision.objects.filter(pk=1).update(number=F("number") + 1)
    if not updated:
        TerritoryRevision.objects.get_or_create(pk=1, defaults={"number": 1})
    from gridgov.areas import locate

    transaction.on_commit(locate.invalidate)
