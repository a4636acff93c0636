"""The demo's matter list and tasks (called by ``gridgov demo``).

The list is ``data/qinzhou_catalogue.json`` loaded through ``catalogue.py`` like any
city's; tasks are given to the grids of a few towns through ``actions.do_assign_task``
and moved on through the same actions grid staff use, so the demo passes every rule of
第七、十四条. Both steps skip what exists: a rerun changes nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.db.models import Count
from django.utils import timezone

from gridgov.areas.choices import AreaLevel, GridStatus
from gridgov.areas.models import Area, Grid
from gridgov.matters import actions
from gridgov.matters.catalogue import CatalogueReport, load_catalogue, read_catalogue
from gridgov.matters.choices import RefusalGround, TaskStatus
from gridgov.matters.models import Task, TaskAssignment

CATALOGUE = Path(__file__).parent / "data" / "qinzhou_catalogue.json"
# Towns that get demo tasks, first those the personas work in; others with grids fill up.
PREFERRED_TOWNS = ("450702112", "450702105", "450722001", "450703002", "450721001")
TOWNS = 4


@dataclass(frozen=True)
class DemoTask:
    matter_code: str
    title: str
    instructions: str
    days: int  # due in this many days


# One list per town, taken in turn.
TASKS = [
    DemoTask(
        "0601001",
        "冬季独居老人走访",
        "入冬前走访辖区独居、空巢和高龄老人，重点了解取暖、用电和就医情况，发现困难及时上报。",
        20,
    ),
    DemoTask(
        "0502001",
        "反电信网络诈骗入户宣传",
        "逐户宣传冒充客服、刷单返利等常见诈骗手法，指导群众安装国家反诈中心应用并记录户数。",
        15,
    ),
    DemoTask(
        "0702001",
        "出租房屋情况排查",
        "排查网格内出租房屋和承租人，督促房东办理登记；对存在消防隐患的出租房屋责令停止出租。",
        10,
    ),
    DemoTask(
        "0301001",
        "冬春火灾防控隐患巡查",
        "巡查楼栋通道、电动自行车充电和“三小”场所用火用电情况，劝导整改并上报隐患。",
        10,
    ),
]


@dataclass
class TasksResult:
    tasks_created: int = 0
    assignments: dict = field(default_factory=dict)  # status → count (this run)


def ensure_matters() -> CatalogueReport:
    """The city's list from the shipped catalogue (idempotent). The demo's own import
    event records it (``matters_created``)."""
    return load_catalogue(read_catalogue(CATALOGUE), record=False)


def demo_towns() -> list[Area]:
    with_grids = {
        code[:9]
        for code in Grid.objects.filter(status=GridStatus.ACTIVE).values_list("code", flat=True)
    }
    towns = [c for c in PREFERRED_TOWNS if c in with_grids]
    towns += sorted(with_grids - set(towns))
    return list(Area.objects.filter(code__in=towns[:TOWNS], level=AreaLevel.TOWN).order_by("code"))


def ensure_tasks() -> TasksResult:
    """Tasks in progress in a few towns; nothing if the demo's tasks exist already."""
    result = TasksResult()
    if Task.objects.filter(assigned_by__isnull=True).exists():
        return result
    today = timezone.localdate()
    towns = demo_towns()
    tasks = []
    for number, town in enumerate(towns):
        for spec in (TASKS[number % len(TASKS)], TASKS[(number + 1) % len(TASKS)]):
            tasks.append(
                actions.do_assign_task(
                    matter_code=spec.matter_code,
                    title=f"{town.name}{spec.title}",
                    instructions=spec.instructions,
                    due_date=today + timedelta(days=spec.days),
                    actor=None,
                    area_code=town.code,
                )
            )
    result.tasks_created = len(tasks)
    for task in tasks:
        _work_on(task)
    result.assignments = dict(
        TaskAssignment.objects.filter(task__in=tasks)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return result


def _work_on(task: Task) -> None:
    """Move the grids' parts on, the same way on every run: of every ten grids two have
    not yet looked at it, two accepted it, four are working on it and two finished; a
    task that orders penalties is refused by one grid (第十四条)."""
    assignments = list(task.assignments.order_by("grid__code"))
    refuse_one = task.matter.code == "0702001"
    for index, assignment in enumerate(assignments):
        step = index % 10
        if refuse_one and index == 0:
            actions.do_refuse_task(
                assignment,
                actor=None,
                ground=RefusalGround.ADMINISTRATIVE_POWER,
                note="“责令停止出租”属于行政强制措施，应由执法人员实施；网格员已登记出租房屋"
                "情况并上报，不实施责令停止出租。",
            )
            continue
        if step < 2:
            continue
        actions.do_accept_task(assignment, actor=None)
        if step < 4:
            continue
        if step < 8:
            actions.do_report_progress(
                assignment, actor=None, progress=20 + 15 * (step - 4), note="已走访部分住户"
            )
            continue
        actions.do_complete_task(assignment, actor=None, result="已按要求完成，情况已登记上报。")


def summary(report: CatalogueReport, tasks: TasksResult) -> str:
    states = "，".join(
        f"{status.label} {tasks.assignments[status]}"
        for status in TaskStatus
        if tasks.assignments.get(status)
    )
    return (
        f"事项清单：新增 {len(report.created)} 项，未变 {len(report.unchanged)} 项；"
        f"任务新建 {tasks.tasks_created} 个" + (f"（网格分派：{states}）" if states else "")
    )
