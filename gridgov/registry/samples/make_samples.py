"""Write the synthetic sample files of this folder (run from the repository root:
``.venv/bin/python gridgov/registry/samples/make_samples.py``).

Every name, ID number, phone number and credit code here is made up: ID numbers are
valid (check digit) but belong to nobody; phones are 138 0000 000x. The village
450702001003 (新兴社区居委会, 向阳街道, 钦南区) and the point are those of the default demo
(seed 4507), so that the files import cleanly into ``gridgov demo``'s database.
"""

import csv
import io
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from stdnum.cn import uscc

from gridgov.registry.identity import make_resident_id

OUT = str(Path(__file__).resolve().parent)
V = "450702001003"
PREFIX = "钦州市钦南区向阳街道新兴社区居委会"
LON, LAT = 108.659154, 21.99985


def rid(born, seq, area="450702", male=True):
    seq = seq * 2 + (1 if male else 0)
    return make_resident_id(born, seq, area)


def write_csv(name, rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    if encoding == "utf-8":
        data = "\ufeff".encode() + data
    Path(OUT, name).write_bytes(data)


def write_xlsx(name, rows, title):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    b = Workbook()
    s = b.active
    s.title = title
    for r in rows:
        s.append(r)
    for c in s[1]:
        c.font = Font(bold=True)
    for col in s.iter_cols():
        for c in col:
            c.number_format = "@"
    b.properties.creator = "gridgov（合成数据）"
    b.properties.description = "合成数据，非真实个人信息"
    b.save(os.path.join(OUT, name))


addresses = [
    [
        "村（社区）代码",
        "街路巷",
        "门牌号",
        "楼栋",
        "单元",
        "户室",
        "经度",
        "纬度",
        "房屋用途",
        "建筑面积",
        "产权人证件号码",
        "房屋备注",
    ]
]
for room, use, area in (
    ("101室", "自住", "89"),
    ("102室", "自住", "96"),
    ("201室", "自住", "89"),
    ("202室", "出租", "96"),
    ("301室", "空置", "89"),
):
    addresses.append(
        [V, "样例路", "1号", "1栋", "1单元", room, f"{LON:.6f}", f"{LAT:.6f}", use, area, "", ""]
    )
addresses.append(
    [
        V,
        "样例路",
        "3号",
        "",
        "",
        "",
        f"{LON + 0.0004:.6f}",
        f"{LAT:.6f}",
        "经营",
        "60",
        "",
        "临街商铺",
    ]
)
write_csv("addresses.csv", addresses)

H1 = rid(date(1968, 5, 12), 450)  # 韦建国 head
S1 = rid(date(1970, 8, 3), 451, male=False)
C1 = rid(date(2012, 2, 20), 452, male=False)
H2 = rid(date(1947, 11, 2), 453, male=False)  # 覃秀英 old alone
H3 = rid(date(1962, 4, 9), 454)  # 黄德福 grandparents
S3 = rid(date(1964, 1, 15), 455, male=False)
G3 = rid(date(2016, 6, 1), 456)  # left-behind grandchild
R1 = rid(date(1990, 9, 9), 457, area="450521")  # renter from 合浦县
R2 = rid(date(1992, 3, 3), 458, area="450521", male=False)
persons = [
    [
        "姓名",
        "证件号码",
        "性别",
        "民族",
        "联系电话",
        "户籍地址",
        "人口类别",
        "居住地址",
        "户号",
        "与户主关系",
        "居住起始日期",
    ]
]


def P(name, idn, eth, phone, hukou, cat, room, hh, rel, since):
    persons.append(
        [
            name,
            idn,
            "男" if int(idn[16]) % 2 else "女",
            eth,
            phone,
            hukou,
            cat,
            PREFIX + "样例路1号1栋1单元" + room,
            hh,
            rel,
            since,
        ]
    )


QN = "广西壮族自治区钦州市钦南区"
HP = "广西壮族自治区北海市合浦县"
P("韦建国", H1, "壮族", "13800000001", QN, "户籍人口", "101室", "SAMPLE-0001", "户主", "2010-06-01")
P("莫桂兰", S1, "壮族", "13800000002", QN, "户籍人口", "101室", "SAMPLE-0001", "配偶", "2010-06-01")
P("韦雨婷", C1, "壮族", "", QN, "户籍人口", "101室", "SAMPLE-0001", "子女", "2012-02-20")
P("覃秀英", H2, "汉族", "13800000003", QN, "户籍人口", "102室", "SAMPLE-0002", "户主", "1998-03-01")
P("黄德福", H3, "汉族", "13800000004", QN, "户籍人口", "201室", "SAMPLE-0003", "户主", "2005-09-10")
P("陆秀珍", S3, "汉族", "", QN, "户籍人口", "201室", "SAMPLE-0003", "配偶", "2005-09-10")
P("黄浩宇", G3, "汉族", "", QN, "户籍人口", "201室", "SAMPLE-0003", "孙子", "2016-06-01")
P("蒙志强", R1, "汉族", "13800000005", HP, "流动人口", "202室", "SAMPLE-0004", "户主", "2024-03-01")
P("农丽娟", R2, "壮族", "13800000006", HP, "流动人口", "202室", "SAMPLE-0004", "配偶", "2024-03-01")
write_csv("persons_gbk.csv", persons, "gbk")
write_xlsx("persons.xlsx", persons, "实有人口")
bad = [list(r) for r in persons]
x = list(persons[1])
x[0] = "梁小明"
x[1] = x[1][:-1] + ("0" if x[1][-1] != "0" else "1")
x[8] = "SAMPLE-0005"
bad.append(x)  # check digit
x = list(persons[3])
x[0] = ""
x[1] = rid(date(2014, 1, 1), 459, male=False)
bad.append(x)  # missing name
x = list(persons[3])
x[1] = rid(date(2015, 7, 7), 460, male=False)
x[0] = "韦春燕"
x[10] = "2024-02-30"
bad.append(x)  # bad date
x = list(persons[3])
x[1] = rid(date(2016, 7, 7), 461, male=False)
x[0] = "韦海燕"
x[7] = PREFIX + "不存在路99号"
bad.append(x)  # unknown address
x = list(persons[2])
x[0] = "重复人"
bad.append(x)  # duplicate of row 3
write_csv("persons_with_errors.csv", bad)

write_csv(
    "care_tags.csv",
    [
        ["证件号码", "姓名", "关爱对象类别", "起始日期", "说明"],
        [H2, "覃秀英", "独居老人", "2020-01-01", "子女在广东务工"],
        [G3, "黄浩宇", "留守儿童", "2019-09-01", "父母在外务工，随祖父母生活"],
        [H3, "黄德福", "低保", "2023-01-01", ""],
    ],
)


def cc(prefix, serial):
    body = f"{prefix}450702MA{serial:07d}"[:17]
    code = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(code)
    return code


write_csv(
    "units.csv",
    [
        [
            "单位名称",
            "统一社会信用代码",
            "单位类别",
            "单位地址",
            "法定代表人",
            "联系人",
            "联系电话",
            "从业人数",
            "重点场所类别",
            "巡查频次",
        ],
        [
            "钦州市钦南区韦记粉店",
            cc("92", 9000001),
            "个体工商户",
            PREFIX + "样例路3号",
            "韦建国",
            "韦建国",
            "0777-2800001",
            "3",
            "",
            "",
        ],
        [
            "钦州市样例商贸有限公司",
            cc("91", 9000002),
            "企业",
            PREFIX + "样例路3号",
            "黄德福",
            "陆秀珍",
            "0777-2800002",
            "25",
            "人员密集场所",
            "每周",
        ],
    ],
)
write_csv(
    "rentals.csv",
    [
        ["房屋地址", "出租人证件号码", "承租人证件号码", "租赁起始日期", "租赁终止日期"],
        [PREFIX + "样例路1号1栋1单元202室", H1, f"{R1}；{R2}", "2024-03-01", "2025-02-28"],
    ],
)
print("ok")
