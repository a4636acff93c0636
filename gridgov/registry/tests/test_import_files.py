"""Reading department files: encodings, Excel, header rows, and what Excel does to
long numbers."""

import pytest

from gridgov.registry import importing
from gridgov.registry.models import Person
from gridgov.registry.testing import make_address
from gridgov.registry.tests.import_helpers import persons_table, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(territory):
    rows, _planted = persons_table(4, [make_address().code])
    return rows


def run(data, people, territory, *, dry_run=False):
    table = importing.read_table(data, "persons", "upload")
    outcome = importing.import_rows(
        "persons", table.rows, actor=people["county"], area=territory["county"], dry_run=dry_run
    )
    return table, outcome


@pytest.mark.parametrize("encoding,label", [("gbk", "GBK"), ("gb18030", "GBK"), ("utf-8", "UTF-8")])
def test_csv_in_gbk_and_utf8(people, territory, rows, encoding, label):
    rows[1][0] = "覃秀英"  # characters GBK encodes differently from UTF-8
    table, outcome = run(to_csv(rows, encoding), people, territory)
    assert table.encoding == label
    assert (outcome.created, outcome.bad_rows) == (4, 0)
    assert Person.objects.filter(name="覃秀英").exists()


def test_csv_with_bom_tabs_utf16_and_a_title_line(people, territory, rows):
    title = [["钦南区公安分局 2024年户籍人口数据"]]
    tabbed = "\n".join("\t".join(row) for row in title + rows).encode("utf-16")
    table, outcome = run(tabbed, people, territory)
    assert table.encoding == "UTF-16" and table.header_row == 2
    assert outcome.created == 4
    bom = "\ufeff".encode() + to_csv(rows)
    _table, outcome = run(bom, people, territory, dry_run=True)
    assert outcome.unchanged == 4


def test_xlsx(people, territory, rows):
    table, outcome = run(to_xlsx(rows), people, territory)
    assert table.file_format == "xlsx"
    assert (outcome.created, outcome.bad_rows) == (4, 0)


def test_excel_numbers_and_dates(people, territory, rows):
    """An ID number typed into a number cell has lost its last digits; a date cell
    arrives as a date; a phone number as an integer is fine."""
    from datetime import datetime

    rows[1][1] = float(rows[1][1][:17] + "0")  # what Excel keeps of a long number
    rows[2][9] = datetime(2015, 3, 1)
    rows[3][4] = int(rows[3][4])
    _table, outcome = run(to_xlsx(rows), people, territory, dry_run=True)
    assert outcome.bad_rows == 1
    row, column, reason = outcome.errors[0]
    assert (row, column) == (2, "证件号码") and "文本" in reason


def test_header_aliases_and_unknown_columns(people, territory, rows):
    rows[0][1] = "公民身份号码"
    rows[0].append("备注")
    for row in rows[1:]:
        row.append("x")
    table, outcome = run(to_csv(rows), people, territory, dry_run=True)
    assert table.unknown == ["备注"]
    assert outcome.bad_rows == 0


def test_error_reports_never_hold_values(people, territory, rows):
    """Row, column and reason only: a report is safe to show and to download."""
    from gridgov.registry.testing import assert_no_plain_personal_data

    good_id = rows[1][1]
    rows[2][1] = good_id  # duplicate
    rows[3][4] = "1390000"  # bad phone
    _table, outcome = run(to_csv(rows), people, territory, dry_run=True)
    assert outcome.bad_rows == 2
    text = repr(outcome.errors)
    assert good_id not in text and "1390000" not in text
    assert_no_plain_personal_data(text)


def test_the_header_must_name_the_required_columns(people, territory):
    with pytest.raises(importing.FileProblem) as caught:
        importing.read_table("名字,电话\n".encode(), "persons")
    assert "缺少必填列：证件号码" in caught.value.message
    with pytest.raises(importing.FileProblem) as caught:
        importing.read_table(b"a,b\n1,2\n", "units")
    assert "未找到表头" in caught.value.message
