"""Loading a city's initial matter list (`gridgov load-matters`) and the demo catalogue."""

import copy
import io
import json
import time
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gridgov.areas.choices import AreaKind, AreaLevel
from gridgov.areas.models import Area
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.matters import actions
from gridgov.matters.catalogue import CatalogueError, load_catalogue, read_catalogue
from gridgov.matters.choices import NoticeKind, WorkKind
from gridgov.matters.demo import CATALOGUE
from gridgov.matters.models import Matter, MatterNotice
from gridgov.matters.testing import matter_people, proposed
from gridgov.orgs.models import Department, DepartmentLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(territory):
    return matter_people(territory)


def entry(**overrides) -> dict:
    data = {
        "department": "测试市民政局",
        "valid_from": "2024-01-01",
        "temporary": False,
        **proposed(),
    }
    data.update(overrides)
    return data


def catalogue(*matters, level="city", area="9901") -> dict:
    return {"level": level, "area": area, "matters": list(matters)}


def test_loads_version_one_with_a_notice_each_and_one_audit_event(people):
    data = catalogue(
        entry(code="0601005"),
        entry(name="留守儿童关爱走访"),  # code allocated
        entry(
            name="台风期间转移群众",
            work_kind="hazard",
            temporary=True,
            valid_from="2026-06-01",
            valid_to="2026-09-30",
        ),
    )
    before = AuditEvent.objects.filter(kind=AuditKind.IMPORT).count()
    report = load_catalogue(data)
    assert report.created == ["0601005", "0601006", "0301001"]
    matters = {m.code: m for m in Matter.objects.all()}
    assert set(matters) == set(report.created)
    assert all(m.version == 1 and m.level == "city" for m in matters.values())
    assert matters["0301001"].is_temporary
    assert matters["0301001"].valid_to == date(2026, 9, 30)
    assert matters["0601005"].department == people["department"]
    kinds = dict(MatterNotice.objects.values_list("matter_code", "kind"))
    assert kinds == {
        "0601005": NoticeKind.ADMISSION,
        "0601006": NoticeKind.ADMISSION,
        "0301001": NoticeKind.TEMPORARY,
    }
    assert AuditEvent.objects.filter(kind=AuditKind.IMPORT).count() == before + 1

    # A rerun changes nothing.
    again = load_catalogue(data)
    assert again.created == [] and len(again.unchanged) == 3 and again.changed == []
    assert Matter.objects.count() == 3 and MatterNotice.objects.count() == 3
    assert AuditEvent.objects.filter(kind=AuditKind.IMPORT).count() == before + 1


def test_a_changed_entry_is_reported_not_rewritten(people):
    load_catalogue(catalogue(entry(code="0601001")))
    changed = catalogue(entry(code="0601001", description="改过的内容"), entry(name="新事项"))
    report = load_catalogue(changed)
    assert len(report.created) == 1
    assert len(report.changed) == 1
    assert "第 1 项" in report.changed[0] and "事项内容" in report.changed[0]
    assert Matter.objects.get(code="0601001").description == proposed()["description"]


def test_bad_entries_are_listed_with_their_index_and_nothing_is_written(people):
    data = catalogue(
        entry(code="0601001"),
        entry(code="601", name="编码太短"),
        entry(code="0601001", name="编码重复"),
        entry(department="不存在的局", name="部门不存在"),
        entry(name="临时无期限", temporary=True),
        entry(name="", work_kind="nonsense"),
        entry(name="日期不对", valid_from="2024/01/01"),
        entry(code="0101001", name="大类不符"),
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(data)
    errors = caught.value.errors
    assert len(errors) == 7
    text = "\n".join(errors)
    for index in range(2, 9):
        assert f"第 {index} 项" in text
    assert not any(e.startswith("第 1 项") for e in errors)
    assert "7 位数字" in text and "重复" in text and "不存在的局" in text
    assert "第七条" in text and "请填写事项名称" in text and "valid_from" in text
    assert "大类应为 06" in text
    assert not Matter.objects.exists() and not MatterNotice.objects.exists()


def test_department_must_be_of_the_lists_level_and_area(people, territory):
    Department.objects.create(
        name="测试区民政局", kind="民政", level=DepartmentLevel.COUNTY, area=territory["county"]
    )
    with pytest.raises(CatalogueError, match="第 1 项"):
        load_catalogue(catalogue(entry(department="测试区民政局")))
    load_catalogue(catalogue(entry(department="测试区民政局"), level="county", area="990101"))
    matter = Matter.objects.get()
    assert matter.level == "county" and matter.area == territory["county"]
    with pytest.raises(CatalogueError, match="县级区划"):
        load_catalogue(catalogue(entry(), level="county", area="9901"))


def test_a_code_of_another_list_is_refused(people, territory):
    county_dept = Department.objects.create(
        name="测试区民政局", kind="民政", level=DepartmentLevel.COUNTY, area=territory["county"]
    )
    load_catalogue(catalogue(entry(code="0601001")))
    with pytest.raises(CatalogueError, match="已被测试市清单使用"):
        load_catalogue(
            catalogue(
                entry(code="0601001", department=county_dept.name), level="county", area="990101"
            )
        )


def test_dry_run_writes_nothing(people):
    report = load_catalogue(catalogue(entry(), entry(name="另一项")), dry_run=True)
    assert len(report.created) == 2 and report.dry_run
    assert not Matter.objects.exists()


def test_relative_dates_are_from_the_load_day_and_not_compared_again(people):
    data = catalogue(entry(temporary=True, valid_from="-7d", valid_to="+90d"))
    load_catalogue(data)
    today = timezone.localdate()
    matter = Matter.objects.get()
    assert matter.valid_from == today - timedelta(days=7)
    assert matter.valid_to == today + timedelta(days=90)
    later = load_catalogue(data, today=today + timedelta(days=3))
    assert later.unchanged == [matter.code] and later.changed == []


def test_loaded_matters_take_tasks_and_allocation_skips_loaded_codes(people):
    load_catalogue(catalogue(entry(code="0601001")))
    task = actions.do_assign_task(
        matter_code="0601001",
        title="走访",
        instructions="每月走访",
        due_date=timezone.localdate() + timedelta(days=5),
        actor=people["agency"],
        grid_codes=["990101001001001"],
    )
    assert task.matter.code == "0601001"
    assert actions._next_code("livelihood", "01") == "0601002"


def test_command_prints_counts_and_reports_errors(people, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(catalogue(entry(), entry(name="另一项")), ensure_ascii=False))
    out = io.StringIO()
    call_command("load_matters", str(good), "--dry-run", stdout=out)
    assert "将新增事项 2 项" in out.getvalue()
    assert not Matter.objects.exists()
    out = io.StringIO()
    call_command("load_matters", str(good), stdout=out)
    assert "新增事项 2 项（公告 2 条）" in out.getvalue()
    out = io.StringIO()
    call_command("load_matters", str(good), stdout=out)
    assert "新增事项 0 项" in out.getvalue() and "未变 2 项" in out.getvalue()

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(catalogue(entry(department="无此部门")), ensure_ascii=False))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("load_matters", str(bad), stderr=err)
    assert "第 1 项" in err.getvalue()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError):
        call_command("load_matters", str(broken), stderr=io.StringIO())


def demo_city():
    """The city and the departments the demo catalogue names (as the demo creates them)."""
    data = read_catalogue(CATALOGUE)
    city = Area.objects.create(code="4507", name="钦州市", level=AreaLevel.CITY, kind=AreaKind.CITY)
    for name in {m["department"] for m in data["matters"]}:
        Department.objects.create(name=name, kind="演示", level=DepartmentLevel.CITY, area=city)
    return data


def test_demo_catalogue_loads_and_covers_every_work_kind():
    data = demo_city()
    report = load_catalogue(copy.deepcopy(data))
    matters = list(Matter.objects.all())
    assert len(matters) == len(report.created) >= 35
    assert {m.work_kind for m in matters} == set(WorkKind.values)
    temporary = [m for m in matters if m.is_temporary]
    assert [m.name for m in temporary] == ["台风季节渔船安全巡查"]
    assert temporary[0].valid_to - timezone.localdate() == timedelta(days=90)
    assert sum(m.resident_reportable for m in matters) >= 5
    assert sum(bool(m.legal_deadline_workdays) for m in matters) >= 2
    types = {a["type"] for m in matters for a in m.attributes}
    assert types == {"text", "number", "date", "single", "multiple"}
    assert all(m.valid_from < timezone.localdate() for m in matters)
    assert MatterNotice.objects.count() == len(matters)
    assert load_catalogue(data).created == []


def test_demo_departments_exist_in_the_demo_config():
    """The catalogue names only departments that ``gridgov demo`` creates."""
    from gridgov.demo import config

    names = {s.name for s in config.DEPARTMENTS} | {
        s.city.format(city="钦州市") for s in config.LINKAGE_DEPARTMENTS
    }
    used = {m["department"] for m in read_catalogue(CATALOGUE)["matters"]}
    assert used <= names


def test_matter_demo_in_the_demo_run():
    """`gridgov demo` (one county, small): the list, tasks in several towns, rerun-safe."""
    from gridgov.demo.build import run_demo
    from gridgov.demo.plan import DemoPlan
    from gridgov.matters import demo
    from gridgov.matters.models import Task, TaskAssignment

    plan = DemoPlan(scale=0.2)
    result = run_demo(counties=["450702"], plan=plan)
    assert result.matters_created >= 35 and result.tasks_created >= 4
    assert result.counts["matters"] >= 35 and result.counts["temporary_matters"] == 1
    towns = {a.grid.code[:9] for a in TaskAssignment.objects.select_related("grid")}
    assert len(towns) >= 3 and "450702112" in towns
    statuses = set(TaskAssignment.objects.values_list("status", flat=True))
    assert statuses == {"assigned", "accepted", "in_progress", "completed", "refused"}
    refused = TaskAssignment.objects.filter(status="refused")
    assert {a.refusal_ground for a in refused} == {"administrative_power"}
    assert all("行政强制" in a.refusal_note for a in refused)
    assert all(t.assigner_area.code == "4507" for t in Task.objects.all())

    tasks = Task.objects.count()
    started = time.monotonic()
    again = run_demo(counties=["450702"], plan=plan)
    assert again.matters_created == 0 and again.tasks_created == 0
    assert Task.objects.count() == tasks
    assert "新增 0 项" in demo.summary(demo.ensure_matters(), demo.ensure_tasks())
    assert time.monotonic() - started < 30


def test_a_load_recorded_by_its_caller_writes_no_event_of_its_own(people):
    before = AuditEvent.objects.count()
    load_catalogue(catalogue(entry()), record=False)
    assert Matter.objects.count() == 1
    assert AuditEvent.objects.count() == before
