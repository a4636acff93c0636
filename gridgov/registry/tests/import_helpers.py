"""Files for the import tests: persons CSV/XLSX built in memory with planted bad rows."""

import csv
import io
from datetime import date, timedelta

from gridgov.registry.identity import make_resident_id

PERSON_HEADERS = [
    "姓名",
    "证件号码",
    "性别",
    "民族",
    "联系电话",
    "人口类别",
    "居住地址编码",
    "户号",
    "与户主关系",
    "居住起始日期",
]
SURNAMES = "黄陈李梁刘张林韦王杨苏覃莫吴何蒙陆农"
GIVEN = "伟强军平勇杰涛明辉华芳娜敏静丽艳娟霞燕玲"


def person_id(i: int) -> str:
    """A distinct valid fictitious ID number for each i (area, birth day, sequence)."""
    born = date(1940, 1, 1) + timedelta(days=(i * 37) % 25_000)
    area = ("450702", "450703", "450721", "450722")[i % 4]
    return make_resident_id(born, i // 97 % 1000, area)


def person_row(i: int, addresses: list[str]) -> list[str]:
    number = person_id(i)
    household = i // 3
    relation = ("户主", "配偶", "子女")[i % 3]
    return [
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)],
        number,
        "男" if int(number[16]) % 2 else "女",
        ("汉族", "壮族", "瑶族")[i % 3],
        f"139{i:08d}",
        "户籍人口",
        addresses[household % len(addresses)],
        f"H{household:06d}",
        relation,
        "2015-03-01",
    ]


def _bad(kind: int, i: int, row: list[str], earlier: list[str]) -> list[str]:
    """Spoil a row in one of ten ways; returns it."""
    row = list(row)
    if kind == 0:  # check digit
        last = row[1][-1]
        row[1] = row[1][:-1] + ("0" if last != "0" else "1")
    elif kind == 1:  # missing required name
        row[0] = ""
    elif kind == 2:  # bad date
        row[9] = "2015-02-30"
    elif kind == 3:  # unknown address
        row[6] = "990101001001L999M9999"
    elif kind == 4:  # duplicate of an earlier good row
        row[1] = earlier[1]
    elif kind == 5:  # bad phone
        row[4] = "12345"
    elif kind == 6:  # unknown ethnicity
        row[3] = "火星族"
    elif kind == 7:  # unknown category
        row[5] = "外星人口"
    elif kind == 8:  # wrong length
        row[1] = row[1][:17]
    elif kind == 9:  # gender contradicts the ID number
        row[2] = "女" if row[2] == "男" else "男"
    return row


def persons_table(n: int, addresses: list[str], bad_every: int = 0, bad_count: int = 0):
    """(rows with header, planted bad row numbers as in the file: header is row 1)."""
    rows = [PERSON_HEADERS]
    planted = []
    good = []
    for i in range(n):
        row = person_row(i, addresses)
        number = len(rows) + 1
        if bad_every and i % bad_every == bad_every - 1 and len(planted) < bad_count:
            kind = len(planted) % 10
            row = _bad(kind, i, row, good[len(good) // 2])
            planted.append(number)
        else:
            good.append(row)
        rows.append(row)
    return rows, planted


def to_csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def to_xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
