"""The other file types: standard addresses and houses, units, care tags, rentals."""

import pytest

from gridgov.core.exceptions import NotPermitted
from gridgov.registry import actions_import, importing
from gridgov.registry.models import (
    Address,
    CareTag,
    House,
    Person,
    Rental,
    Submission,
    Unit,
)
from gridgov.registry.testing import GRID_A1, make_address, make_credit_code
from gridgov.registry.tests.import_helpers import persons_table, to_csv

pytestmark = pytest.mark.django_db

VILLAGE_A = GRID_A1[:12]


def run(kind, rows, actor, area, *, dry_run=False):
    table = importing.read_table(to_csv(rows), kind)
    return importing.import_rows(kind, table.rows, actor=actor, area=area, dry_run=dry_run)


ADDRESS_HEADERS = ["村（社区）代码", "街路巷", "门牌号", "楼栋", "单元", "户室", "经度", "纬度"]
ADDRESS_HEADERS += ["房屋用途", "建筑面积", "产权人证件号码"]


def test_addresses_and_houses(people, territory):
    county, area = people["county"], territory["county"]
    rows = [
        ADDRESS_HEADERS,
        [VILLAGE_A, "和平路", "8", "", "", "", "108.004", "21.004", "经营", "120", ""],
        [
            VILLAGE_A,
            "和平路",
            "9号",
            "2幢",
            "一单元",
            "301",
            "108.006",
            "21.006",
            "出租",
            "89.5",
            "",
        ],
        [VILLAGE_A, "和平路", "9号", "2栋", "1单元", "302", "", "", "自住", "", ""],
        [VILLAGE_A, "和平路", "10号", "", "", "", "", "", "", "", ""],  # new door, no point
        [VILLAGE_A, "和平路", "11号", "", "", "", "108.5", "21.5", "", "", ""],  # outside
        ["990101001099", "和平路", "12号", "", "", "", "108.004", "21.004", "", "", ""],
    ]
    outcome = run("addresses", rows, county, area, dry_run=True)
    assert Address.objects.count() == 0
    assert outcome.bad_rows == 3
    reasons = {row: reason for row, _column, reason in outcome.errors}
    assert "经纬度" in reasons[5]
    assert "不在任何网格内" in reasons[6]
    assert "不存在" in reasons[7]

    outcome = run("addresses", rows, county, area)
    assert (outcome.created, outcome.bad_rows) == (3, 3)
    room = Address.objects.get(name="302室")
    assert room.full_name.endswith("和平路9号2栋1单元302室")
    assert room.code.startswith(VILLAGE_A) and room.grid.code == GRID_A1
    assert room.parent.parent.name == "2栋"  # 2幢 → 2栋, 一单元 → 1单元
    assert House.objects.count() == 3
    assert House.objects.get(address=room).use == "own"
    versions = Submission.objects.filter(record_kind__in=["address", "house"], source="imported")
    assert versions.count() == Address.objects.count() + House.objects.count()

    counts = (Address.objects.count(), House.objects.count(), Submission.objects.count())
    outcome = run("addresses", rows, county, area)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 3)
    assert (Address.objects.count(), House.objects.count(), Submission.objects.count()) == counts

    # A house that changes use is a new version; by code works as well as by path.
    rows = [
        ["地址编码", "村（社区）代码", "门牌号", "房屋用途"],
        [room.code, VILLAGE_A, "", "出租"],
    ]
    outcome = run("addresses", rows, county, area)
    assert outcome.updated == 1
    house = House.objects.get(address=room)
    assert (house.use, house.version) == ("rented", 2)


def test_units(people, territory):
    county, area = people["county"], territory["county"]
    door = make_address()
    code = make_credit_code(7)
    headers = ["单位名称", "统一社会信用代码", "单位类别", "地址编码", "联系电话"]
    headers += ["重点场所类别", "巡查频次"]
    rows = [
        headers,
        ["钦州市测试商贸有限公司", code, "企业", door.code, "0777-2812345", "", ""],
        ["钦州市测试小学", make_credit_code(8), "事业单位", door.code, "", "学校", "每周"],
        ["坏代码公司", code[:-1] + ("0" if code[-1] != "0" else "1"), "", door.code, "", "", ""],
        ["重复公司", code, "", door.code, "", "", ""],
        ["医院", make_credit_code(9), "", door.code, "", "医院", ""],
    ]
    outcome = run("units", rows, county, area)
    assert (outcome.created, outcome.bad_rows) == (2, 3)
    reasons = " ".join(reason for _r, _c, reason in outcome.errors)
    assert "校验位错误" in reasons and "重复" in reasons and "巡查频次" in reasons
    school = Unit.objects.get(name="钦州市测试小学")
    assert school.is_key_unit and school.patrol_frequency == "weekly"
    outcome = run("units", rows, county, area)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 2)


def test_care_tags_need_the_person_and_the_right_to_see_the_kind(people, territory):
    county, area = people["county"], territory["county"]
    rows, _planted = persons_table(3, [make_address().code])
    run("persons", rows, county, area)
    first, second = rows[1], rows[2]
    tag_rows = [
        ["证件号码", "姓名", "关爱对象类别", "起始日期"],
        [first[1], first[0], "独居老人", "2023-01-01"],
        [second[1], "", "留守儿童", ""],
        [second[1], "", "社区矫正", ""],  # sensitive: not for an agency operator
        ["450702199001011234", "", "低保", ""],  # nobody registered (and a bad ID)
        [first[1], "别人", "低保", ""],  # wrong name
    ]
    outcome = run("care_tags", tag_rows, county, area)
    assert (outcome.created, outcome.bad_rows) == (2, 3)
    reasons = " ".join(reason for _r, _c, reason in outcome.errors)
    assert "无权导入“社区矫正”标签" in reasons
    assert "姓名与登记的人员信息不符" in reasons
    assert CareTag.objects.count() == 2
    # The demo (the system itself) may record every kind; again changes nothing.
    outcome = run("care_tags", tag_rows[:3], None, area)
    assert (outcome.created, outcome.unchanged) == (0, 2)


def test_rentals(people, territory):
    county, area = people["county"], territory["county"]
    room = make_address(room="501")
    persons, _planted = persons_table(3, [room.code])
    run("persons", persons, county, area)
    House.objects.create(address=room, use="rented", grid=room.grid)
    landlord, tenant_a, tenant_b = persons[1][1], persons[2][1], persons[3][1]
    rows = [
        ["房屋地址编码", "出租人证件号码", "承租人证件号码", "租赁起始日期", "租赁终止日期"],
        [room.code, landlord, f"{tenant_a}；{tenant_b}", "2024-03-01", "2025-02-28"],
        [room.code, landlord, landlord, "2024-05-01", ""],
        [room.code + "X", landlord, "", "2024-03-01", ""],
    ]
    outcome = run("rentals", rows, county, area)
    assert (outcome.created, outcome.bad_rows) == (1, 2)
    rental = Rental.objects.get()
    assert rental.tenants.count() == 2 and rental.version == 1
    outcome = run("rentals", rows, county, area)
    assert (outcome.created, outcome.unchanged) == (0, 1)


def test_a_grid_worker_cannot_upload_any_kind(people, territory):
    for kind in ("persons", "units", "addresses", "care_tags", "rentals"):
        with pytest.raises(NotPermitted):
            actions_import.do_upload_import(
                kind=kind,
                data=to_csv([importing.sample_rows(kind)[0]]),
                file_name="x.csv",
                area=territory["county"],
                actor=people["worker"],
            )
    assert Person.objects.count() == 0
