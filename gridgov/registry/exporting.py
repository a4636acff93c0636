"""Export files of filtered registry lists (docs/registry-import.md, 导出).

The rows are the requester's — ``restrict(requester, "export")``, and for an unmasked
export also ``"unmask"`` — within the request's scope code and filters, evaluated when
the file is built. Masked files show ID numbers, phones and names as the pages do
(``450***********123X``, ``138****5678``, ``张*``) and the birth year only.

Every file carries the watermark: a first line and a last line naming the requester,
the time, the request and whether it holds full personal data; an XLSX file also in its
document properties (author, title, description, keywords).
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.masking import mask_id_number, mask_name, mask_phone
from gridgov.registry.choices import HouseUse, PersonCategory, PersonStatus, UnitKind
from gridgov.registry.models_import import ExportFormat, ExportKind

MAX_EXPORT_ROWS = 1_000_000
NAME_PREFIX_MAX = 10


def _models():
    from gridgov.registry.models import House, Person, Unit

    return {ExportKind.PERSONS: Person, ExportKind.UNITS: Unit, ExportKind.HOUSES: House}


def may_export(kind: str, user, *, unmasked: bool) -> bool:
    """Whether ``user`` holds the export (and for ``unmasked`` the unmask) right at all."""
    from gridgov.accounts.scope import scope_filter

    model = _models()[kind]
    if scope_filter(user, model, "export") is None:
        return False
    return not unmasked or scope_filter(user, model, "unmask") is not None


def base_queryset(kind: str, user, *, unmasked: bool):
    model = _models()[kind]
    qs = model.objects.restrict(user, "export")
    if unmasked:
        qs = qs & model.objects.restrict(user, "unmask")
    return qs


# Filters ---------------------------------------------------------------------------------

FILTER_CHOICES = {
    ExportKind.PERSONS: {"category": PersonCategory, "status": PersonStatus},
    ExportKind.UNITS: {"kind": UnitKind},
    ExportKind.HOUSES: {"use": HouseUse},
}


def clean_filters(kind: str, raw: dict, scope_code: str) -> dict:
    """{area: code within the scope, <choice fields>, name (persons, a prefix),
    key_unit (units)} — unknown keys are refused, not ignored."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    allowed = {"area", *FILTER_CHOICES[kind]}
    if kind == ExportKind.PERSONS:
        allowed.add("name")
    if kind == ExportKind.UNITS:
        allowed.add("key_unit")
    for key in raw:
        if key not in allowed:
            errors.setdefault(key, []).append(_("不支持按此条件导出"))
    area = str(raw.get("area") or "").strip()
    if area:
        if not area.isdigit() or not (area.startswith(scope_code) or scope_code.startswith(area)):
            errors.setdefault("area", []).append(_("区划或网格编码不在您的导出范围内"))
        else:
            cleaned["area"] = area
    for key, choices in FILTER_CHOICES[kind].items():
        value = str(raw.get(key) or "").strip()
        if not value:
            continue
        if value not in choices.values:
            errors.setdefault(key, []).append(_("无效的选项“%(value)s”") % {"value": value})
        else:
            cleaned[key] = value
    name = str(raw.get("name") or "").strip()
    if name:
        if len(name) > NAME_PREFIX_MAX:
            errors.setdefault("name", []).append(_("姓名前缀不能超过10个字"))
        else:
            cleaned["name"] = name
    if raw.get("key_unit") in (True, "1", "true", "on", "是"):
        cleaned["key_unit"] = True
    if errors:
        raise ValidationError(errors)
    return cleaned


def queryset(request):
    qs = base_queryset(request.kind, request.requested_by, unmasked=request.unmasked)
    filters = request.filters or {}
    area = filters.get("area") or ""
    code = area if len(area) > len(request.scope_code) else request.scope_code
    qs = qs.filter(grid__code__startswith=code)
    for key in FILTER_CHOICES[request.kind]:
        if filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    if filters.get("name"):
        qs = qs.filter(name__startswith=filters["name"])
    if filters.get("key_unit"):
        qs = qs.filter(is_key_unit=True)
    if request.kind == ExportKind.PERSONS:
        qs = qs.select_related("ethnicity", "residence", "grid")
    elif request.kind == ExportKind.UNITS:
        qs = qs.select_related("address", "grid")
    else:
        qs = qs.select_related("address", "grid", "owner", "owner_unit")
    return qs.order_by("grid__code", "pk")


# Columns ---------------------------------------------------------------------------------


def _date(value) -> str:
    return value.isoformat() if value else ""


def person_columns(masked: bool):
    def name(p):
        return mask_name(p.name) if masked else p.name

    def number(p):
        return mask_id_number(p.id_number) if masked else p.id_number

    def phone(p):
        if not p.phone:
            return ""
        return mask_phone(p.phone) if masked else p.phone

    def birth(p):
        if not p.birth_date:
            return ""
        return str(p.birth_date.year) if masked else p.birth_date.isoformat()

    return [
        (_("编号"), lambda p: p.public_id),
        (_("姓名"), name),
        (_("证件类型"), lambda p: p.get_id_type_display()),
        (_("证件号码"), number),
        (_("性别"), lambda p: p.get_gender_display()),
        (_("出生年份") if masked else _("出生日期"), birth),
        (_("民族"), lambda p: p.ethnicity.name if p.ethnicity_id else ""),
        (_("联系电话"), phone),
        (_("人口类别"), lambda p: p.get_category_display()),
        (_("居住地址"), lambda p: p.residence.full_name if p.residence_id else ""),
        (_("与户主关系"), lambda p: p.get_relation_display() if p.relation else ""),
        (_("居住起始日期"), lambda p: _date(p.residence_start)),
        (_("状态"), lambda p: p.get_status_display()),
        (_("所属网格"), lambda p: p.grid.name),
        (_("网格编码"), lambda p: p.grid.code),
    ]


def unit_columns(masked: bool):
    def person_name(value):
        return mask_name(value) if masked and value else value

    def phone(u):
        if not u.contact_phone:
            return ""
        return mask_phone(u.contact_phone) if masked else u.contact_phone

    return [
        (_("编号"), lambda u: u.public_id),
        (_("单位名称"), lambda u: u.name),
        (_("统一社会信用代码"), lambda u: u.credit_code or ""),
        (_("单位类别"), lambda u: u.get_kind_display()),
        (_("地址"), lambda u: u.address.full_name),
        (_("地址编码"), lambda u: u.address.code),
        (_("法定代表人"), lambda u: person_name(u.legal_representative)),
        (_("联系人"), lambda u: person_name(u.contact_name)),
        (_("联系电话"), phone),
        (_("从业人数"), lambda u: "" if u.staff_count is None else u.staff_count),
        (_("重点单位"), lambda u: _("是") if u.is_key_unit else _("否")),
        (_("重点场所类别"), lambda u: u.get_key_place_kind_display() if u.key_place_kind else ""),
        (_("巡查频次"), lambda u: u.get_patrol_frequency_display() if u.patrol_frequency else ""),
        (_("所属网格"), lambda u: u.grid.name),
        (_("网格编码"), lambda u: u.grid.code),
    ]


def house_columns(masked: bool):
    def owner(h):
        if h.owner_id:
            return mask_name(h.owner.name) if masked else h.owner.name
        return h.owner_unit.name if h.owner_unit_id else ""

    def owner_number(h):
        if h.owner_id:
            return mask_id_number(h.owner.id_number) if masked else h.owner.id_number
        return h.owner_unit.credit_code or "" if h.owner_unit_id else ""

    return [
        (_("编号"), lambda h: h.public_id),
        (_("地址"), lambda h: h.address.full_name),
        (_("地址编码"), lambda h: h.address.code),
        (_("用途"), lambda h: h.get_use_display()),
        (_("产权人"), owner),
        (_("产权人证件号码或信用代码"), owner_number),
        (_("建筑面积（平方米）"), lambda h: "" if h.floor_area is None else str(h.floor_area)),
        (_("备注"), lambda h: h.note),
        (_("所属网格"), lambda h: h.grid.name),
        (_("网格编码"), lambda h: h.grid.code),
    ]


COLUMNS = {
    ExportKind.PERSONS: person_columns,
    ExportKind.UNITS: unit_columns,
    ExportKind.HOUSES: house_columns,
}


# Watermark -------------------------------------------------------------------------------


def watermark(request) -> str:
    user = request.requested_by
    name = user.get_full_name() or user.get_username()
    at = timezone.localtime(timezone.now()).strftime("%Y-%m-%d %H:%M")
    mode = _("含完整个人信息") if request.unmasked else _("已脱敏")
    return _(
        "导出人：%(name)s（%(username)s） 导出时间：%(at)s 导出编号：%(id)s %(mode)s "
        "仅限本人工作使用，严禁转发、复制或泄露；%(hours)d 小时内有效"
    ) % {
        "name": name,
        "username": user.get_username(),
        "at": at,
        "id": request.public_id,
        "mode": mode,
        "hours": 24,
    }


def _safe(value):
    """No spreadsheet formulas from data (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows_of(request):
    columns = COLUMNS[request.kind](masked=not request.unmasked)
    qs = queryset(request)
    count = qs.count()
    if count > MAX_EXPORT_ROWS:
        raise ValidationError(
            _("导出行数（%(n)s）超过上限 %(max)s，请缩小范围")
            % {"n": f"{count:,}", "max": f"{MAX_EXPORT_ROWS:,}"}
        )

    def generate():
        for obj in qs.iterator(chunk_size=2000):
            yield [_safe(getter(obj)) for _header, getter in columns]

    return [header for header, _getter in columns], generate(), count


def build(request) -> tuple[bytes, int]:
    """The file's bytes and its row count."""
    headers, rows, count = rows_of(request)
    mark = watermark(request)
    footer = _("—— 共 %(n)s 条 —— %(mark)s") % {"n": f"{count:,}", "mark": mark}
    if request.file_format == ExportFormat.CSV:
        return _csv(headers, rows, mark, footer), count
    return _xlsx(request, headers, rows, mark, footer), count


def _csv(headers, rows, mark, footer) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([mark])
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    writer.writerow([footer])
    # A BOM so that Excel opens the UTF-8 file with Chinese intact.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(request, headers, rows, mark, footer) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(request.get_kind_display())[:31])
    user = request.requested_by
    props = book.properties
    props.creator = user.get_full_name() or user.get_username()
    props.lastModifiedBy = props.creator
    props.title = f"{request.get_kind_display()} {request.public_id}"
    props.subject = str(_("基础信息导出"))
    props.description = mark
    props.keywords = f"gridgov-export {request.public_id} {user.get_username()}"
    props.created = props.modified = timezone.now().replace(tzinfo=None)
    sheet.oddHeader.center.text = mark[:250]
    sheet.oddFooter.center.text = footer[:250]
    red = WriteOnlyCell(sheet, value=mark)
    red.font = Font(bold=True, color="C00000")
    sheet.append([red])
    bold = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    for row in rows:
        sheet.append([str(v) if isinstance(v, str) else v for v in row])
    sheet.append([footer])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
