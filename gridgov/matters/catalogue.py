"""Loading a city's initial matter list (网格服务管理事项清单) from a JSON file.

A city starts with the list its agency and departments already agreed on paper; the
loader writes it as version 1 of each matter, with a public notice per matter, so the
list is on the system from day one. Later changes go through applications
(``actions.do_apply`` / ``do_approve_application``), never through the loader: an entry
that differs from what is stored is reported, not rewritten.

File format::

    {"level": "city" | "county", "area": "<area code>",
     "matters": [{"code": "0601001" (optional), "department": "<exact name>",
                  "valid_from": "YYYY-MM-DD", "valid_to": optional, "temporary": bool,
                  "name": …, "work_kind": …, "description": …, "duties": […], …}]}

Dates may also be written relative to the day of loading (``"+90d"``, ``"-30d"``), for
demo data that should stay current; a relative date is not compared on a rerun.
Everything is checked first; one bad entry and nothing is written.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas.choices import AreaLevel
from gridgov.areas.models import Area
from gridgov.core import audit
from gridgov.core.audit import AuditKind
from gridgov.matters import actions
from gridgov.matters.choices import ListLevel, NoticeKind, WorkKind
from gridgov.matters.models import Matter
from gridgov.orgs.models import Department, DepartmentLevel

CODE = re.compile(r"^\d{7}$")
RELATIVE = re.compile(r"^([+-])(\d{1,4})d$")
# The fields of a matter compared on a rerun (besides department, dates and temporary).
CONTENT_FIELDS = (
    "name",
    "work_kind",
    "description",
    "duties",
    "deadline_workdays",
    "legal_deadline_workdays",
    "legal_basis",
    "attributes",
    "resident_reportable",
    "anonymous_allowed",
)
_LEVELS = {
    ListLevel.CITY: (AreaLevel.CITY, DepartmentLevel.CITY),
    ListLevel.COUNTY: (AreaLevel.COUNTY, DepartmentLevel.COUNTY),
}


class CatalogueError(Exception):
    """The file is wrong; ``errors`` lists every problem (in Chinese), nothing was written."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Entry:
    index: int
    code: str  # "" until allocated
    department: Department
    cleaned: dict
    valid_from: date
    valid_to: date | None
    temporary: bool
    relative_from: bool
    relative_to: bool
    existing: Matter | None = None


@dataclass
class CatalogueReport:
    created: list[str] = field(default_factory=list)  # codes written (or to write)
    unchanged: list[str] = field(default_factory=list)
    # Entries that differ from the stored version 1: "第 n 项 code name：fields".
    changed: list[str] = field(default_factory=list)
    notices: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        verb = _("将新增") if self.dry_run else _("新增")
        return _(
            "%(verb)s事项 %(created)d 项（公告 %(notices)d 条），未变 %(unchanged)d 项，"
            "与已有不同（未改动，请走调整流程）%(changed)d 项"
        ) % {
            "verb": verb,
            "created": len(self.created),
            "notices": self.notices,
            "unchanged": len(self.unchanged),
            "changed": len(self.changed),
        }


def read_catalogue(path: Path | str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise CatalogueError(
            [_("无法读取文件 %(path)s：%(e)s") % {"path": path, "e": exc}]
        ) from exc
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            [_("文件不是有效的 JSON（第 %(line)d 行）：%(e)s") % {"line": exc.lineno, "e": exc.msg}]
        ) from exc


def _date(value, today: date) -> tuple[date | None, bool]:
    """(date, relative?) or (None, False) when unreadable."""
    if isinstance(value, str):
        match = RELATIVE.match(value.strip())
        if match:
            days = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
            return today + timedelta(days=days), True
        try:
            return date.fromisoformat(value.strip()), False
        except ValueError:
            pass
    return None, False


def _major(work_kind: str) -> str:
    return f"{WorkKind.values.index(work_kind) + 1:02d}"


def load_catalogue(
    data, *, dry_run: bool = False, today: date | None = None, record: bool = True
) -> CatalogueReport:
    """Check the whole file, then write the new matters in one transaction, audited with
    one import event (``record=False``: the caller records the load, as the demo does).
    Checking and writing share the transaction, so two loads at once cannot both add."""
    with transaction.atomic():
        return _load(data, dry_run, today or timezone.localdate(), record)


def _load(data, dry_run: bool, today: date, record: bool) -> CatalogueReport:
    entries, area, level = _validate(data, today)
    report = CatalogueReport(dry_run=dry_run)
    new = []
    for entry in entries:
        if entry.existing is None:
            new.append(entry)
            continue
        differences = _differences(entry)
        label = f"{entry.existing.code} {entry.existing.name}"
        if differences:
            report.changed.append(
                _("第 %(n)d 项 %(label)s：%(fields)s与已有事项不同，未改动（变更请走调整申请）")
                % {"n": entry.index, "label": label, "fields": "、".join(differences)}
            )
        else:
            report.unchanged.append(entry.existing.code)
    if dry_run or not new:
        report.created = [e.code or _("（待分配）") for e in new]
        report.notices = len(new)
        return report
    # Codes written in the file first, so an allocated code never takes one of them.
    for entry in sorted(new, key=lambda e: not e.code):
        if not entry.code:
            entry.code = actions._next_code(
                entry.cleaned["work_kind"], entry.cleaned["subcategory"]
            )
        matter = _create(entry, level, area)
        kind = NoticeKind.TEMPORARY if entry.temporary else NoticeKind.ADMISSION
        body = _("依据%(area)s网格服务管理事项清单初始编制，自 %(from)s 起纳入。") % {
            "area": area.name,
            "from": entry.valid_from,
        }
        if entry.valid_to:
            body += _("纳入期限至 %(to)s。") % {"to": entry.valid_to}
        actions._notice(kind, None, matter, entry.valid_from, body)
        report.created.append(matter.code)
        report.notices += 1
    if record:
        audit.record(
            AuditKind.IMPORT,
            target=audit.Target("matters.catalogue", area.code, _("网格服务管理事项清单")),
            detail={
                "level": level,
                "area": area.code,
                "created": report.created,
                "unchanged": len(report.unchanged),
                "changed": len(report.changed),
            },
        )
    return report


def _create(entry: _Entry, level: str, area: Area) -> Matter:
    c = entry.cleaned
    return Matter.objects.create(
        code=entry.code,
        version=1,
        level=level,
        area=area,
        department=entry.department,
        is_temporary=entry.temporary,
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        **{name: c[name] for name in CONTENT_FIELDS},
    )


def _differences(entry: _Entry) -> list[str]:
    matter = entry.existing
    labels = []
    for name in CONTENT_FIELDS:
        if getattr(matter, name) != entry.cleaned[name]:
            labels.append(str(Matter._meta.get_field(name).verbose_name))
    if matter.department_id != entry.department.pk:
        labels.append(_("业务主管部门"))
    if matter.is_temporary != entry.temporary:
        labels.append(_("临时纳入"))
    if not entry.relative_from and matter.valid_from != entry.valid_from:
        labels.append(_("施行日期"))
    if not entry.relative_to and matter.valid_to != entry.valid_to:
        labels.append(_("截止日期"))
    return labels


def _validate(data, today: date) -> tuple[list[_Entry], Area, str]:
    if not isinstance(data, dict):
        raise CatalogueError([_('文件内容应为一个对象：{"level", "area", "matters"}')])
    errors: list[str] = []
    level = data.get("level")
    area = None
    if level not in _LEVELS:
        errors.append(_("level 应为 city（市级清单）或 county（县级清单）"))
    else:
        area = Area.objects.filter(code=str(data.get("area", "")), level=_LEVELS[level][0]).first()
        if area is None:
            errors.append(
                _("area：没有代码为 %(code)s 的%(level)s区划")
                % {
                    "code": data.get("area") or "—",
                    "level": _("市级") if level == ListLevel.CITY else _("县级"),
                }
            )
    items = data.get("matters")
    if not isinstance(items, list) or not items:
        errors.append(_("matters 应为非空的事项列表"))
    if errors:
        raise CatalogueError(errors)
    departments = {
        d.name: d
        for d in Department.objects.filter(area=area, level=_LEVELS[level][1], is_active=True)
    }
    entries: list[_Entry] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items, start=1):
        problems: list[str] = []
        if not isinstance(item, dict):
            errors.append(_("第 %(n)d 项：格式不正确，应为对象") % {"n": index})
            continue
        try:
            cleaned = actions.clean_proposed(item)
        except ValidationError as exc:
            cleaned = None
            for messages in exc.message_dict.values():
                problems.extend(messages)
        department = departments.get(str(item.get("department", "")).strip())
        if department is None:
            problems.append(
                _("业务主管部门“%(name)s”不是%(area)s的本级部门")
                % {"name": item.get("department") or "—", "area": area.name}
            )
        code = str(item.get("code") or "").strip()
        if code:
            if not CODE.match(code):
                problems.append(_("事项编码 %(code)s 应为 7 位数字") % {"code": code})
            elif code in seen_codes:
                problems.append(
                    _("事项编码 %(code)s 与第 %(m)d 项重复") % {"code": code, "m": seen_codes[code]}
                )
            else:
                seen_codes[code] = index
                if cleaned and code[:2] != _major(cleaned["work_kind"]):
                    problems.append(
                        _("事项编码 %(code)s 的大类应为 %(major)s（%(kind)s）")
                        % {
                            "code": code,
                            "major": _major(cleaned["work_kind"]),
                            "kind": WorkKind(cleaned["work_kind"]).label,
                        }
                    )
                elif cleaned and item.get("subcategory") and code[2:4] != cleaned["subcategory"]:
                    problems.append(
                        _("事项编码 %(code)s 的小类与 subcategory %(sub)s 不一致")
                        % {"code": code, "sub": cleaned["subcategory"]}
                    )
        valid_from, relative_from = _date(item.get("valid_from"), today)
        if valid_from is None:
            problems.append(_("施行日期 valid_from 应为 YYYY-MM-DD"))
        valid_to, relative_to = None, False
        if item.get("valid_to") not in (None, ""):
            valid_to, relative_to = _date(item.get("valid_to"), today)
            if valid_to is None:
                problems.append(_("截止日期 valid_to 应为 YYYY-MM-DD"))
            elif valid_from and valid_to < valid_from:
                problems.append(_("截止日期不能早于施行日期"))
        temporary = item.get("temporary", False)
        if not isinstance(temporary, bool):
            problems.append(_("temporary 应为 true 或 false"))
            temporary = bool(temporary)
        if temporary and item.get("valid_to") in (None, ""):
            problems.append(_("临时纳入的事项必须明确纳入期限（第七条），请填写 valid_to"))
        if not temporary and item.get("valid_to") not in (None, ""):
            problems.append(_("只有临时纳入的事项才填写截止日期 valid_to"))
        existing = None
        if cleaned and department is not None and not problems:
            key = (department.name, cleaned["name"])
            if key in seen_names:
                problems.append(_("与第 %(m)d 项是同一部门的同名事项") % {"m": seen_names[key]})
            seen_names[key] = index
            existing, problem = _existing(code, area, department, cleaned["name"])
            if problem:
                problems.append(problem)
        if problems:
            name = str(item.get("name") or "").strip() or "—"
            errors.append(
                _("第 %(n)d 项（%(name)s）：%(problems)s")
                % {"n": index, "name": name, "problems": "；".join(problems)}
            )
            continue
        entries.append(
            _Entry(
                index=index,
                code=code,
                department=department,
                cleaned=cleaned,
                valid_from=valid_from,
                valid_to=valid_to,
                temporary=temporary,
                relative_from=relative_from,
                relative_to=relative_to,
                existing=existing,
            )
        )
    if errors:
        raise CatalogueError(errors)
    return entries, area, level


def _existing(code: str, area: Area, department: Department, name: str):
    """(version 1 already stored for this entry, or None; a problem message, or "")."""
    if code:
        first = Matter.objects.filter(code=code, version=1).select_related("area").first()
        if first is None:
            return None, ""
        if first.area_id != area.pk:
            return None, _("事项编码 %(code)s 已被%(area)s清单使用") % {
                "code": code,
                "area": first.area.name,
            }
        return first, ""
    first = Matter.objects.filter(area=area, department=department, name=name, version=1).first()
    return first, ""
