"""Import of department data into the registry (条例 第十条(一), docs/registry-import.md).

Five file types (:data:`FORMATS`), each a table with Chinese column headers, as CSV
(UTF-8, GBK/GB18030 or UTF-16: detected) or XLSX (the first worksheet):

* 实有人口 (公安户籍、流动人口): natural key the ID document (its blind index);
* 关爱对象 (民政 …): key the person and the tag kind;
* 实有单位 (市场监管): key the unified social credit code;
* 标准地址和房屋 (住建、不动产): key the address path (村（社区）→ 街路巷 → 门牌 → 楼栋 →
  单元 → 户室) or the address code;
* 出租房屋 (公安): key the house, the landlord and the start date.

:class:`Importer` reads rows in chunks of :data:`CHUNK`. Each row is checked (every bad
cell of every row is reported: row number, column, reason — never the value); good rows
are compared with what is registered under their natural key and classified as new,
changed, unchanged or conflicting. A dry run stops there and writes nothing. The import
writes each chunk in one transaction with bulk inserts: records, a verified
:class:`~gridgov.registry.models.Submission` as each new version (source 批量导入,
submitted and verified by the importer, the source department named in its note), and
nothing at all for unchanged rows — re-importing a file changes nothing. A row that
would move a person to another residence, or give a house another owner, is not
applied: it becomes a pending submission with a flagged conflict, like a collection.

The per-record actions (:func:`gridgov.registry.actions.do_submit` / ``do_verify``) cost
a dozen queries and two audit rows per record; an import of a county's 600,000 residents
through them would take hours. The bulk path applies the same checks (the identifiers
through :mod:`gridgov.registry.identity`, addresses located in grids, scope of the
importer's area) and records one audit event per job with the counts.
"""

import csv
import io
import itertools
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.masking import mask_id_number, mask_name
from gridgov.registry import identity
from gridgov.registry.addressing import normalise_part
from gridgov.registry.choices import (
    ADDRESS_CODE_PARTS,
    AddressLevel,
    DocumentType,
    Gender,
    HouseUse,
    KeyPlaceKind,
    PatrolFrequency,
    PersonCategory,
    PersonEventKind,
    PersonStatus,
    RecordKind,
    Relation,
    SubmissionSource,
    SubmissionStatus,
    UnitKind,
)
from gridgov.registry.models_import import ImportKind

CHUNK = 1000
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_ROWS = 1_000_000
# How many rows are searched for the header row (a title line may come first).
HEADER_SEARCH_ROWS = 10


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, no header, missing columns)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Formats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    note: str = ""


@dataclass(frozen=True)
class Format:
    kind: str
    title: str
    source: str
    natural_key: str
    columns: tuple[Column, ...]
    sample: str
    note: str = ""

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


_L = gettext_lazy

FORMATS: dict[str, Format] = {
    ImportKind.PERSONS: Format(
        kind=ImportKind.PERSONS,
        title=_L("实有人口"),
        source=_L("公安户籍、流动人口登记"),
        natural_key=_L("证件类型 + 证件号码"),
        sample="persons_gbk.csv",
        note=_L("居住地址编码与居住地址至少填一项；性别、出生日期可由身份证号码得出。"),
        columns=(
            Column("name", "姓名", ("名字",), True, "韦秀英"),
            Column("id_type", "证件类型", (), False, "居民身份证", _L("默认居民身份证")),
            Column(
                "id_number",
                "证件号码",
                ("公民身份号码", "身份证号码", "身份证号"),
                True,
                "（18位身份证号码）",
                _L("Excel 中请设为文本格式"),
            ),
            Column("gender", "性别", (), False, "女"),
            Column("birth_date", "出生日期", (), False, "1968-05-12"),
            Column("ethnicity", "民族", (), False, "壮族"),
            Column("nationality", "国籍", ("国籍（地区）",), False, "CHN"),
            Column("phone", "联系电话", ("手机号码", "电话"), False, "（11位手机号）"),
            Column("hukou_place", "户籍地址", ("户籍地",), False, "广西钦州市钦南区"),
            Column(
                "category",
                "人口类别",
                (),
                False,
                "户籍人口",
                _L("户籍人口、流动人口或境外人员，默认户籍人口"),
            ),
            Column(
                "residence",
                "居住地址编码",
                ("地址编码",),
                False,
                "450702001001L001M0012",
            ),
            Column("residence_text", "居住地址", ("现住址",), False, "文峰街道某社区人民路12号"),
            Column("household", "户号", (), False, "450702001001-0001"),
            Column("relation", "与户主关系", (), False, "户主"),
            Column(
                "residence_start", "居住起始日期", ("迁入日期", "入住日期"), False, "2015-03-01"
            ),
        ),
    ),
    ImportKind.CARE_TAGS: Format(
        kind=ImportKind.CARE_TAGS,
        title=_L("关爱对象"),
        source=_L("民政、残联、卫生健康、司法行政等"),
        natural_key=_L("人员（证件号码）+ 关爱对象类别"),
        sample="care_tags.csv",
        note=_L("人员须已登记；敏感类别只有有权查看该类别的岗位可以导入。"),
        columns=(
            Column("id_number", "证件号码", ("公民身份号码", "身份证号码"), True, "（证件号码）"),
            Column("id_type", "证件类型", (), False, "居民身份证"),
            Column("name", "姓名", (), False, "韦秀英", _L("填写时须与登记的姓名一致")),
            Column("kind", "关爱对象类别", ("类别",), True, "独居老人"),
            Column("since", "起始日期", (), False, "2023-01-01"),
            Column("until", "终止日期", (), False, ""),
            Column("note", "说明", ("备注",), False, "子女在外地务工"),
        ),
    ),
    ImportKind.UNITS: Format(
        kind=ImportKind.UNITS,
        title=_L("实有单位"),
        source=_L("市场监管（企业、个体工商户登记）"),
        natural_key=_L("统一社会信用代码"),
        sample="units.csv",
        note=_L("地址编码与单位地址至少填一项；重点单位须填写巡查频次。"),
        columns=(
            Column("name", "单位名称", ("名称",), True, "钦州市某某商贸有限公司"),
            Column("credit_code", "统一社会信用代码", ("信用代码",), True, "91450700MA0000001X"),
            Column("kind", "单位类别", (), False, "企业", _L("默认企业")),
            Column("address", "地址编码", (), False, "450702001001L001M0012"),
            Column("address_text", "单位地址", ("地址",), False, "人民路12号"),
            Column("legal_representative", "法定代表人", (), False, "黄建国"),
            Column("contact_name", "联系人", (), False, "黄建国"),
            Column("contact_phone", "联系电话", (), False, "0777-2812345"),
            Column("staff_count", "从业人数", (), False, "12"),
            Column("key_place_kind", "重点场所类别", (), False, "人员密集场所"),
            Column("patrol_frequency", "巡查频次", (), False, "每周"),
        ),
    ),
    ImportKind.ADDRESSES: Format(
        kind=ImportKind.ADDRESSES,
        title=_L("标准地址和房屋"),
        source=_L("住建、不动产登记、地名管理"),
        natural_key=_L("地址层级路径（或地址编码）；房屋为其地址"),
        sample="addresses.csv",
        note=_L(
            "新增门牌须填写经纬度（WGS-84）以确定所属网格；填写房屋用途时在最末一级地址登记房屋。"
        ),
        columns=(
            Column("village", "村（社区）代码", ("社区代码", "村居代码"), True, "450702001001"),
            Column("road", "街路巷", ("街路巷名称",), False, "人民路"),
            Column("door", "门牌号", ("门牌",), True, "12号"),
            Column("building", "楼栋", ("栋",), False, "3栋"),
            Column("unit", "单元", (), False, "2单元"),
            Column("room", "户室", ("室", "房号"), False, "301室"),
            Column("lon", "经度", (), False, "108.6541"),
            Column("lat", "纬度", (), False, "21.9532"),
            Column("code", "地址编码", (), False, "", _L("已有地址可只填编码")),
            Column("use", "房屋用途", ("用途",), False, "自住", _L("自住、出租、空置、经营或其他")),
            Column("floor_area", "建筑面积", ("建筑面积（平方米）",), False, "89.5"),
            Column("owner_id_number", "产权人证件号码", (), False, "（证件号码）"),
            Column("owner_unit", "产权单位信用代码", (), False, ""),
            Column("note", "房屋备注", (), False, ""),
        ),
    ),
    ImportKind.RENTALS: Format(
        kind=ImportKind.RENTALS,
        title=_L("出租房屋"),
        source=_L("公安（流动人口和出租房屋管理）"),
        natural_key=_L("房屋 + 出租人 + 租赁起始日期"),
        sample="rentals.csv",
        note=_L(
            "房屋地址编码与房屋地址至少填一项；房屋、出租人和承租人须已登记；"
            "多名承租人的证件号码用顿号或分号隔开。"
        ),
        columns=(
            Column("house", "房屋地址编码", ("地址编码",), False, "450702001001L001M0012H0301"),
            Column("house_text", "房屋地址", (), False, "新兴社区样例路1号1栋1单元301室"),
            Column("landlord", "出租人证件号码", (), True, "（证件号码）"),
            Column("tenants", "承租人证件号码", (), False, "（证件号码；证件号码）"),
            Column("start_date", "租赁起始日期", (), True, "2024-03-01"),
            Column("end_date", "租赁终止日期", (), False, "2025-02-28"),
        ),
    ),
}


def _header_key(text) -> str:
    """Headers compare without spaces, asterisks and "（必填）" marks."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"[\s*＊]|\(必填\)|\(选填\)", "", text)
    return text


def header_index(fmt: Format) -> dict[str, Column]:
    index = {}
    for column in fmt.columns:
        for name in (column.header, *column.aliases):
            index[_header_key(name)] = column
    return index


# Reading files ---------------------------------------------------------------------------


@dataclass
class Table:
    file_format: str
    encoding: str
    header_row: int
    columns: dict[int, Column]
    unknown: list[str]
    rows: Iterator[tuple[int, dict]]


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM), UTF-16 with
    a BOM (Excel's "Unicode text"), else GB18030 (a superset of GBK and GB2312, what
    Chinese Excel and office systems write)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileProblem(
            _("无法识别文件编码：请将 CSV 文件保存为 UTF-8 或 GBK 编码，或直接上传 Excel 文件")
        ) from None
    return text, "GBK"


def _csv_rows(data: bytes) -> tuple[Iterator[list], str]:
    text, encoding = _decode(data)
    head = "\n".join(text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS])
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return iter(reader), encoding


def _xlsx_rows(data: bytes) -> Iterator[list]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileProblem(
            _("Excel 文件已损坏或不是 .xlsx 格式，请另存为 .xlsx 后重新上传")
        ) from None
    if not book.worksheets:
        raise FileProblem(_("Excel 文件中没有工作表"))
    sheet = book.worksheets[0]

    def rows():
        try:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()

    return rows()


def sniff_format(data: bytes, filename: str = "") -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后上传"))
    return "csv"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_table(data: bytes, kind: str, filename: str = "") -> Table:
    """Open a CSV or XLSX file of ``kind``: find the header row and map its columns."""
    if not data:
        raise FileProblem(_("文件是空的"))
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            _("文件超过 %(n)d MB，请按乡镇（街道）拆分后分别导入")
            % {"n": MAX_FILE_BYTES // (1024 * 1024)}
        )
    fmt = FORMATS[kind]
    file_format = sniff_format(data, filename)
    if file_format == "xlsx":
        raw, encoding = _xlsx_rows(data), ""
    else:
        raw, encoding = _csv_rows(data)
    index = header_index(fmt)
    # The header is the first row (of the first few) naming the most known columns.
    head = []
    best, best_hits = None, 0
    for number, cells in enumerate(raw, start=1):
        head.append((number, cells))
        hits = sum(1 for cell in cells if _header_key(cell) in index)
        if hits > best_hits:
            best, best_hits = (number, cells), hits
        if number >= HEADER_SEARCH_ROWS or (hits and hits == len([c for c in cells if c])):
            break
    if best is None:
        expected = "、".join(c.header for c in fmt.columns if c.required)
        raise FileProblem(
            _("未找到表头：第一行应为列名，如 %(expected)s（%(kind)s文件）")
            % {"expected": expected, "kind": fmt.title}
        )
    header_row, header_cells = best
    columns: dict[int, Column] = {}
    unknown: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(header_cells):
        if _blank(cell):
            continue
        column = index.get(_header_key(cell))
        if column is None:
            unknown.append(str(cell).strip())
        elif column.key in seen:
            raise FileProblem(_("表头中“%(name)s”列出现了两次") % {"name": column.header})
        else:
            columns[position] = column
            seen.add(column.key)
    missing = [c.header for c in fmt.columns if c.required and c.key not in seen]
    if missing:
        raise FileProblem(
            _("缺少必填列：%(missing)s（请使用%(kind)s导入模板的列名）")
            % {"missing": "、".join(missing), "kind": fmt.title}
        )
    pending = [(n, cells) for n, cells in head if n > header_row]

    def rows():
        for number, cells in itertools.chain(
            pending, zip(itertools.count(len(head) + 1), raw, strict=False)
        ):
            if all(_blank(cell) for cell in cells):
                continue
            yield (
                number,
                {
                    column.key: cells[position]
                    for position, column in columns.items()
                    if position < len(cells) and not _blank(cells[position])
                },
            )

    return Table(file_format, encoding, header_row, columns, unknown, rows())


# Cell values -----------------------------------------------------------------------------


class RowErrors:
    """The errors of one row: (column header, reason)."""

    def __init__(self, fmt: Format):
        self.fmt = fmt
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, message) -> None:
        header = self.fmt.column(key).header if key in self._keys() else key
        self.items.append((header, str(message)))

    def _keys(self):
        return {c.key for c in self.fmt.columns}

    def take(self, key: str, exc: ValidationError) -> None:
        for messages in exc.message_dict.values():
            for message in messages:
                self.add(key, message)

    def __bool__(self) -> bool:
        return bool(self.items)


def text(raw: dict, key: str, max_length: int = 200) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return unicodedata.normalize("NFKC", str(value)).strip()[:max_length]


def required(raw, key, errors: RowErrors, max_length=200) -> str:
    value = text(raw, key, max_length=10_000)
    if not value:
        errors.add(key, _("缺少必填项"))
    elif len(value) > max_length:
        errors.add(key, _("内容过长（不能超过%(n)d个字）") % {"n": max_length})
        return ""
    return value


def identifier(raw, key, errors: RowErrors) -> str:
    """A long number (ID, credit code): refuse what Excel turned into a number."""
    value = raw.get(key)
    if isinstance(value, float) or (isinstance(value, int) and value >= 10**15):
        errors.add(key, _("号码被 Excel 存成了数字，末几位已丢失：请将该列设为“文本”后重新填写"))
        return ""
    return text(raw, key, max_length=40)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(raw, key, errors: RowErrors) -> date | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 10_000 < value < 80_000:
        return EXCEL_EPOCH + timedelta(days=int(value))  # an unformatted Excel date
    candidate = text(raw, key, max_length=40)
    if " " in candidate:  # "2024-03-01 00:00:00"
        candidate = candidate.split(" ", 1)[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(candidate)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    errors.add(key, _("日期格式错误：应为 年-月-日，如 2024-03-01"))
    return None


_CHOICE_CACHE: dict = {}


def _choice_index(choices) -> tuple[dict, str]:
    """{stored value or label: stored value} in the active language and in Chinese (the
    source strings), and the labels for the message — cached per language."""
    from django.utils import translation

    key = (choices, translation.get_language())
    cached = _CHOICE_CACHE.get(key)
    if cached is None:
        index = {}
        for stored, label in choices.choices:
            index[str(stored)] = str(stored)
            index[str(label)] = str(stored)
        with translation.override("zh-hans"):
            for stored, label in choices.choices:
                index[str(label)] = str(stored)
            labels = "、".join(str(label) for _stored, label in choices.choices)
        cached = _CHOICE_CACHE[key] = (index, labels)
    return cached


def choice(raw, key, choices, errors: RowErrors, *, default="", synonyms=None) -> str:
    value = text(raw, key)
    if not value:
        return default
    value = (synonyms or {}).get(value, value)
    index, labels = _choice_index(choices)
    if value in index:
        return index[value]
    errors.add(
        key, _("无法识别“%(value)s”，应为：%(labels)s") % {"value": echo(value), "labels": labels}
    )
    return ""


def echo(value) -> str:
    """A cell's value quoted in an error report: short, and never a long number (a file
    with shifted columns would otherwise copy ID numbers and phones into the report)."""
    text = str(value)
    if re.search(r"\d{6,}", text):
        return _("（含长数字，不予显示）")
    return text[:20]


def decimal_value(raw, key, errors: RowErrors, max_value) -> Decimal | None:
    value = text(raw, key)
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.add(key, _("应为数字"))
        return None
    if not number.is_finite() or number < 0 or number > max_value:
        errors.add(key, _("超出合理范围"))
        return None
    return number.quantize(Decimal("0.01"))


def integer_value(raw, key, errors: RowErrors, max_value=10**7) -> int | None:
    value = text(raw, key)
    if not value:
        return None
    try:
        number = int(Decimal(value))
    except (InvalidOperation, ValueError):
        errors.add(key, _("应为整数"))
        return None
    if number < 0 or number > max_value:
        errors.add(key, _("超出合理范围"))
        return None
    return number


def float_value(raw, key, errors: RowErrors, low, high) -> float | None:
    value = text(raw, key)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.add(key, _("应为数字"))
        return None
    if not (low <= number <= high):
        errors.add(key, _("超出范围（%(low)s～%(high)s）") % {"low": low, "high": high})
        return None
    return number


RELATION_SYNONYMS = {
    "本人": "户主",
    "妻": "配偶",
    "夫": "配偶",
    "妻子": "配偶",
    "丈夫": "配偶",
    "子": "子女",
    "女": "子女",
    "儿子": "子女",
    "女儿": "子女",
    "长子": "子女",
    "长女": "子女",
    "次子": "子女",
    "次女": "子女",
    "父亲": "父母",
    "母亲": "父母",
    "父": "父母",
    "母": "父母",
    "孙子": "孙子女或外孙子女",
    "孙女": "孙子女或外孙子女",
    "外孙": "孙子女或外孙子女",
    "外孙女": "孙子女或外孙子女",
    "祖父": "祖父母或外祖父母",
    "祖母": "祖父母或外祖父母",
    "兄": "兄弟姐妹",
    "弟": "兄弟姐妹",
    "姐": "兄弟姐妹",
    "妹": "兄弟姐妹",
    "儿媳": "儿媳或女婿",
    "女婿": "儿媳或女婿",
    "租客": "非亲属",
}
GENDER_SYNONYMS = {"男性": "男", "女性": "女", "M": "男", "F": "女"}
DOCUMENT_SYNONYMS = {"身份证": "居民身份证", "居民身份证号码": "居民身份证"}


# The report --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run found or did. ``errors`` are (row, column, reason)."""

    total: int = 0
    bad_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    def add_errors(self, row: int, errors: RowErrors) -> None:
        self.bad_rows += 1
        for column, reason in errors.items:
            self.errors.append((row, column, reason))

    @property
    def good(self) -> int:
        return self.total - self.bad_rows

    def counts(self) -> dict:
        return {
            "total": self.total,
            "bad_rows": self.bad_rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
        }


@dataclass
class Good:
    """A checked row: what it proposes, and (after classification) what will happen."""

    row: int
    data: dict
    action: str = ""  # create, update, unchanged, conflict
    record: object = None
    changes: dict = field(default_factory=dict)


# Fast inserts ------------------------------------------------------------------------------

PUBLIC_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def fast_public_id() -> str:
    """The same 12-character form as ``models.new_public_id`` from one read of the OS
    random source (a twelfth of the cost; the modulo bias leaves about 59 bits)."""
    return "".join(PUBLIC_ID_ALPHABET[b % 31] for b in secrets.token_bytes(12))


class FastInsert:
    """Insert many rows of one model without building model instances.

    ``Model.objects.bulk_create`` spends most of an import compiling SQL value by value
    (about 60 µs a row for a person); here each row is a dict of attribute names, the
    values are prepared by the fields' own methods — encrypted fields through
    ``get_prep_value`` (SM4-GCM) with their blind index from ``index_of`` (HMAC-SM3),
    dates and decimals through the backend's adapters — and written with one prepared
    statement (SQLite) or ``COPY`` (PostgreSQL). Primary keys are taken beforehand (from
    the sequence, or above the largest key under SQLite's write lock) and returned.
    Defaults, ``auto_now`` and ``auto_now_add`` apply as in ``save()``.
    """

    def __init__(self, model):
        from gridgov.core.fields import EncryptedTextField

        self.model = model
        self.table = model._meta.db_table
        self.pk = model._meta.pk
        self.fields = [f for f in model._meta.concrete_fields]
        self.encrypted = [f for f in self.fields if isinstance(f, EncryptedTextField)]
        ops = connection.ops
        self.plan = []
        for f in self.fields:
            internal = f.get_internal_type()
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                kind, default = "now", None
            elif f.name == "public_id":
                kind, default = "public_id", None
            elif f.has_default() and callable(f.default):
                kind, default = "callable", f.default
            else:
                kind, default = "const", f.get_default()
            if isinstance(f, EncryptedTextField):
                adapt = None  # encrypted in the pre-pass
            elif internal == "DateField":
                adapt = ops.adapt_datefield_value
            elif internal == "DateTimeField":
                adapt = ops.adapt_datetimefield_value
            elif internal == "DecimalField":
                adapt = lambda v, f=f: ops.adapt_decimalfield_value(  # noqa: E731
                    v, f.max_digits, f.decimal_places
                )
            elif internal == "JSONField":
                adapt = lambda v, f=f: f.get_db_prep_save(v, connection)  # noqa: E731
            else:
                adapt = None
            self.plan.append((f.attname, kind, default, adapt))

    def _ids(self, n: int) -> list[int]:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [qn(self.table), self.pk.column, n],
                )
                return [row[0] for row in cursor.fetchall()]
            # SQLite: the chunk's transaction holds the write lock (BEGIN IMMEDIATE), so
            # nobody else takes keys meanwhile; AUTOINCREMENT's counter follows ours.
            cursor.execute(f"SELECT max({qn(self.pk.column)}) FROM {qn(self.table)}")
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
            return list(range(top + 1, top + 1 + n))

    def rows(self, items: list[dict], now) -> list[tuple]:
        out = []
        memo: dict = {}  # most values to adapt are the same few datetimes and dates
        for item in items:
            for f in self.encrypted:
                value = f.normalised(item.get(f.attname) or "")
                if f.blind_index and f.blind_index not in item:
                    item[f.blind_index] = f.index_of(value)
                item[f.attname] = f.get_prep_value(value)
            values = []
            for attname, kind, default, adapt in self.plan:
                if attname in item:
                    value = item[attname]
                elif kind == "now":
                    value = now
                elif kind == "public_id":
                    value = item[attname] = fast_public_id()
                elif kind == "callable":
                    value = item[attname] = default()
                else:
                    value = default
                if adapt is not None and value is not None:
                    key = (attname, value)
                    adapted = memo.get(key)
                    if adapted is None:
                        adapted = memo[key] = adapt(value)
                    value = adapted
                values.append(value)
            out.append(tuple(values))
        return out

    def insert(self, items: list[dict]) -> list[int]:
        """Insert the rows; sets and returns their primary keys."""
        if not items:
            return []
        ids = self._ids(len(items))
        for pk, item in zip(ids, items, strict=True):
            item[self.pk.attname] = pk
        rows = self.rows(items, timezone.now())
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {qn(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    f"INSERT INTO {qn(self.table)} ({columns}) VALUES ({marks})", rows
                )
        return ids


_INSERTERS: dict = {}


def relax_commit() -> None:
    """PostgreSQL: let this transaction commit without waiting for its WAL flush.

    A crash may lose the last chunks committed; the import is idempotent and ``done``
    commits with its rows, so importing the file again completes it. Nothing else is
    relaxed: constraints, durability of earlier chunks and other sessions are as usual.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def refresh_statistics(*models) -> None:
    """PostgreSQL: analyse the tables an import is filling, so that the per-chunk look-ups
    by blind index use the index instead of a sequential scan planned for a table that
    looked empty (autovacuum analyses only a minute or so later)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def fast_insert(model, items: list[dict]) -> list[int]:
    inserter = _INSERTERS.get(model)
    if inserter is None or inserter.vendor != connection.vendor:
        inserter = _INSERTERS[model] = FastInsert(model)
        inserter.vendor = connection.vendor
    return inserter.insert(items)


# The engine --------------------------------------------------------------------------------


class Importer:
    """Check (and, unless ``dry_run``, write) rows of one kind into ``area``.

    ``actor`` is the importer (None for the system: the demo); every record is
    attributed to them. ``department`` is the source named in each version's note.
    """

    kind: str = ""
    record_kind: str = ""

    def __init__(self, *, actor, area, department=None, job=None, note: str = ""):
        self.fmt = FORMATS[self.kind]
        self.actor = actor
        self.actor_id = actor.pk if actor is not None else None
        self.area = area
        self.area_code = area.code
        self.department = department
        self.job = job
        source = department.name if department is not None else (note or _("未注明来源"))
        where = _("导入任务 %(id)s") % {"id": job.public_id} if job is not None else _("批量导入")
        self.note = (_("批量导入：%(source)s（%(where)s）") % {"source": source, "where": where})[
            :300
        ]
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.outcome = Outcome()

    # -- running --

    def run(
        self,
        rows: Iterable[tuple[int, dict]],
        *,
        dry_run: bool,
        progress: Callable[[Outcome], bool | None] | None = None,
    ) -> Outcome:
        """Check every row; write the good ones unless ``dry_run``. ``progress`` is called
        after every chunk (returning False stops the run: a cancelled job)."""
        iterator = iter(rows)
        while True:
            chunk = list(itertools.islice(iterator, CHUNK))
            if not chunk:
                break
            if self.outcome.total + len(chunk) > MAX_ROWS:
                raise FileProblem(
                    _("文件超过 %(n)s 行，请按乡镇（街道）拆分后分别导入") % {"n": f"{MAX_ROWS:,}"}
                )
            if dry_run:
                self._chunk(chunk, dry_run=True)
            else:
                with transaction.atomic():
                    relax_commit()
                    self._chunk(chunk, dry_run=False)
                    if progress is not None and progress(self.outcome) is False:
                        break
                continue
            if progress is not None and progress(self.outcome) is False:
                break
        return self.outcome

    def _chunk(self, chunk: list[tuple[int, dict]], *, dry_run: bool) -> None:
        self.outcome.total += len(chunk)
        self.prepare(chunk)
        good: list[Good] = []
        for number, raw in chunk:
            errors = RowErrors(self.fmt)
            data = self.check(number, raw, errors)
            if errors:
                self.outcome.add_errors(number, errors)
            else:
                good.append(Good(number, data))
        self.classify(good)
        for item in good:
            if item.action == "create":
                self.outcome.created += 1
            elif item.action == "update":
                self.outcome.updated += 1
            elif item.action == "unchanged":
                self.outcome.unchanged += 1
            elif item.action == "conflict":
                self.outcome.conflicts += 1
        if not dry_run:
            self.write(good)

    # -- per kind --

    def prepare(self, chunk) -> None:
        """Bulk look-ups for a chunk (addresses, existing records)."""

    def check(self, number: int, raw: dict, errors: RowErrors) -> dict:
        raise NotImplementedError

    def classify(self, good: list[Good]) -> None:
        raise NotImplementedError

    def write(self, good: list[Good]) -> None:
        raise NotImplementedError

    # -- shared helpers --

    def in_area(self, grid_code: str | None) -> bool:
        return bool(grid_code) and grid_code.startswith(self.area_code)

    def outside_area_message(self) -> str:
        return _("不在本次导入的辖区（%(area)s）内") % {"area": self.area.name}

    def version(self, kind, record, data: dict, *, grid_id, village_id, summary, key=None):
        """A verified submission (as a row for :func:`fast_insert`) recording ``data`` as
        the record's current version."""
        number = record["version"] if isinstance(record, dict) else record.version
        pk = record["id"] if isinstance(record, dict) else record.pk
        return {
            "record_kind": kind,
            "record_id": pk,
            "base_version": number - 1 if number > 1 else None,
            "version": number,
            "payload": json.dumps(data, ensure_ascii=False, sort_keys=True, default=str),
            "summary": summary[:300],
            "key_index": key,
            "grid_id": grid_id,
            "village_id": village_id,
            "status": SubmissionStatus.VERIFIED,
            "source": SubmissionSource.IMPORTED,
            "submitted_by_id": self.actor_id,
            "submitted_at": self.now,
            "decided_by_id": self.actor_id,
            "decided_at": self.now,
            "decision_note": self.note,
        }

    def save_versions(self, versions: list[dict]) -> list[int]:
        from gridgov.registry.models import Submission

        return fast_insert(Submission, versions)

    def stamp(self, record, *, new: bool) -> None:
        record.version = 1 if new else record.version + 1
        record.verified_at = self.now
        record.verified_by = self.actor

    def submit_conflict(self, kind, raw: dict, record=None) -> None:
        """A change the import must not apply by itself: a pending submission with its
        conflict flagged (the same path as a collection), attributed to the importer."""
        from gridgov.registry.actions import do_submit

        submission = do_submit(
            kind, raw, actor=None, record=record, source=SubmissionSource.IMPORTED
        )
        submission.submitted_by = self.actor
        submission.decision_note = self.note
        submission.save(update_fields=["submitted_by", "decision_note"])


# Addresses as references ------------------------------------------------------------------


class AddressLookup:
    """Addresses by code or free text, within the importer's area, cached per import."""

    def __init__(self, importer: Importer):
        self.importer = importer
        self.by_code: dict[str, dict | None] = {}
        self.by_text: dict[str, dict | None] = {}

    FIELDS = ("id", "code", "grid_id", "grid__code", "village_id", "full_name")

    def load(self, codes: Iterable[str]) -> None:
        from gridgov.registry.models import Address

        wanted = {c for c in codes if c and c not in self.by_code}
        for start in range(0, len(wanted), 900):
            part = sorted(wanted)[start : start + 900]
            for row in Address.objects.filter(code__in=part, is_active=True).values(*self.FIELDS):
                self.by_code[row["code"]] = row
        for code in wanted:
            self.by_code.setdefault(code, None)

    def find_text(self, value: str) -> dict | None:
        from gridgov.registry.addressing import find
        from gridgov.registry.models import Address

        if value in self.by_text:
            return self.by_text[value]
        scope = Address.objects.filter(
            is_active=True, village__code__startswith=self.importer.area_code
        )
        found = find(value, scope, strict=True)  # every part found: 12号301室 ≠ 12号
        row = None
        if found is not None:
            row = {name: getattr(found, name.replace("__", "."), None) for name in self.FIELDS}
            row["grid__code"] = found.grid.code if found.grid_id else None
        self.by_text[value] = row
        return row

    def resolve(self, raw, code_key, text_key, errors: RowErrors, *, required=True):
        code = text(raw, code_key, max_length=64) if code_key else ""
        value = text(raw, text_key, max_length=300) if text_key else ""
        if code:
            row = self.by_code.get(code)
            if row is None:
                errors.add(code_key, _("地址不存在：未找到地址编码“%(code)s”") % {"code": code})
                return None
            key = code_key
        elif value:
            row = self.find_text(value)
            if row is None:
                errors.add(text_key, _("地址不存在或无法识别，请核对或改填地址编码"))
                return None
            key = text_key
        else:
            if required:
                errors.add(code_key or text_key, _("缺少必填项（地址编码或地址至少填一项）"))
            return None
        if row["grid_id"] is None:
            errors.add(key, _("该地址未定位到网格，请使用门牌、楼栋或户室地址"))
            return None
        if not self.importer.in_area(row["grid__code"]):
            errors.add(key, _("该地址") + self.importer.outside_area_message())
            return None
        return row


# Persons ---------------------------------------------------------------------------------


def person_index(id_number: str) -> str:
    from gridgov.registry.models import Person

    return Person._meta.get_field("id_number").index_of(id_number)


def check_document(raw, errors: RowErrors, *, id_type_key="id_type") -> tuple[str, str]:
    id_type = choice(
        raw,
        id_type_key,
        DocumentType,
        errors,
        default=DocumentType.RESIDENT_ID,
        synonyms=DOCUMENT_SYNONYMS,
    )
    number = identifier(raw, "id_number", errors)
    if not number:
        if "id_number" not in raw:
            errors.add("id_number", _("缺少必填项"))
        return id_type, ""
    if not id_type:
        return id_type, ""
    try:
        return id_type, identity.check_document(id_type, number)
    except ValidationError as exc:
        errors.take("id_number", exc)
        return id_type, ""


class PersonImporter(Importer):
    kind = ImportKind.PERSONS
    record_kind = RecordKind.PERSON

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from gridgov.registry.models import Ethnicity

        self.addresses = AddressLookup(self)
        self.seen: dict[tuple[str, str], int] = {}
        self.heads: dict[tuple[str, int], int] = {}
        self.written = self.analysed = 0
        self.ethnicities = {}
        for ethnicity in Ethnicity.objects.all():
            self.ethnicities[ethnicity.code] = ethnicity
            self.ethnicities[ethnicity.name] = ethnicity
            self.ethnicities[ethnicity.name.removesuffix("族")] = ethnicity

    def prepare(self, chunk) -> None:
        self.addresses.load(text(raw, "residence", 64) for _n, raw in chunk)

    def check(self, number, raw, errors):
        data = {"name": required(raw, "name", errors, max_length=60)}
        id_type, id_number = check_document(raw, errors)
        data["id_type"], data["id_number"] = id_type, id_number
        category = choice(
            raw, "category", PersonCategory, errors, default=PersonCategory.REGISTERED
        )
        data["category"] = category
        data["category_given"] = bool(text(raw, "category"))
        if id_type and category == PersonCategory.REGISTERED and id_type != "ric":
            errors.add("id_type", _("户籍人口须登记居民身份证"))
        if id_type == DocumentType.RESIDENT_ID and category == PersonCategory.OVERSEAS:
            errors.add("id_type", _("境外人员须登记护照或其他出入境证件"))
        gender = choice(raw, "gender", Gender, errors, synonyms=GENDER_SYNONYMS)
        birth = parse_date(raw, "birth_date", errors)
        if id_type == DocumentType.RESIDENT_ID and id_number:
            derived_gender = str(identity.gender_of(id_number))
            derived_birth = identity.birth_date_of(id_number)
            if gender and gender not in (derived_gender, Gender.UNKNOWN):
                errors.add("gender", _("性别与身份证号码不符"))
            if birth and birth != derived_birth:
                errors.add("birth_date", _("出生日期与身份证号码不符"))
            gender, birth = derived_gender, derived_birth
        if birth and birth > self.today:
            errors.add("birth_date", _("出生日期不能晚于今天"))
        data["gender"] = gender or Gender.UNKNOWN
        data["birth_date"] = birth
        ethnicity_name = text(raw, "ethnicity", 20)
        ethnicity = self.ethnicities.get(ethnicity_name) if ethnicity_name else None
        if ethnicity_name and ethnicity is None:
            errors.add(
                "ethnicity", _("无法识别的民族“%(value)s”") % {"value": echo(ethnicity_name)}
            )
        data["ethnicity"] = ethnicity
        nationality = text(raw, "nationality", 3).upper()
        if nationality and not (len(nationality) == 3 and nationality.isalpha()):
            errors.add("nationality", _("国籍应为三位字母代码，如 CHN、VNM"))
        data["nationality"] = nationality
        phone = text(raw, "phone", 30)
        data["phone"] = ""
        if phone:
            try:
                data["phone"] = identity.check_phone(phone)
            except ValidationError as exc:
                errors.take("phone", exc)
        data["hukou_place"] = text(raw, "hukou_place", 200)
        data["relation"] = choice(raw, "relation", Relation, errors, synonyms=RELATION_SYNONYMS)
        data["residence_start"] = parse_date(raw, "residence_start", errors)
        if data["residence_start"] and data["residence_start"] > self.today:
            errors.add("residence_start", _("居住起始日期不能晚于今天"))
        data["household"] = text(raw, "household", 30)
        address = self.addresses.resolve(raw, "residence", "residence_text", errors)
        data["address"] = address
        if data["relation"] == Relation.HEAD and data["household"] and address:
            head_key = (data["household"], address["id"])
            if head_key in self.heads and self.heads[head_key] != number:
                errors.add(
                    "relation",
                    _("同一户已有户主（第%(row)d行）") % {"row": self.heads[head_key]},
                )
        if id_number and id_type:
            key = (id_type, id_number)
            first = self.seen.get(key)
            if first is not None and first != number:
                errors.add("id_number", _("与第%(row)d行重复（证件号码相同）") % {"row": first})
            elif not errors:
                self.seen[key] = number
        if not errors and data["relation"] == Relation.HEAD and data["household"]:
            self.heads.setdefault((data["household"], address["id"]), number)
        return data

    def classify(self, good):
        from gridgov.registry.models import Household, Person, Submission

        if not good:
            return
        for item in good:
            item.data["index"] = person_index(item.data["id_number"])
        existing = {}
        indexes = [item.data["index"] for item in good]
        for person in Person.objects.filter(id_number_index__in=indexes).select_related(
            "household"
        ):
            existing[(person.id_type, person.id_number_index)] = person
        households = {}
        numbers = {item.data["household"] for item in good if item.data["household"]}
        if numbers:
            for household in Household.objects.filter(
                number__in=numbers, address_id__in={item.data["address"]["id"] for item in good}
            ):
                households[(household.number, household.address_id)] = household
        self.households = households
        conflicts = []
        for item in good:
            data = item.data
            person = existing.get((data["id_type"], data["index"]))
            if person is None:
                item.action = "create"
                continue
            item.record = person
            if person.residence_id != data["address"]["id"]:
                item.action = "conflict"
                conflicts.append(item)
                continue
            changes = {}
            proposed = {
                "name": data["name"],
                "gender": data["gender"],
                "birth_date": data["birth_date"],
            }
            for name in ("phone", "hukou_place", "relation", "residence_start", "nationality"):
                if data[name]:
                    proposed[name] = data[name]
            if data["ethnicity"] is not None:
                proposed["ethnicity_id"] = data["ethnicity"].pk
            if data["household"]:
                household = households.get((data["household"], data["address"]["id"]))
                if household is None or person.household_id != household.pk:
                    proposed["household_number"] = data["household"]
            if data["category_given"]:
                proposed["category"] = data["category"]
            for name, value in proposed.items():
                if name == "household_number" or getattr(person, name) != value:
                    changes[name] = value
            item.changes = changes
            item.action = "update" if changes else "unchanged"
        if conflicts:  # a move already waiting for verification is not submitted again
            pending = set(
                Submission.objects.filter(
                    key_index__in=[item.data["index"] for item in conflicts],
                    status=SubmissionStatus.PENDING,
                    record_kind=RecordKind.PERSON,
                ).values_list("key_index", flat=True)
            )
            for item in conflicts:
                item.data["already_pending"] = item.data["index"] in pending

    def _households(self, items: list[Good]) -> None:
        """The households the rows name (by 户号 at the address), created as needed."""
        from gridgov.registry.models import Household

        new = {}
        for item in items:
            data = item.data
            if not data["household"] or (
                item.action == "update" and "household_number" not in item.changes
            ):
                continue
            key = (data["household"], data["address"]["id"])
            if key not in self.households and key not in new:
                new[key] = {
                    "number": data["household"],
                    "kind": "family",
                    "address_id": data["address"]["id"],
                    "grid_id": data["address"]["grid_id"],
                    "version": 1,
                    "verified_at": self.now,
                    "verified_by_id": self.actor_id,
                }
        fast_insert(Household, list(new.values()))
        for key, row in new.items():
            self.households[key] = SimpleNamespace(pk=row["id"], public_id=row["public_id"])
        for item in items:
            data = item.data
            key = (data["household"], data["address"]["id"])
            if data["household"] and key in self.households:
                household = self.households[key]
                data["household_id"] = household.pk
                data["household_public_id"] = household.public_id

    def payload(self, row: dict, data: dict) -> dict:
        """The version's data, in the form of ``payloads.clean_person``."""

        def iso(value):
            return value.isoformat() if value else None

        return {
            "name": row["name"],
            "category": row["category"],
            "id_type": row["id_type"],
            "id_number": data["id_number"],
            "gender": row["gender"],
            "birth_date": iso(row["birth_date"]),
            "ethnicity": data["ethnicity_code"],
            "nationality": row["nationality"],
            "phone": data["phone_plain"],
            "hukou_place": row["hukou_place"],
            "relation": row["relation"],
            "residence_start": iso(row["residence_start"]),
            "residence_end": iso(row.get("residence_end")),
            "status": row["status"],
            "residence": data["address"]["code"],
            "household": data.get("household_public_id", ""),
        }

    def write(self, good):
        from gridgov.registry.models import Household, Person, PersonEvent, Submission

        for item in good:
            if item.action == "conflict" and not item.data.get("already_pending"):
                self.submit_conflict(RecordKind.PERSON, self.raw_for_submit(item.data))
        creates = [item for item in good if item.action == "create"]
        updates = [item for item in good if item.action == "update"]
        self._households(creates + updates)
        rows = []
        for item in creates:
            data = item.data
            address = data["address"]
            data["ethnicity_code"] = data["ethnicity"].code if data["ethnicity"] else ""
            data["phone_plain"] = data["phone"]
            rows.append(
                {
                    "name": data["name"],
                    "id_type": data["id_type"],
                    "id_number": data["id_number"],
                    "id_number_index": data["index"],
                    "nationality": data["nationality"] or "CHN",
                    "gender": data["gender"],
                    "birth_date": data["birth_date"],
                    "ethnicity_id": data["ethnicity"].pk if data["ethnicity"] else None,
                    "phone": data["phone"],
                    "hukou_place": data["hukou_place"],
                    "category": data["category"],
                    "residence_id": address["id"],
                    "household_id": data.get("household_id"),
                    "relation": data["relation"],
                    "residence_start": data["residence_start"],
                    "status": PersonStatus.PRESENT,
                    "grid_id": address["grid_id"],
                    "version": 1,
                    "verified_at": self.now,
                    "verified_by_id": self.actor_id,
                }
            )
        # The payloads need the plaintext: build them before the insert encrypts the row.
        payloads = [self.payload(row, item.data) for row, item in zip(rows, creates, strict=True)]
        fast_insert(Person, rows)
        versions = []
        for row, item, payload in zip(rows, creates, payloads, strict=True):
            versions.append(
                self.version(
                    RecordKind.PERSON,
                    row,
                    payload,
                    grid_id=item.data["address"]["grid_id"],
                    village_id=item.data["address"]["village_id"],
                    summary=f"{mask_name(item.data['name'])} {mask_id_number(item.data['id_number'])}",
                    key=item.data["index"],
                )
            )
        for item in updates:
            data, person = item.data, item.record
            for name, value in item.changes.items():
                if name == "household_number":
                    person.household_id = data["household_id"]
                else:
                    setattr(person, name, value)
            self.stamp(person, new=False)
            person.save()
            if "household_public_id" not in data and person.household_id:
                data["household_public_id"] = person.household.public_id
            data["ethnicity_code"] = person.ethnicity.code if person.ethnicity_id else ""
            data["phone_plain"] = person.phone
            row = {
                name: getattr(person, name)
                for name in (
                    "name",
                    "category",
                    "id_type",
                    "gender",
                    "birth_date",
                    "nationality",
                    "hukou_place",
                    "relation",
                    "residence_start",
                    "residence_end",
                    "status",
                )
            }
            versions.append(
                self.version(
                    RecordKind.PERSON,
                    person,
                    self.payload(row, data),
                    grid_id=data["address"]["grid_id"],
                    village_id=data["address"]["village_id"],
                    summary=f"{mask_name(person.name)} {mask_id_number(person.id_number)}",
                    key=data["index"],
                )
            )
        version_ids = self.save_versions(versions)
        events = []
        for row, item, version_id in zip(rows, creates, version_ids, strict=False):
            if item.data["residence_start"]:
                events.append(
                    {
                        "person_id": row["id"],
                        "kind": PersonEventKind.MOVE_IN,
                        "date": item.data["residence_start"],
                        "address_id": item.data["address"]["id"],
                        "note": "",
                        "submission_id": version_id,
                    }
                )
        fast_insert(PersonEvent, events)
        self.written += len(rows)
        if self.written >= max(5_000, 10 * self.analysed):
            refresh_statistics(Person, Submission, Household)
            self.analysed = self.written

    def raw_for_submit(self, data) -> dict:
        return {
            "name": data["name"],
            "category": data["category"],
            "id_type": data["id_type"],
            "id_number": data["id_number"],
            "gender": data["gender"],
            "birth_date": data["birth_date"].isoformat() if data["birth_date"] else "",
            "ethnicity": data["ethnicity"].code if data["ethnicity"] else "",
            "nationality": data["nationality"] or "CHN",
            "phone": data["phone"],
            "hukou_place": data["hukou_place"],
            "relation": data["relation"],
            "residence_start": (
                data["residence_start"].isoformat() if data["residence_start"] else ""
            ),
            "residence": data["address"]["code"],
        }


# Care tags -------------------------------------------------------------------------------


class CareTagImporter(Importer):
    kind = ImportKind.CARE_TAGS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from gridgov.registry.models import CareTagKind

        self.kinds = {}
        for kind in CareTagKind.objects.filter(is_active=True):
            self.kinds[kind.code] = kind
            self.kinds[kind.name] = kind
        self.allowed = allowed_tag_codes(self.actor, self.area_code)
        self.seen: dict[tuple, int] = {}
        self.persons: dict[tuple[str, str], object] = {}

    def prepare(self, chunk):
        from gridgov.registry.models import Person

        indexes = set()
        for _n, raw in chunk:
            number = text(raw, "id_number", 40)
            if number:
                indexes.add(person_index(number))
        for person in Person.objects.filter(id_number_index__in=indexes).select_related("grid"):
            self.persons[(person.id_type, person.id_number_index)] = person

    def check(self, number, raw, errors):
        id_type, id_number = check_document(raw, errors)
        person = None
        if id_number:
            person = self.persons.get((id_type, person_index(id_number)))
            if person is None or not self.in_area(person.grid.code):
                errors.add("id_number", _("未找到该证件号码的人员（须先导入或采集人口信息）"))
                person = None
        name = text(raw, "name", 60)
        if person is not None and name and name != person.name:
            errors.add("name", _("姓名与登记的人员信息不符"))
        kind_name = required(raw, "kind", errors, 40)
        kind = self.kinds.get(kind_name) if kind_name else None
        if kind_name and kind is None:
            names = "、".join(sorted({k.name for k in self.kinds.values()}))
            errors.add(
                "kind",
                _("无法识别“%(value)s”，应为：%(names)s") % {"value": kind_name, "names": names},
            )
        elif kind is not None and self.allowed is not None and kind.code not in self.allowed:
            errors.add("kind", _("无权导入“%(kind)s”标签") % {"kind": kind.name})
        since = parse_date(raw, "since", errors)
        until = parse_date(raw, "until", errors)
        if since and until and until < since:
            errors.add("until", _("终止日期不能早于起始日期"))
        if person is not None and kind is not None:
            key = (person.pk, kind.code)
            first = self.seen.get(key)
            if first is not None and first != number:
                errors.add("kind", _("与第%(row)d行重复（同一人员同一类别）") % {"row": first})
            elif not errors:
                self.seen[key] = number
        return {
            "person": person,
            "kind": kind,
            "since": since,
            "until": until,
            "note": text(raw, "note", 500),
        }

    def classify(self, good):
        from gridgov.registry.models import CareTag

        field = CareTag._meta.get_field("kind_code")
        for item in good:
            item.data["index"] = field.index_of(item.data["kind"].code)
        tags = {}
        for tag in CareTag.objects.filter(person__in=[item.data["person"] for item in good]):
            tags[(tag.person_id, tag.kind_index)] = tag
        for item in good:
            data = item.data
            tag = tags.get((data["person"].pk, data["index"]))
            if tag is None:
                item.action = "create"
                continue
            item.record = tag
            changes = {}
            for name in ("since", "until", "note"):
                if data[name] and getattr(tag, name) != data[name]:
                    changes[name] = data[name]
            item.changes = changes
            item.action = "update" if changes else "unchanged"

    def write(self, good):
        from gridgov.registry.models import CareTag

        new = []
        for item in good:
            data = item.data
            if item.action == "create":
                new.append(
                    CareTag(
                        person=data["person"],
                        kind_code=data["kind"].code,
                        note=data["note"],
                        since=data["since"],
                        until=data["until"],
                        grid_id=data["person"].grid_id,
                        created_by=self.actor,
                    )
                )
            elif item.action == "update":
                for name, value in item.changes.items():
                    setattr(item.record, name, value)
                item.record.save()
        CareTag.objects.bulk_create(new, batch_size=1000)


def allowed_tag_codes(actor, area_code: str) -> set[str] | None:
    """The care-tag kinds ``actor`` may record in ``area_code`` (None: all, the system)."""
    if actor is None:
        return None
    from gridgov.accounts.scope import current_posts
    from gridgov.registry.scope import visible_tag_codes
    from gridgov.registry.scope_import import may_import

    codes: set[str] = set()
    for post in current_posts(actor):
        if may_import(post) and area_code.startswith(post.area.code):
            codes.update(visible_tag_codes(post))
    return codes


# Units -----------------------------------------------------------------------------------


class UnitImporter(Importer):
    kind = ImportKind.UNITS
    record_kind = RecordKind.UNIT

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.addresses = AddressLookup(self)
        self.seen: dict[str, int] = {}

    def prepare(self, chunk):
        self.addresses.load(text(raw, "address", 64) for _n, raw in chunk)

    def check(self, number, raw, errors):
        data = {"name": required(raw, "name", errors, 200)}
        code = identifier(raw, "credit_code", errors)
        data["credit_code"] = ""
        if not code and "credit_code" not in raw:
            errors.add("credit_code", _("缺少必填项"))
        elif code:
            try:
                data["credit_code"] = identity.check_credit_code(code)
            except ValidationError as exc:
                errors.take("credit_code", exc)
        data["kind"] = choice(raw, "kind", UnitKind, errors, default=UnitKind.ENTERPRISE)
        data["address"] = self.addresses.resolve(raw, "address", "address_text", errors)
        data["legal_representative"] = text(raw, "legal_representative", 60)
        data["contact_name"] = text(raw, "contact_name", 60)
        data["contact_phone"] = ""
        phone = text(raw, "contact_phone", 30)
        if phone:
            try:
                data["contact_phone"] = identity.check_phone(phone, "contact_phone")
            except ValidationError as exc:
                errors.take("contact_phone", exc)
        data["staff_count"] = integer_value(raw, "staff_count", errors)
        data["key_place_kind"] = choice(raw, "key_place_kind", KeyPlaceKind, errors)
        data["patrol_frequency"] = choice(raw, "patrol_frequency", PatrolFrequency, errors)
        data["is_key_unit"] = bool(data["key_place_kind"])
        if data["is_key_unit"] and not data["patrol_frequency"]:
            errors.add("patrol_frequency", _("重点单位须设定巡查频次"))
        if data["credit_code"]:
            first = self.seen.get(data["credit_code"])
            if first is not None and first != number:
                errors.add(
                    "credit_code", _("与第%(row)d行重复（统一社会信用代码相同）") % {"row": first}
                )
            elif not errors:
                self.seen[data["credit_code"]] = number
        return data

    FIELDS = (
        "name",
        "kind",
        "legal_representative",
        "contact_name",
        "contact_phone",
        "staff_count",
        "key_place_kind",
        "patrol_frequency",
        "is_key_unit",
    )

    def classify(self, good):
        from gridgov.registry.models import Submission, Unit

        units = {
            u.credit_code: u
            for u in Unit.objects.filter(
                credit_code__in=[i.data["credit_code"] for i in good]
            ).select_related("grid")
        }
        for item in good:
            data = item.data
            unit = units.get(data["credit_code"])
            if unit is None:
                item.action = "create"
                continue
            item.record = unit
            if not self.in_area(unit.grid.code if unit.grid_id else ""):
                # Registered in another area: the change waits for verification there.
                item.action = "conflict"
                item.data["already_pending"] = Submission.objects.filter(
                    record_kind=RecordKind.UNIT, record_id=unit.pk, status=SubmissionStatus.PENDING
                ).exists()
                continue
            changes = {}
            if unit.address_id != data["address"]["id"]:
                changes["address_id"] = data["address"]["id"]
                changes["grid_id"] = data["address"]["grid_id"]
            for name in self.FIELDS:
                value = data[name]
                optional = name not in ("name", "kind", "is_key_unit")
                if (value in ("", None)) and optional:
                    continue
                if getattr(unit, name) != value:
                    changes[name] = value
            item.changes = changes
            item.action = "update" if changes else "unchanged"

    def payload(self, unit, address_code) -> dict:
        return {
            "name": unit.name,
            "credit_code": unit.credit_code or "",
            "kind": unit.kind,
            "address": address_code,
            "legal_representative": unit.legal_representative,
            "contact_name": unit.contact_name,
            "contact_phone": unit.contact_phone,
            "staff_count": unit.staff_count,
            "is_key_unit": unit.is_key_unit,
            "key_place_kind": unit.key_place_kind,
            "patrol_frequency": unit.patrol_frequency,
        }

    def write(self, good):
        from gridgov.registry.models import Unit

        created, changed = [], []
        for item in good:
            data = item.data
            if item.action == "create":
                unit = Unit(
                    address_id=data["address"]["id"],
                    grid_id=data["address"]["grid_id"],
                    credit_code=data["credit_code"],
                    **{name: data[name] for name in self.FIELDS},
                )
                self.stamp(unit, new=True)
                created.append((item, unit))
            elif item.action == "update":
                unit = item.record
                for name, value in item.changes.items():
                    setattr(unit, name, value)
                self.stamp(unit, new=False)
                unit.save()
                changed.append((item, unit))
            elif item.action == "conflict" and not data.get("already_pending"):
                raw = {name: data[name] for name in self.FIELDS}
                raw |= {"credit_code": data["credit_code"], "address": data["address"]["code"]}
                self.submit_conflict(RecordKind.UNIT, raw, record=item.record)
        Unit.objects.bulk_create([unit for _i, unit in created], batch_size=500)
        self.save_versions(
            [
                self.version(
                    RecordKind.UNIT,
                    unit,
                    self.payload(unit, item.data["address"]["code"]),
                    grid_id=unit.grid_id,
                    village_id=item.data["address"]["village_id"],
                    summary=unit.name,
                )
                for item, unit in [*created, *changed]
            ]
        )


# Addresses and houses ----------------------------------------------------------------------

ADDRESS_LEVELS = (
    ("road", AddressLevel.ROAD),
    ("door", AddressLevel.DOOR),
    ("building", AddressLevel.BUILDING),
    ("unit", AddressLevel.UNIT),
    ("room", AddressLevel.ROOM),
)


@dataclass
class Node:
    """One address part, registered (``id``) or to be created by this import."""

    level: str
    name: str
    village_id: int
    parent: "Node | None"
    code: str = ""
    id: int | None = None
    grid_id: int | None = None
    grid_code: str = ""
    full_name: str = ""
    lon: float | None = None
    lat: float | None = None
    row: int = 0


class AddressImporter(Importer):
    kind = ImportKind.ADDRESSES
    record_kind = RecordKind.ADDRESS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from gridgov.areas.models import Grid

        self.villages: dict[str, object] = {}
        self.loaded: set[int] = set()
        self.nodes: dict[tuple, Node] = {}
        self.by_code: dict[str, Node] = {}
        self.counters: dict[str, int] = {}
        self.grid_codes = dict(
            Grid.objects.filter(code__startswith=self.area_code).values_list("id", "code")
        )
        self.grid_ids = {code: pk for pk, code in self.grid_codes.items()}
        self.owners: dict[tuple[str, str], object] = {}
        self.units: dict[str, object] = {}
        self.seen_houses: dict[str, int] = {}
        self.claimed: set[int] = set()
        self.village_by_id: dict[int, object] = {}

    # -- the address tree, loaded per village --

    def _key(self, village_id, parent: Node | None, level, name) -> tuple:
        # Below a parent names are unique; at the top of a village per level.
        if parent is None:
            return (village_id, None, level, name)
        return (village_id, id(parent), None, name)

    def _load_village(self, village) -> None:
        from gridgov.registry.models import Address

        if village.pk in self.loaded:
            return
        self.loaded.add(village.pk)
        rows = list(
            Address.objects.filter(village=village)
            .order_by("code")
            .values("id", "code", "level", "name", "parent_id", "grid_id", "full_name")
        )
        by_id: dict[int, Node] = {}
        for row in sorted(rows, key=lambda r: len(r["code"])):
            parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
            node = Node(
                level=row["level"],
                name=row["name"],
                village_id=village.pk,
                parent=parent,
                code=row["code"],
                id=row["id"],
                grid_id=row["grid_id"],
                grid_code=self.grid_codes.get(row["grid_id"], "") if row["grid_id"] else "",
                full_name=row["full_name"],
            )
            by_id[row["id"]] = node
            self.nodes[self._key(village.pk, parent, node.level, node.name)] = node
            self.by_code[node.code] = node
            self._count(node.code, parent.code if parent else village.code, node.level)

    def _count(self, code: str, parent_code: str, level: str) -> None:
        letter, width = ADDRESS_CODE_PARTS[AddressLevel(level)]
        stem = f"{parent_code}{letter}"
        tail = code[len(stem) :]
        if code.startswith(stem) and len(tail) == width and tail.isdigit():
            self.counters[stem] = max(self.counters.get(stem, 0), int(tail))

    def _next_code(self, parent_code: str, level: str) -> str | None:
        letter, width = ADDRESS_CODE_PARTS[AddressLevel(level)]
        stem = f"{parent_code}{letter}"
        sequence = self.counters.get(stem, 0) + 1
        if sequence >= 10**width:
            return None
        self.counters[stem] = sequence
        return f"{stem}{sequence:0{width}d}"

    def prepare(self, chunk):
        from gridgov.areas.choices import AreaLevel
        from gridgov.areas.models import Area
        from gridgov.registry.models import Person, Unit

        codes = {text(raw, "village", 12) for _n, raw in chunk} - set(self.villages)
        for village in Area.objects.filter(code__in=codes, level=AreaLevel.VILLAGE):
            self.villages[village.code] = village
            self.village_by_id[village.pk] = village
        for code in codes:
            self.villages.setdefault(code, None)
        wanted = {text(raw, "owner_id_number", 40) for _n, raw in chunk} - {""}
        if wanted:
            indexes = [person_index(n) for n in wanted]
            for person in Person.objects.filter(id_number_index__in=indexes):
                self.owners[person.id_number_index] = person
        credit = {text(raw, "owner_unit", 18) for _n, raw in chunk} - {""}
        if credit:
            for unit in Unit.objects.filter(credit_code__in=credit):
                self.units[unit.credit_code] = unit

    def check(self, number, raw, errors):
        from gridgov.areas.locate import locate

        village_code = required(raw, "village", errors, 12)
        village = self.villages.get(village_code) if village_code else None
        if village_code and village is None:
            errors.add("village", _("村（社区）代码“%(code)s”不存在") % {"code": village_code})
        elif village is not None and not village.code.startswith(self.area_code):
            errors.add("village", _("该村（社区）") + self.outside_area_message())
            village = None
        lon = float_value(raw, "lon", errors, -180, 180)
        lat = float_value(raw, "lat", errors, -90, 90)
        if (lon is None) != (lat is None):
            errors.add("lon", _("经度和纬度须同时填写"))
        code = text(raw, "code", 64)
        target = None
        if village is not None:
            self._load_village(village)
        if code:
            target = self.by_code.get(code)
            if target is None or (village is not None and target.village_id != village.pk):
                errors.add("code", _("地址不存在：未找到地址编码“%(code)s”") % {"code": code})
                target = None
        elif village is not None:
            if not text(raw, "door"):
                errors.add("door", _("缺少必填项"))
            if text(raw, "unit") and not text(raw, "building"):
                errors.add("unit", _("填写单元时须填写楼栋"))
            if not errors:
                target = self._walk(village, raw, lon, lat, number, errors, locate)
        house = self._check_house(raw, errors, target, number)
        return {"target": target, "house": house, "village": village}

    def _walk(self, village, raw, lon, lat, number, errors, locate):
        parent = None
        located = None
        for key, level in ADDRESS_LEVELS:
            name = text(raw, key, 100)
            if not name:
                continue
            name = normalise_part(level, name)
            node_key = self._key(village.pk, parent, level, name)
            node = self.nodes.get(node_key)
            if node is None:
                node = Node(
                    level=level, name=name, village_id=village.pk, parent=parent, row=number
                )
                node.full_name = f"{parent.full_name if parent else village.name}{name}"[:300]
                if level in (AddressLevel.DOOR, AddressLevel.BUILDING) and lon is not None:
                    if located is None:
                        located = locate(lon, lat)
                    grid = located.grid
                    if grid is None:
                        errors.add("lon", _("该位置不在任何网格内，请核对经纬度"))
                        return None
                    if not grid.code.startswith(village.code):
                        errors.add(
                            "lon",
                            _("该位置属于网格“%(grid)s”，不在%(village)s范围内")
                            % {"grid": grid.name, "village": village.name},
                        )
                        return None
                    node.lon, node.lat = lon, lat
                    node.grid_code = grid.code
                    node.grid_id = self.grid_ids.get(grid.code)
                elif parent is not None:
                    node.grid_id, node.grid_code = parent.grid_id, parent.grid_code
                if level in (AddressLevel.DOOR, AddressLevel.BUILDING) and node.grid_id is None:
                    errors.add(key, _("新增门牌、楼栋须填写经纬度（以确定所属网格）"))
                    return None
                parent_code = parent.code if parent else village.code
                if parent is not None and not parent.code:
                    parent_code = None  # the parent is new too: coded when written
                node.code = self._next_code(parent_code, level) if parent_code else ""
                if parent_code and not node.code:
                    errors.add(key, _("该上级地址下的地址数量已达上限"))
                    return None
                self.nodes[node_key] = node
            parent = node
        if parent is not None and not self.in_area(parent.grid_code):
            errors.add("door", _("该地址") + self.outside_area_message())
            return None
        return parent

    def _check_house(self, raw, errors, target, number):
        use = choice(raw, "use", HouseUse, errors)
        floor_area = decimal_value(raw, "floor_area", errors, 10**6)
        owner_number = identifier(raw, "owner_id_number", errors)
        owner = None
        if owner_number:
            owner = self.owners.get(person_index(owner_number))
            if owner is None:
                errors.add("owner_id_number", _("未找到产权人（须先导入或采集人口信息）"))
        unit_code = text(raw, "owner_unit", 18)
        owner_unit = self.units.get(unit_code) if unit_code else None
        if unit_code and owner_unit is None:
            errors.add("owner_unit", _("未找到该信用代码的单位（须先导入单位信息）"))
        if owner_number and unit_code:
            errors.add("owner_unit", _("房屋只能登记一个产权人（个人或单位）"))
        has_house_data = use or floor_area is not None or owner_number or unit_code
        if has_house_data and not use:
            errors.add("use", _("登记房屋须填写房屋用途"))
        if not use:
            return None
        if target is not None:
            key = f"node:{id(target)}"
            first = self.seen_houses.get(key)
            if first is not None and first != number:
                errors.add("use", _("与第%(row)d行重复（同一地址的房屋）") % {"row": first})
            elif not errors:
                self.seen_houses[key] = number
        return {
            "use": use,
            "floor_area": floor_area,
            "owner": owner,
            "owner_unit": owner_unit,
            "note": text(raw, "note", 200),
        }

    def classify(self, good):
        from gridgov.registry.models import House, Submission

        existing_ids = [
            i.data["target"].id for i in good if i.data["target"].id and i.data["house"]
        ]
        houses = {h.address_id: h for h in House.objects.filter(address_id__in=existing_ids)}
        for item in good:
            target, house = item.data["target"], item.data["house"]
            node, creates = target, False
            while node is not None and node.id is None:
                if id(node) not in self.claimed:
                    self.claimed.add(id(node))
                    creates = True
                node = node.parent
            if creates:
                item.action = "create"
            record = houses.get(target.id) if target.id else None
            item.record = record
            if house is None:
                item.action = item.action or "unchanged"
                continue
            if record is None:
                item.action = "create"
                continue
            current_owner = record.owner_id or record.owner_unit_id
            proposed = house["owner"] or house["owner_unit"]
            if (
                current_owner
                and proposed
                and (
                    (house["owner"] and record.owner_id != house["owner"].pk)
                    or (house["owner_unit"] and record.owner_unit_id != house["owner_unit"].pk)
                )
            ):
                item.action = "conflict"
                item.data["already_pending"] = Submission.objects.filter(
                    record_kind=RecordKind.HOUSE,
                    record_id=record.pk,
                    status=SubmissionStatus.PENDING,
                ).exists()
                continue
            changes = {}
            if record.use != house["use"]:
                changes["use"] = house["use"]
            if house["floor_area"] is not None and record.floor_area != house["floor_area"]:
                changes["floor_area"] = house["floor_area"]
            if house["owner"] and record.owner_id != house["owner"].pk:
                changes["owner"] = house["owner"]
            if house["owner_unit"] and record.owner_unit_id != house["owner_unit"].pk:
                changes["owner_unit"] = house["owner_unit"]
            if house["note"] and record.note != house["note"]:
                changes["note"] = house["note"]
            item.changes = changes
            item.action = "update" if changes else (item.action or "unchanged")

    def write(self, good):
        from gridgov.registry.models import Address, House

        # New address parts, level by level (a child needs its parent's id and code).
        pending: list[Node] = []
        seen: set[int] = set()
        for item in good:
            node = item.data["target"]
            chain = []
            while node is not None and node.id is None:
                chain.append(node)
                node = node.parent
            for part in reversed(chain):
                if id(part) not in seen:
                    seen.add(id(part))
                    pending.append(part)
        versions = []
        for _key, level in ADDRESS_LEVELS:
            batch = [node for node in pending if node.level == level]
            if not batch:
                continue
            rows = []
            for node in batch:
                village = self.village_by_id[node.village_id]
                parent_code = node.parent.code if node.parent else village.code
                if not node.code:
                    node.code = self._next_code(parent_code, level)
                if node.grid_id is None and node.parent is not None:
                    node.grid_id, node.grid_code = node.parent.grid_id, node.parent.grid_code
                address = Address(
                    code=node.code,
                    level=level,
                    name=node.name,
                    parent_id=node.parent.id if node.parent else None,
                    village_id=node.village_id,
                    full_name=node.full_name,
                    lon=node.lon,
                    lat=node.lat,
                    grid_id=node.grid_id,
                )
                self.stamp(address, new=True)
                rows.append((node, address, parent_code))
            Address.objects.bulk_create([a for _n, a, _p in rows], batch_size=500)
            for node, address, parent_code in rows:
                node.id = address.pk
                self.by_code[node.code] = node
                versions.append(
                    self.version(
                        RecordKind.ADDRESS,
                        address,
                        {
                            "level": level,
                            "name": node.name,
                            "parent": node.parent.code if node.parent else "",
                            "village": parent_code[:12],
                            "lon": node.lon,
                            "lat": node.lat,
                            "code": node.code,
                        },
                        grid_id=node.grid_id,
                        village_id=node.village_id,
                        summary=node.name,
                    )
                )
        new_houses, changed = [], []
        for item in good:
            house = item.data["house"]
            target = item.data["target"]
            if house is None:
                continue
            if item.action == "conflict":
                if item.data.get("already_pending"):
                    continue
                self.submit_conflict(
                    RecordKind.HOUSE,
                    {
                        "address": target.code,
                        "use": house["use"],
                        "owner": house["owner"].public_id if house["owner"] else "",
                        "owner_unit": house["owner_unit"].public_id if house["owner_unit"] else "",
                        "floor_area": house["floor_area"],
                        "note": house["note"],
                    },
                    record=item.record,
                )
                continue
            if item.record is None:
                record = House(
                    address_id=target.id,
                    grid_id=target.grid_id,
                    use=house["use"],
                    owner=house["owner"],
                    owner_unit=house["owner_unit"],
                    floor_area=house["floor_area"],
                    note=house["note"],
                )
                self.stamp(record, new=True)
                new_houses.append((target, record))
            elif item.changes:
                record = item.record
                for name, value in item.changes.items():
                    setattr(record, name, value)
                self.stamp(record, new=False)
                record.save()
                changed.append((target, record))
        House.objects.bulk_create([h for _t, h in new_houses], batch_size=500)
        for target, record in [*new_houses, *changed]:
            versions.append(
                self.version(
                    RecordKind.HOUSE,
                    record,
                    {
                        "address": target.code,
                        "use": record.use,
                        "owner": record.owner.public_id if record.owner_id else "",
                        "owner_unit": record.owner_unit.public_id if record.owner_unit_id else "",
                        "floor_area": str(record.floor_area) if record.floor_area else None,
                        "note": record.note,
                    },
                    grid_id=target.grid_id,
                    village_id=target.village_id,
                    summary=target.code,
                )
            )
        self.save_versions(versions)


# Rentals ---------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[;；、,，\s/]+")


class RentalImporter(Importer):
    kind = ImportKind.RENTALS
    record_kind = RecordKind.RENTAL

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.addresses = AddressLookup(self)
        self.persons: dict[str, object] = {}
        self.houses: dict[str, object] = {}
        self.seen: dict[tuple, int] = {}

    def prepare(self, chunk):
        from gridgov.registry.models import House, Person

        numbers = set()
        codes = set()
        for _n, raw in chunk:
            numbers.add(text(raw, "landlord", 40))
            numbers.update(_SEPARATORS.split(text(raw, "tenants", 2000)))
            codes.add(text(raw, "house", 64))
        indexes = {person_index(n): n for n in numbers if n}
        for person in Person.objects.filter(id_number_index__in=list(indexes)):
            self.persons[person.id_number_index] = person
        self.addresses.load(codes)
        for value in {text(raw, "house_text", 300) for _n, raw in chunk} - {""}:
            row = self.addresses.find_text(value)
            if row is not None:
                codes.add(row["code"])
        for house in House.objects.filter(address__code__in=codes - {""}).select_related(
            "address", "grid"
        ):
            self.houses[house.address.code] = house

    def _person(self, value, key, errors):
        try:
            number = identity.check_resident_id(value, key)
        except ValidationError:
            number = re.sub(r"[\s\-]", "", value).upper()
        person = self.persons.get(person_index(number))
        if person is None:
            errors.add(key, _("未找到该证件号码的人员（须先导入或采集人口信息）"))
        return person

    def check(self, number, raw, errors):
        address = self.addresses.resolve(raw, "house", "house_text", errors)
        code = address["code"] if address else ""
        house = self.houses.get(code) if code else None
        if code and house is None:
            key = "house" if text(raw, "house") else "house_text"
            errors.add(key, _("该地址未登记房屋（须先导入标准地址和房屋）"))
        elif house is not None and not self.in_area(house.grid.code):
            errors.add("house", _("该房屋") + self.outside_area_message())
            house = None
        landlord_number = identifier(raw, "landlord", errors)
        landlord = self._person(landlord_number, "landlord", errors) if landlord_number else None
        if not landlord_number and "landlord" not in raw:
            errors.add("landlord", _("缺少必填项"))
        tenants = []
        for value in _SEPARATORS.split(text(raw, "tenants", 2000)):
            if value:
                tenant = self._person(value, "tenants", errors)
                if tenant is not None:
                    tenants.append(tenant)
        start = parse_date(raw, "start_date", errors)
        if start is None and "start_date" not in raw:
            errors.add("start_date", _("缺少必填项"))
        end = parse_date(raw, "end_date", errors)
        if start and end and end < start:
            errors.add("end_date", _("租赁终止日期不能早于起始日期"))
        if landlord is not None and any(t.pk == landlord.pk for t in tenants):
            errors.add("tenants", _("承租人不能是出租人本人"))
        if house and landlord and start:
            key = (house.pk, landlord.pk, start)
            first = self.seen.get(key)
            if first is not None and first != number:
                errors.add(
                    "start_date",
                    _("与第%(row)d行重复（同一房屋、出租人和起租日期）") % {"row": first},
                )
            elif not errors:
                self.seen[key] = number
        return {
            "house": house,
            "landlord": landlord,
            "tenants": tenants,
            "start": start,
            "end": end,
        }

    def classify(self, good):
        from gridgov.registry.models import Rental

        rentals = {}
        for rental in Rental.objects.filter(
            house__in=[i.data["house"] for i in good]
        ).prefetch_related("tenancies"):
            rentals[(rental.house_id, rental.landlord_id, rental.start_date)] = rental
        for item in good:
            data = item.data
            rental = rentals.get((data["house"].pk, data["landlord"].pk, data["start"]))
            if rental is None:
                item.action = "create"
                continue
            item.record = rental
            changes = {}
            if data["end"] and rental.end_date != data["end"]:
                changes["end_date"] = data["end"]
            have = {t.person_id for t in rental.tenancies.all()}
            missing = [t for t in data["tenants"] if t.pk not in have]
            if missing:
                changes["tenants"] = missing
            item.changes = changes
            item.action = "update" if changes else "unchanged"

    def write(self, good):
        from gridgov.registry.models import Rental, Tenancy

        created, changed = [], []
        for item in good:
            data = item.data
            if item.action == "create":
                rental = Rental(
                    house=data["house"],
                    landlord=data["landlord"],
                    start_date=data["start"],
                    end_date=data["end"],
                    grid_id=data["house"].grid_id,
                )
                self.stamp(rental, new=True)
                created.append((item, rental))
            elif item.action == "update":
                rental = item.record
                if "end_date" in item.changes:
                    rental.end_date = item.changes["end_date"]
                self.stamp(rental, new=False)
                rental.save()
                changed.append((item, rental))
        Rental.objects.bulk_create([r for _i, r in created], batch_size=500)
        tenancies = []
        for item, rental in created:
            for tenant in {t.pk: t for t in item.data["tenants"]}.values():
                tenancies.append(
                    Tenancy(rental=rental, person=tenant, start_date=rental.start_date)
                )
        for item, rental in changed:
            for tenant in item.changes.get("tenants", []):
                tenancies.append(
                    Tenancy(rental=rental, person=tenant, start_date=rental.start_date)
                )
        Tenancy.objects.bulk_create(tenancies, batch_size=1000, ignore_conflicts=True)
        versions = []
        for item, rental in [*created, *changed]:
            tenants = sorted(
                Tenancy.objects.filter(rental=rental).values_list("person__public_id", flat=True)
            )
            versions.append(
                self.version(
                    RecordKind.RENTAL,
                    rental,
                    {
                        "house": item.data["house"].public_id,
                        "landlord": item.data["landlord"].public_id,
                        "tenants": tenants,
                        "start_date": rental.start_date.isoformat(),
                        "end_date": rental.end_date.isoformat() if rental.end_date else None,
                    },
                    grid_id=rental.grid_id,
                    village_id=item.data["house"].grid.village_id,
                    summary=item.data["house"].address.code,
                )
            )
        self.save_versions(versions)


IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.PERSONS: PersonImporter,
    ImportKind.CARE_TAGS: CareTagImporter,
    ImportKind.UNITS: UnitImporter,
    ImportKind.ADDRESSES: AddressImporter,
    ImportKind.RENTALS: RentalImporter,
}


def importer_for(kind: str, **kwargs) -> Importer:
    return IMPORTERS[kind](**kwargs)


def import_rows(kind, rows, *, actor, area, department=None, dry_run=False, note="", job=None):
    """Check (and unless ``dry_run`` write) rows given as (row number, {column key: value})
    — the demo and the benchmarks feed rows without a file."""
    importer = importer_for(kind, actor=actor, area=area, department=department, note=note, job=job)
    return importer.run(rows, dry_run=dry_run)


def sample_rows(kind: str) -> list[list[str]]:
    """The header and the example row of a format (for the template download)."""
    fmt = FORMATS[kind]
    return [[c.header for c in fmt.columns], [str(c.example) for c in fmt.columns]]


def area_filter(field: str, codes: list[str]) -> Q:
    condition = Q(pk__in=[])
    for code in codes:
        condition |= Q(**{f"{field}__startswith": code})
    return condition
