"""A town's grid proposal as a GeoJSON file: one Feature per new grid.

Each feature's ``properties`` carry ``village_code`` (12 digits), ``kind``
(urban/rural/exclusive or 城市社区网格/农村网格/专属网格) and optionally ``name``,
``subject``, ``maritime_kind``, ``department`` (id or exact name) and ``redraw_of``
(the code of the grid whose boundary a redraw replaces).
"""

import contextlib
import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gridgov.areas.actions import ProposedGrid
from gridgov.areas.choices import ExclusiveSubject, GridKind, MaritimeKind
from gridgov.core.geo import (
    CRS_CHOICES,
    from_geojson,
    gcj02_to_wgs84,
    to_geojson,
    transform_geometry,
)

MAX_FEATURES = 999


def _choice(value, choices) -> str:
    """Accept the stored value or its Chinese label."""
    if value in (None, ""):
        return ""
    text = str(value).strip()
    for stored, label in choices.choices:
        if text in (stored, str(label)):
            return stored
    return text  # left for validation to refuse with its own message


def _department_id(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    from gridgov.orgs.models import Department

    found = Department.objects.filter(name=str(value).strip()).values_list("pk", flat=True).first()
    if found is None:
        raise ValidationError(_("业务主管部门“%(name)s”不存在") % {"name": value})
    return found


def proposed_grids_from_geojson(data, crs: str = "wgs84") -> list[ProposedGrid]:
    """Parse a FeatureCollection (dict, str or bytes); errors name the feature."""
    if crs not in CRS_CHOICES:
        raise ValidationError({"crs": [_("坐标系应为 wgs84 或 gcj02")]})
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": [_("文件不是 UTF-8 编码的 GeoJSON")]}) from exc
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                {"file": [_("文件不是有效的 JSON（第 %(line)d 行）") % {"line": exc.lineno}]}
            ) from exc
    if not isinstance(data, dict):
        raise ValidationError({"file": [_("文件应为 GeoJSON FeatureCollection")]})
    features = data["features"] if data.get("type") == "FeatureCollection" else [data]
    if not isinstance(features, list) or not features:
        raise ValidationError({"file": [_("文件中没有网格（Feature）")]})
    if len(features) > MAX_FEATURES:
        raise ValidationError({"file": [_("一次最多提交 %(n)d 个网格") % {"n": MAX_FEATURES}]})
    items: list[ProposedGrid] = []
    errors: list[str] = []
    for number, feature in enumerate(features, start=1):
        label = _("第 %(n)d 个要素") % {"n": number}
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(_("%(item)s：不是 GeoJSON Feature") % {"item": label})
            continue
        props = feature.get("properties") or {}
        geometry = feature.get("geometry")
        if crs == "gcj02" and geometry:
            # A malformed shape is left as it is and reported by validation.
            with contextlib.suppress(Exception):
                geometry = to_geojson(transform_geometry(from_geojson(geometry), gcj02_to_wgs84))
        try:
            department_id = _department_id(props.get("department", props.get("department_id")))
        except ValidationError as exc:
            errors.append(f"{label}：{exc.messages[0]}")
            continue
        items.append(
            ProposedGrid(
                village_code=str(props.get("village_code", "")).strip(),
                kind=_choice(props.get("kind"), GridKind),
                geometry=geometry,
                name=str(props.get("name", "") or "").strip()[:100],
                subject=_choice(props.get("subject"), ExclusiveSubject),
                maritime_kind=_choice(props.get("maritime_kind"), MaritimeKind),
                department_id=department_id,
                redraw_of=(str(props["redraw_of"]).strip() if props.get("redraw_of") else None),
            )
        )
    if errors:
        raise ValidationError({"file": errors})
    return items
