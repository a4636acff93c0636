"""Demo cases (联动处置, 第十七条) for ``gridgov demo``.

About 600 cases over the last twelve months across the city, in every state — at the
grid, waiting to be accepted, in hand at a village, town, county or the city, with a
linkage department, replied, resolved, fed back, rated, closed, rejected, merged,
postponed (缓办) and parked (挂账) — some of them overdue and supervised (催办, 督办单).

Each case goes through the same actions people use (:mod:`gridgov.cases.actions`), by
the demo's staff and the persona accounts, with the clock set back for every step
(``gridgov.core.clock.at``): a case reported in March was reported, accepted and
dispatched in March, and its deadlines were counted with the calendar of those days.
The sweeper then runs once at the end, so that the overdue cases are red, and the
personas find the overdue notices among their notifications. While the history is
written nobody is notified and no text message is sent (the residents' and staff's
phone numbers are made up): :func:`gridgov.cases.notify.quiet`.

A first block of cases (``SHOWCASE``) is the same in every demo and puts work into each
persona's inbox; the rest are drawn from the seed. Every case has an idempotency key
``demo-00001`` … (owner ``demo``): a rerun skips the keys that exist and adds nothing,
an interrupted run resumes, and ``--cases`` larger than before adds the missing ones.
"""

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point

from gridgov.accounts.models import User
from gridgov.areas.choices import AreaLevel, GridKind, GridStatus
from gridgov.areas.models import Area, Grid
from gridgov.cases import actions, notify
from gridgov.cases.choices import (
    OPEN_STATES,
    Channel,
    Flag,
    RejectGround,
    Status,
    Urgency,
)
from gridgov.cases.models import Case, CasePolicy, IdempotencyKey
from gridgov.cases.sweep import SweepResult, sweep
from gridgov.core import clock
from gridgov.core.exceptions import ActionError
from gridgov.core.workdays import add_workdays
from gridgov.orgs.choices import GRID_ROLES, Role
from gridgov.orgs.models import Department, Post

DEFAULT_CASES = 600
BATCH = 100  # cases per transaction
OWNER = "demo"  # the idempotency owner of the demo's submissions
CITY = "4507"
XINIUJIAO, QINNAN, XIAOJIANG = "450702112", "450702", "450722001"
CANAL_TOWNS = ("450721111",)  # 陆屋镇, on the 平陆运河
# Persona accounts (gridgov/demo/config.py) and where they act.
GRIDWORKER, TOWN_PERSONA, COUNTY_PERSONA, CITY_PERSONA, POLICE_PERSONA = (
    "demo-gridworker",
    "demo-xiniujiao",
    "demo-qinnan",
    "demo-city",
    "demo-police",
)
PERSONA_AREAS = {XINIUJIAO: TOWN_PERSONA, QINNAN: COUNTY_PERSONA, CITY: CITY_PERSONA}
LEVELS = ["village", "town", "county", "city"]
CODE_LENGTH = {"village": 12, "town": 9, "county": 6, "city": 4}
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# What residents and grid workers report ----------------------------------------------------


@dataclass(frozen=True)
class Report:
    description: str
    attributes: dict = field(default_factory=dict)


# Per matter (the resident-reportable ones of the demo list): reports, results, and the
# linkage departments (by category) that take it, first choice first.
MATTERS = {
    "0308001": {
        "reports": [
            Report("路口井盖缺失，晚上有电动车差点掉进去，请尽快处理", {"facility": "井盖"}),
            Report("小区门口一排路灯已经坏了一个多星期，晚上一片漆黑", {"facility": "路灯"}),
            Report("人行道护栏被车撞倒，倒在路边，影响行人通行", {"facility": "护栏"}),
            Report("路面塌陷出一个大坑，下雨后积水，车辆绕行容易出事故", {"facility": "路面"}),
        ],
        "results": [
            "已通知市政养护单位更换井盖，并设置警示标志，现已恢复正常",
            "已更换损坏灯具，经夜间复查照明正常",
            "已修复护栏，现场清理完毕",
            "已对塌陷路面回填修补，恢复通行",
        ],
        "lead": ("城市管理", "城管执法"),
        "assist": ("城管执法", "公安"),
        "kind": GridKind.URBAN,
    },
    "0305001": {
        "reports": [
            Report("村边有人露天焚烧垃圾和塑料，烟味很大", {"problem": "露天焚烧"}),
            Report("河边小作坊往河里排黑水，河水发臭", {"problem": "偷排污水"}),
            Report("楼下烧烤店夜间营业噪声很大，凌晨还在吵", {"problem": "噪声扰民"}),
            Report("路边小加工厂粉尘大，没有任何防护措施", {"problem": "散乱污"}),
        ],
        "results": [
            "已现场制止焚烧行为，对当事人进行教育，并清理焚烧残留物",
            "已对排污作坊立案调查，责令停止排放，河道已安排清理",
            "已约谈经营者，责令其按时收市并加装隔音设施",
            "已责令加工厂停产整改，落实防尘措施后方可恢复生产",
        ],
        "lead": ("生态环境",),
        "assist": ("公安", "城管执法"),
        "kind": None,
    },
    "0301001": {
        "reports": [
            Report(
                "楼道里堆满杂物，还有电动车在楼道充电",
                {"hazard_types": ["堵塞疏散通道", "电动自行车室内充电"], "place": "3栋2单元楼道"},
            ),
            Report(
                "沿街商铺私拉电线，插座挂在门外淋雨",
                {"hazard_types": ["私拉乱接电线"], "place": "临街商铺门口"},
            ),
            Report(
                "小区消防栓没有水，灭火器过期",
                {"hazard_types": ["消防设施损坏"], "place": "小区中庭"},
            ),
        ],
        "results": [
            "已组织清理楼道杂物，劝导住户不在楼道充电，并张贴提示",
            "已督促商户拆除私拉电线，重新规范布线",
            "已联系物业维修消防栓、更换过期灭火器，复查合格",
        ],
        "lead": ("应急管理", "公安"),
        "assist": ("公安",),
        "kind": None,
    },
    "0401001": {
        "reports": [
            Report(
                "两户邻居因房屋滴水问题多次争吵，差点动手",
                {"dispute_type": "邻里纠纷", "parties": 2},
            ),
            Report(
                "两个村民小组为山林地界发生争执，双方都不让步",
                {"dispute_type": "土地山林", "parties": 30},
            ),
            Report(
                "工地老板拖欠装修工人工钱，工人到老板家里讨要",
                {"dispute_type": "劳动争议", "parties": 6},
            ),
            Report(
                "夫妻因赡养老人问题长期争吵，老人无人照料",
                {"dispute_type": "婚姻家庭", "parties": 3},
            ),
        ],
        "results": [
            "经人民调解，双方达成协议，由滴水一方加装接水槽，矛盾已化解",
            "已组织双方现场勘界，依据确权资料划定界线，双方签字确认",
            "已协调双方，老板承诺分期支付工钱，首期已支付",
            "经调解，子女签订赡养协议，老人由长子照料",
        ],
        "lead": ("司法行政", "公安"),
        "city_lead": ("公安", "司法行政"),  # at the city, the police bureau leads
        "assist": ("公安", "司法行政"),
        "kind": None,
    },
    "0201001": {
        "reports": [
            Report(
                "希望在小区附近增设公交站点，老人出行不便",
                {"topic": "公共服务", "content": "增设公交站点"},
            ),
            Report(
                "村里篮球场年久失修，建议维修并安装照明",
                {"topic": "基础设施", "content": "维修篮球场"},
            ),
            Report(
                "咨询城乡居民医保缴费和报销政策",
                {"topic": "政策咨询", "content": "医保缴费报销"},
            ),
        ],
        "results": [
            "已将建议转交交通部门研究，拟在下一次线路优化时统筹考虑",
            "已列入村级公益事业项目，维修工作已完成",
            "已向群众解释医保缴费时间和报销比例，群众表示清楚",
        ],
        "lead": ("政务服务管理",),
        "assist": (),
        "kind": None,
    },
    "0204001": {
        "reports": [
            Report("村口垃圾池满了好几天没人清运，气味很大"),
            Report("村里生活污水直接排到路边沟渠，夏天蚊虫多"),
            Report("改厕后化粪池满溢，没人来抽"),
        ],
        "results": [
            "已协调保洁公司增加清运频次，垃圾池已清理",
            "已将该片区纳入污水管网改造计划，临时安排清淤",
            "已安排抽粪车清理，并建立定期清掏台账",
        ],
        "lead": ("农业农村",),
        "assist": ("生态环境",),
        "kind": GridKind.RURAL,
    },
    "0304001": {
        "reports": [
            Report(
                "菜市场有摊贩卖的熟食没有任何证照，卫生条件差",
                {"place": "农贸市场熟食区", "problem": "无证经营"},
            ),
            Report(
                "小卖部货架上有过期的饮料和零食在卖",
                {"place": "村口小卖部", "problem": "过期变质"},
            ),
        ],
        "results": [
            "已对无证摊贩依法查处，责令停止经营",
            "已下架过期食品并立案调查，约谈经营者",
        ],
        "lead": ("市场监管",),
        "assist": ("公安",),
        "kind": None,
    },
    "0403001": {
        "reports": [
            Report("某在建工地拖欠十几名农民工三个月工资", {"workers": 15, "amount": 180000}),
            Report("厂里老板跑了，工人工资没发", {"workers": 40}),
        ],
        "results": [
            "劳动保障监察已立案，督促施工总包单位垫付工资，已全部发放",
            "已立案调查，协助工人申请欠薪保障金，部分工资已垫付",
        ],
        "lead": ("人力资源社会保障",),
        "assist": ("公安",),
        "kind": None,
    },
    "0801001": {
        "reports": [
            Report("运河施工车辆夜间作业噪声大，影响休息"),
            Report("运河征地补偿款还没有到位，群众有意见"),
        ],
        "results": [
            "已协调施工单位调整作业时间，夜间停止高噪声作业",
            "已向群众解释补偿款发放进度，补偿款已按程序拨付",
        ],
        "lead": ("交通运输",),
        "assist": (),
        "kind": None,
    },
}
# How often each matter is reported (the canal's only in its towns).
MATTER_WEIGHTS = {
    "0308001": 18,
    "0305001": 14,
    "0301001": 14,
    "0401001": 16,
    "0201001": 10,
    "0204001": 12,
    "0304001": 6,
    "0403001": 4,
    "0801001": 6,
}
RATING_COMMENTS = {
    "satisfied": ["处理很及时，谢谢", "满意，效率很高", ""],
    "basic": ["问题解决了，但时间有点长", "基本满意", ""],
}
UNSATISFIED = "问题没有彻底解决，又出现了"
ESCALATE_NOTES = [
    "超出网格处置能力，需上级协调处理",
    "涉及多个部门职责，请上级协调",
    "当事人不配合，需执法部门介入",
]
REJECT_REASONS = {
    RejectGround.INVALID: "经现场核实，反映的情况不存在",
    RejectGround.OUT_OF_LIST: "属于民事合同纠纷，不属于网格服务管理事项，已告知当事人通过诉讼解决",
}


# The plan of one case -----------------------------------------------------------------------


@dataclass
class Plan:
    index: int
    place: str  # "gw" (the persona's grid), "xnj" (犀牛脚镇), "qn" (钦南区), "xj" (小江街道), "any"
    target: str  # a Status value
    level: str | None  # where it is handled: grid, village, town, county, city
    matter: str | None = None
    channel: str | None = None
    red: bool = False  # overdue at the end
    yellow: bool = False  # most of its time used at the end
    answer: bool | None = None  # the supervision order answered (None: by chance)
    supervise: bool = False
    urge: bool = False
    dept: bool = False  # handled by a linkage department
    lead: str | None = None  # the department's category, if fixed
    assist: bool = False
    extension: str = ""  # "", "pending", "approved"
    rework: bool = False
    return_first: bool = False
    reopen: bool = False
    unrated: bool = False
    hand_down: bool = False


def _p(place, target, level=None, **options) -> Plan:
    return Plan(0, place, target, level, **options)


# The same in every demo: work in each persona's inbox, and every state at least once.
SHOWCASE = [
    # demo-gridworker: the grid's inbox.
    _p("gw", Status.AT_GRID, "grid"),
    _p(
        "gw",
        Status.AT_GRID,
        "grid",
        matter="0301001",
        red=True,
        urge=True,
        supervise=True,
        answer=True,
    ),
    _p("gw", Status.CLOSED, "grid"),
    _p("gw", Status.FED_BACK, "grid", channel=Channel.RESIDENT),
    # demo-xiniujiao: 犀牛脚镇's agency.
    _p("xnj", Status.SUBMITTED, "town"),
    _p("xnj", Status.ACCEPTED, "town", channel=Channel.PHONE),
    _p("xnj", Status.ACCEPTED, "town", yellow=True),
    _p(
        "xnj",
        Status.ACCEPTED,
        "town",
        matter="0308001",
        red=True,
        urge=True,
        supervise=True,
        answer=False,
    ),
    _p("xnj", Status.REPLIED, "town", dept=True, matter="0401001"),
    _p("xnj", Status.RESOLVED, "town", channel=Channel.RESIDENT),
    _p("xnj", Status.FED_BACK, "town", channel=Channel.RESIDENT),
    _p("xnj", Status.HANDLING, "town", dept=True, matter="0401001", extension="pending"),
    _p(
        "xnj",
        Status.HANDLING,
        "town",
        dept=True,
        matter="0301001",
        red=True,
        supervise=True,
        answer=True,
    ),
    _p("xnj", Status.DISPATCHED, "town", dept=True, matter="0401001", assist=True),
    _p("xnj", Status.POSTPONED, "town"),
    _p("xnj", Status.PARKED, "town"),
    _p("xnj", Status.REJECTED, "town"),
    _p("xnj", Status.MERGED, "town"),
    _p("xnj", Status.CLOSED, "town", dept=True, matter="0401001", channel=Channel.RESIDENT),
    _p("xnj", Status.CLOSED, "town", channel=Channel.RESIDENT, reopen=True),
    _p("xnj", Status.CLOSED, "town", channel=Channel.RESIDENT, unrated=True),
    # demo-qinnan: 钦南区's agency.
    _p("xnj", Status.SUBMITTED, "county"),
    _p(
        "qn",
        Status.ACCEPTED,
        "county",
        matter="0305001",
        red=True,
        urge=True,
        supervise=True,
        answer=False,
    ),
    _p("qn", Status.REPLIED, "county", dept=True, matter="0305001"),
    _p("qn", Status.DISPATCHED, "county", dept=True, matter="0308001", return_first=True),
    _p("qn", Status.CLOSED, "county", dept=True, matter="0308001", rework=True),
    # demo-city and demo-police (钦州市公安局).
    _p("xnj", Status.SUBMITTED, "city"),
    _p("qn", Status.ACCEPTED, "city", matter="0201001"),
    _p("xnj", Status.DISPATCHED, "city", dept=True, matter="0401001", lead="公安"),
    _p(
        "qn",
        Status.HANDLING,
        "city",
        dept=True,
        matter="0401001",
        lead="公安",
        red=True,
        urge=True,
        supervise=True,
        answer=False,
    ),
    _p(
        "xnj",
        Status.HANDLING,
        "city",
        dept=True,
        matter="0305001",
        lead="公安",
        assist=True,
        extension="approved",
    ),
    _p("qn", Status.REPLIED, "city", dept=True, matter="0401001", lead="公安"),
    _p("qn", Status.CLOSED, "city", dept=True, matter="0401001", lead="公安"),
    # demo-pubei: 小江街道 (浦北县), the outsider with work of its own.
    _p("xj", Status.SUBMITTED, "town"),
    _p("xj", Status.ACCEPTED, "town", channel=Channel.PHONE),
]

# The rest: how often each outcome is drawn.
TARGETS = [
    (Status.CLOSED, 50),
    (Status.REJECTED, 4),
    (Status.MERGED, 3),
    (Status.AT_GRID, 6),
    (Status.SUBMITTED, 5),
    (Status.ACCEPTED, 5),
    (Status.DISPATCHED, 3),
    (Status.HANDLING, 7),
    (Status.REPLIED, 3),
    (Status.RESOLVED, 3),
    (Status.FED_BACK, 5),
    (Status.POSTPONED, 3),
    (Status.PARKED, 3),
]
# The CasePolicy time limit of the stage a case waits in (for the 临期 ones).
STAGE_POLICY = {
    Status.AT_GRID: "grid_workdays",
    Status.SUBMITTED: "accept_workdays",
    Status.ACCEPTED: "agency_workdays",
    Status.DISPATCHED: "sign_workdays",
    Status.REPLIED: "verify_workdays",
    Status.RESOLVED: "feedback_workdays",
}
DEPT_TARGETS = {Status.DISPATCHED, Status.HANDLING, Status.REPLIED}
TIMED_TARGETS = {
    Status.AT_GRID,
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.REPLIED,
    Status.RESOLVED,
}


def _pick(rng: random.Random, weighted) -> str:
    items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    return rng.choices([k for k, _w in items], [w for _k, w in items])[0]


def draw_plan(index: int, rng: random.Random) -> Plan:
    """A random case (beyond the showcase): outcome, level and the turns on the way."""
    target = _pick(rng, TARGETS)
    place = _pick(rng, {"gw": 4, "xnj": 14, "qn": 22, "any": 60})
    plan = Plan(index, place, target, None)
    if target in TIMED_TARGETS:
        plan.red = rng.random() < 0.3
        plan.yellow = not plan.red and rng.random() < 0.15
        plan.urge = plan.red and rng.random() < 0.5
        plan.supervise = plan.red and rng.random() < 0.35
    if target == Status.AT_GRID:
        plan.level = "grid"
        return plan
    if target in DEPT_TARGETS:
        plan.dept = True
    elif target in (Status.CLOSED, Status.FED_BACK, Status.RESOLVED):
        # Most of what grid staff meet they resolve on the spot (就地解决).
        route = _pick(rng, {"grid": 55, "agency": 17, "dept": 24, "hand_down": 4})
        if route == "grid":
            plan.level = "grid"
        plan.dept = route == "dept"
        plan.hand_down = route == "hand_down"
    if plan.level is None:
        levels = {"town": 60, "county": 25, "city": 15} if plan.dept else {}
        levels = levels or {"village": 25, "town": 55, "county": 14, "city": 6}
        plan.level = _pick(rng, levels)
    if plan.dept:
        plan.assist = rng.random() < 0.25
        plan.return_first = rng.random() < 0.05
        plan.rework = target == Status.CLOSED and rng.random() < 0.1
        if target == Status.HANDLING and rng.random() < 0.2:
            plan.extension = rng.choice(["pending", "approved"])
    if target == Status.CLOSED:
        plan.unrated = rng.random() < 0.2
        plan.reopen = not plan.unrated and rng.random() < 0.06
    return plan


# Who is who --------------------------------------------------------------------------------


class Cast:
    """The demo's people and places, read once: who acts for each grid, village, agency
    and department (a persona where there is one, for part of the work)."""

    def __init__(self):
        self.users: dict[int, User] = {}
        self.personas = dict(
            User.objects.filter(username__startswith="demo-").values_list("username", "id")
        )
        self.areas = {
            a["id"]: a
            for a in Area.objects.filter(code__startswith=CITY).values("id", "code", "level")
        }
        self.area_by_code = {a["code"]: a["id"] for a in self.areas.values()}
        grid_staff: dict[int, list] = {}
        self.village_staff: dict[int, dict] = {}
        self.operators: dict[int, list[int]] = {}
        self.leaders: dict[int, int] = {}
        self.handlers: dict[int, list[int]] = {}
        posts = Post.objects.current().values_list(
            "user_id", "role", "grid_id", "area_id", "department_id"
        )
        rank = {Role.FULLTIME: 0, Role.LEADER: 1}
        for user_id, role, grid_id, area_id, department_id in posts.order_by("pk"):
            if grid_id and role in GRID_ROLES:
                grid_staff.setdefault(grid_id, []).append((rank.get(role, 2), user_id))
            elif area_id and role in (Role.CHIEF, Role.GUIDE):
                self.village_staff.setdefault(area_id, {})[role] = user_id
            elif area_id and role == Role.AGENCY_OPERATOR:
                self.operators.setdefault(area_id, []).append(user_id)
            elif area_id and role == Role.AGENCY_LEADER:
                self.leaders.setdefault(area_id, user_id)
            elif department_id and role == Role.DEPARTMENT_HANDLER:
                self.handlers.setdefault(department_id, []).append(user_id)
        self.grid_staff = {g: [u for _r, u in sorted(s)] for g, s in grid_staff.items()}
        # Territorial grids with someone to act for them.
        self.grids = {
            g["id"]: g
            for g in Grid.objects.filter(
                code__startswith=CITY,
                status=GridStatus.ACTIVE,
                kind__in=(GridKind.URBAN, GridKind.RURAL),
                pk__in=list(self.grid_staff),
            ).values("id", "code", "kind", "village_id")
        }
        self.departments: dict[tuple[int, str], list[Department]] = {}
        self.department_by_id: dict[int, Department] = {}
        for department in Department.objects.filter(
            area__code__startswith=CITY, is_active=True, pk__in=list(self.handlers)
        ).order_by("pk"):
            self.departments.setdefault((department.area_id, department.kind), []).append(
                department
            )
            self.department_by_id[department.pk] = department
        persona_grid = Post.objects.current().filter(user__username=GRIDWORKER).first()
        self.persona_grid = persona_grid.grid_id if persona_grid else None
        self.shapes: dict[int, object] = {}
        self._grids_in: dict[str, list[int]] = {}

    def user(self, user_id: int) -> User:
        if user_id not in self.users:
            self.users[user_id] = User.objects.get(pk=user_id)
        return self.users[user_id]

    def persona(self, username: str) -> User | None:
        user_id = self.personas.get(username)
        return self.user(user_id) if user_id else None

    # Places

    def grids_in(self, prefix: str) -> list[int]:
        if prefix not in self._grids_in:
            self._grids_in[prefix] = sorted(
                g for g, row in self.grids.items() if row["code"].startswith(prefix)
            )
        return list(self._grids_in[prefix])

    def village_has_staff(self, village_id: int) -> bool:
        return bool(self.village_staff.get(village_id))

    def area_id(self, code: str) -> int | None:
        return self.area_by_code.get(code)

    def point_in(self, grid_id: int, rng: random.Random) -> tuple[float, float]:
        """A random point well inside the grid (so that locating it finds this grid)."""
        if grid_id not in self.shapes:
            shape = Grid.objects.get(pk=grid_id).shape
            inner = shape.buffer(-0.0003)
            self.shapes[grid_id] = (shape, inner if not inner.is_empty else None)
        shape, inner = self.shapes[grid_id]
        if inner is not None:
            min_lon, min_lat, max_lon, max_lat = inner.bounds
            for _try in range(30):
                lon = round(rng.uniform(min_lon, max_lon), 6)
                lat = round(rng.uniform(min_lat, max_lat), 6)
                if inner.contains(Point(lon, lat)):
                    return lon, lat
        point = shape.representative_point()
        return round(point.x, 6), round(point.y, 6)

    # People

    def grid_user(self, grid_id: int, rng: random.Random) -> User:
        if grid_id == self.persona_grid and rng.random() < 0.8:
            return self.persona(GRIDWORKER)
        return self.user(self.grid_staff[grid_id][0])

    def agency_user(self, area_id: int, rng: random.Random, *, leader: bool = False) -> User:
        if self.areas[area_id]["level"] == AreaLevel.VILLAGE:
            staff = self.village_staff[area_id]
            if leader:
                return self.user(staff[Role.CHIEF])
            return self.user(staff.get(Role.CHIEF) or staff[Role.GUIDE])
        if leader:
            return self.user(self.leaders[area_id])
        persona = PERSONA_AREAS.get(self.areas[area_id]["code"])
        if persona and persona in self.personas and rng.random() < 0.7:
            return self.persona(persona)
        return self.user(rng.choice(self.operators[area_id]))

    def department_user(self, department: Department, rng: random.Random) -> User:
        if department.kind == "公安" and department.area_id == self.area_id(CITY):
            persona = self.persona(POLICE_PERSONA)
            if persona is not None and rng.random() < 0.7:
                return persona
        return self.user(self.handlers[department.pk][0])

    def department(self, area_id: int, kinds, rng: random.Random, *, avoid=()) -> Department | None:
        for kind in kinds:
            choices = [d for d in self.departments.get((area_id, kind), []) if d not in avoid]
            if choices:
                return rng.choice(choices)
        return None

    def other_department(self, area_id: int, avoid, rng: random.Random) -> Department | None:
        choices = [
            d
            for (area, _kind), ds in sorted(self.departments.items(), key=lambda kv: kv[0][1])
            if area == area_id
            for d in ds
            if d not in avoid
        ]
        return rng.choice(choices) if choices else None


# Time ----------------------------------------------------------------------------------------


def working_hours(moment: datetime, rng: random.Random) -> datetime:
    """Staff act between 8:00 and 19:00 local time: a later moment is moved on."""
    local = timezone.localtime(moment)
    if local.hour < 8:
        local = local.replace(hour=8, minute=rng.randrange(60))
    elif local.hour >= 19:
        local = (local + DAY).replace(hour=8, minute=rng.randrange(60))
    return local


# Walking a case through the actions ----------------------------------------------------------


class Skip(Exception):
    """The plan cannot be carried out here (no department of that kind, say)."""


@dataclass
class Step:
    name: str
    delay: tuple[float, float]  # hours, drawn
    args: dict = field(default_factory=dict)


class Walker:
    """Carries one plan out. :meth:`prepare` decides everything first — the place, the
    matter, the channel, the steps and their moments, so that the history ends where the
    plan wants it to end — and :meth:`run` then does the steps one by one, each at its
    moment, through the actions."""

    def __init__(self, cast: Cast, plan: Plan, rng: random.Random, end: datetime, matters):
        self.cast, self.plan, self.rng, self.end = cast, plan, rng, end
        self.matters = matters
        self.case: Case | None = None

    def prepare(self) -> datetime:
        """Decide the case; returns the moment it is reported."""
        cast, rng = self.cast, self.rng
        self.grid_id = self.choose_grid()
        grid = cast.grids[self.grid_id]
        self.matter_code = self.choose_matter(grid)
        self.channel = self.choose_channel()
        matter = self.matters[self.matter_code]
        self.anonymous = (
            self.channel == Channel.RESIDENT
            and matter.anonymous_allowed
            and self.plan.target != Status.FED_BACK
            and not (self.plan.unrated or self.plan.reopen)
            and rng.random() < 0.15
        )
        # A named resident (or caller) to tell the result to and to rate it.
        self.requester = self.channel != Channel.GRID and not self.anonymous
        self.report = rng.choice(MATTERS[self.matter_code]["reports"])
        self.results = MATTERS[self.matter_code]["results"]
        self.steps = self.route(grid)
        self.moments = self.schedule(self.steps)
        return self.moments[0]

    # Placing the case

    def choose_grid(self) -> int:
        cast, rng, place = self.cast, self.rng, self.plan.place
        if place == "gw" and cast.persona_grid in cast.grids:
            return cast.persona_grid
        pools = {"xnj": XINIUJIAO, "qn": QINNAN, "xj": XIAOJIANG}
        pool = cast.grids_in(pools[place]) if place in pools else []
        if place == "xnj" and cast.persona_grid in pool and len(pool) > 1:
            pool.remove(cast.persona_grid)
        return rng.choice(pool or cast.grids_in(CITY))

    def choose_matter(self, grid: dict) -> str:
        if self.plan.matter and self.plan.matter in self.matters:
            return self.plan.matter
        weights = {}
        for code, weight in MATTER_WEIGHTS.items():
            spec = MATTERS[code]
            if code not in self.matters:
                continue
            if spec["kind"] and spec["kind"] != grid["kind"]:
                continue
            if code == "0801001" and not grid["code"].startswith(CANAL_TOWNS):
                continue
            weights[code] = weight
        return _pick(self.rng, weights)

    def choose_channel(self) -> str:
        plan = self.plan
        if plan.channel:
            return plan.channel
        if plan.target == Status.FED_BACK or plan.unrated or plan.reopen:
            return Channel.RESIDENT  # somebody who may rate it
        channel = _pick(self.rng, {"grid": 50, "resident": 35, "phone": 10, "api": 5})
        if channel == Channel.PHONE and (plan.level in ("grid", "village") or plan.hand_down):
            channel = Channel.RESIDENT
        if channel == Channel.PHONE and plan.target in (
            Status.AT_GRID,
            Status.REJECTED,
            Status.MERGED,
        ):
            channel = Channel.RESIDENT
        return channel

    # The route

    def handling_level(self, grid: dict) -> str:
        """The plan's level, where the case can be handled there."""
        plan, cast = self.plan, self.cast
        level = plan.level
        staff = cast.village_staff.get(grid["village_id"], {})
        if level == "village" and (
            not staff
            or (plan.target in (Status.POSTPONED, Status.PARKED) and Role.CHIEF not in staff)
        ):
            level = "town"
        if plan.dept:
            for candidate in LEVELS[LEVELS.index(level) :]:
                area_id = cast.area_id(grid["code"][: CODE_LENGTH[candidate]])
                kinds = self.lead_kinds(candidate)
                if cast.department(area_id, kinds, random.Random(0)) is not None:
                    return candidate
            raise Skip("no department for this matter")
        return level

    def lead_kinds(self, level: str) -> tuple:
        """The categories of linkage department that may lead, first choice first."""
        if self.plan.lead:
            return (self.plan.lead,)
        spec = MATTERS[self.matter_code]
        return spec.get("city_lead", spec["lead"]) if level == "city" else spec["lead"]

    def route(self, grid: dict) -> list[Step]:
        plan, cast, rng = self.plan, self.cast, self.rng
        steps = [Step("submit", (0, 0))]
        target = plan.target
        if target == Status.AT_GRID:
            return steps
        if plan.level == "grid":
            steps.append(Step("resolve_on_site", (1, 30)))
            return steps + self.after_resolved()
        want = self.handling_level(grid)
        first = "village" if cast.village_has_staff(grid["village_id"]) else "town"
        if self.channel == Channel.PHONE:
            at, accepted = "town", True  # taken on the phone by the town's agency
        else:
            steps.append(Step("escalate", (0.5, 20)))
            at, accepted = first, False
        if target in (Status.REJECTED, Status.MERGED):
            return [*steps, Step("reject", (1, 8))]
        want = LEVELS[max(LEVELS.index(want), LEVELS.index(at))]
        while at != want:  # accepted and reported up, level by level
            if not accepted:
                steps.append(Step("accept", (0.5, 8)))
            steps.append(Step("escalate", (1, 24)))
            at, accepted = LEVELS[LEVELS.index(at) + 1], False
        if target == Status.SUBMITTED:
            return steps
        if not accepted:
            steps.append(Step("accept", (0.5, 8)))
        if target == Status.ACCEPTED:
            return steps
        if target in (Status.POSTPONED, Status.PARKED):
            return [*steps, Step("postpone" if target == Status.POSTPONED else "park", (4, 48))]
        if plan.hand_down:
            steps += [Step("hand_down", (1, 8)), Step("resolve_on_site", (2, 48))]
            return steps + self.after_resolved()
        if not plan.dept:
            steps.append(Step("resolve", (4, 72)))
            return steps + self.after_resolved()
        # A linkage department of this level (and perhaps an assisting one).
        area_id = cast.area_id(grid["code"][: CODE_LENGTH[at]])
        spec = MATTERS[self.matter_code]
        lead = cast.department(area_id, self.lead_kinds(at), rng)
        assist = None
        if plan.assist:
            assist = cast.department(area_id, spec["assist"], rng, avoid=[lead])
        if plan.return_first:
            wrong = cast.other_department(area_id, [lead, assist], rng)
            if wrong is not None:
                steps += [Step("dispatch", (1, 24), {"lead": wrong}), Step("return", (0.5, 5))]
        steps.append(Step("dispatch", (1, 24), {"lead": lead, "assist": assist}))
        if target == Status.DISPATCHED:
            return steps
        steps.append(Step("sign", (0.5, 20)))
        if assist is not None:
            steps.append(Step("assist_sign", (0.5, 20), {"department": assist}))
        if plan.extension:
            steps.append(Step("request_extension", (24, 60)))
            if plan.extension == "approved":
                steps.append(Step("decide_extension", (2, 20)))
        if target == Status.HANDLING:
            return steps
        if assist is not None:
            steps.append(Step("assist_reply", (12, 48), {"department": assist}))
        steps.append(Step("reply", (20, 90)))
        if target == Status.REPLIED:
            return steps
        if plan.rework:
            steps += [Step("rework", (2, 30)), Step("reply", (20, 60))]
        steps.append(Step("verify", (2, 30)))
        return steps + self.after_resolved()

    def after_resolved(self) -> list[Step]:
        plan = self.plan
        if plan.target == Status.RESOLVED:
            return []
        steps = [Step("feedback", (1, 20))]
        if plan.target == Status.FED_BACK or not self.requester:
            return steps  # waiting for the rating; or closed at once (nobody to rate it)
        if plan.unrated:
            return [*steps, Step("rating_period_ends", (0, 0))]
        if plan.reopen:
            steps += [
                Step("rate", (4, 72), {"rating": "unsatisfied"}),
                Step("resolve_again", (24, 96)),
                Step("feedback", (1, 20)),
            ]
        rating = "satisfied" if self.rng.random() < 0.75 else "basic"
        return [*steps, Step("rate", (2, 100), {"rating": rating})]

    # Time

    def schedule(self, steps: list[Step]) -> list[datetime]:
        """The moment of every step: the history ends where the plan wants (recently for
        work in hand, weeks ago for overdue work, anywhere in the year otherwise)."""
        rng, plan = self.rng, self.plan
        delays = [timedelta(hours=rng.uniform(*s.delay)) for s in steps]
        for i, step in enumerate(steps):
            if step.name == "rating_period_ends":
                rating_days = CasePolicy.current().rating_days
                delays[i] = timedelta(days=rating_days, minutes=rng.randrange(5, 120))
        total = sum(delays, timedelta())
        if plan.target in TIMED_TARGETS or plan.target == Status.FED_BACK:
            if plan.red:
                gap = timedelta(days=rng.uniform(12, 90))
            elif plan.target == Status.FED_BACK:
                gap = timedelta(hours=rng.uniform(1, 96))
            else:
                gap = timedelta(minutes=rng.uniform(20, 300))
            start = self.end - gap - total
        else:
            # Closed, rejected, merged, parked: anywhere in the year; 缓办 within about
            # half a year (it may last a year at most).
            days = 180 if plan.target == Status.POSTPONED else 335
            span = max(timedelta(days=days) - total, timedelta())
            start = self.end - total - 2 * HOUR - span * rng.random()
        moments, moment = [], start
        for delay, step in zip(delays, steps, strict=True):
            moment = moment + delay
            if step.name not in ("submit", "rate", "rating_period_ends"):
                moment = working_hours(moment, rng)
            moments.append(moment)
        latest = self.end - timedelta(minutes=10)
        if plan.yellow and plan.target in STAGE_POLICY:
            latest = min(latest, self.yellow_moment() or latest)
        if moments[-1] > latest:
            shift = moments[-1] - latest
            moments = [m - shift for m in moments]
        return moments

    def yellow_moment(self) -> datetime | None:
        """A moment (in working hours) for the last step such that by the end most of the
        stage's time is used but its deadline has not passed."""
        policy = CasePolicy.current()
        days = getattr(policy, STAGE_POLICY[self.plan.target])
        code = self.cast.grids[self.grid_id]["code"]
        found = []
        for half_hours in range(1, 20 * 24 * 2):
            moment = self.end - half_hours * HOUR / 2
            if not 8 <= timezone.localtime(moment).hour < 19:
                continue
            due = add_workdays(moment, days, code)
            warn = moment + (due - moment) * policy.warn_percent / 100
            if warn <= self.end - timedelta(minutes=5) and due > self.end + HOUR:
                found.append(moment)
        return self.rng.choice(found) if found else None

    # Doing it

    def holder(self, *, leader: bool = False) -> User:
        case, cast, rng = self.case, self.cast, self.rng
        if case.holder_grid_id:
            return cast.grid_user(case.holder_grid_id, rng)
        if case.holder_area_id:
            return cast.agency_user(case.holder_area_id, rng, leader=leader)
        return cast.department_user(cast.department_by_id[case.holder_department_id], rng)

    def run(self, walked: list) -> Case:
        for step, moment in zip(self.steps, self.moments, strict=True):
            with clock.at(moment):
                if step.name == "submit":
                    self.submit()
                elif step.name == "rating_period_ends":
                    # What the worker's sweep did at that moment: closed, unrated.
                    actions.do_close_unrated(self.case.pk, moment)
                    self.case.refresh_from_db()
                else:
                    getattr(self, f"do_{step.name}")(**step.args, walked=walked)
        plan = self.plan
        if plan.target in TIMED_TARGETS and (plan.urge or plan.supervise):
            self.supervise()
        return self.case

    def submit(self) -> None:
        cast, rng, channel = self.cast, self.rng, self.channel
        lon, lat = cast.point_in(self.grid_id, rng)
        name, phone = _resident(rng)
        actor = None
        if channel == Channel.GRID:
            actor = cast.grid_user(self.grid_id, rng)
        elif channel == Channel.PHONE:
            actor = cast.agency_user(cast.area_id(cast.grids[self.grid_id]["code"][:9]), rng)
        elif channel == Channel.API:
            # The city's 12345 hotline (政务服务) passes a caller's report on.
            hotline = cast.department(cast.area_id(CITY), ("政务服务管理",), rng)
            if hotline is None:
                channel = Channel.RESIDENT
            else:
                actor = cast.department_user(hotline, rng)
        urgency = _pick(rng, {Urgency.NORMAL: 85, Urgency.URGENT: 12, Urgency.MAJOR: 3})
        self.case, _created = actions.submit_case(
            channel=channel,
            matter_code=self.matter_code,
            description=self.report.description,
            attributes=dict(self.report.attributes),
            urgency=urgency,
            lon=lon,
            lat=lat,
            reporter_name=name if self.requester else "",
            reporter_phone=phone if self.requester else "",
            anonymous=self.anonymous,
            actor=actor,
            idempotency_key=key_of(self.plan.index),
            idempotency_owner=OWNER,
        )
        if self.case.grid_id != self.grid_id:
            raise Skip("located in another grid")

    def do_escalate(self, walked) -> None:
        note = self.rng.choice(ESCALATE_NOTES)
        self.case = actions.do_escalate(self.case, note, actor=self.holder())

    def do_accept(self, walked) -> None:
        self.case = actions.do_accept(self.case, actor=self.holder())

    def do_reject(self, walked) -> None:
        case, plan = self.case, self.plan
        if plan.target == Status.MERGED:
            original = _original_of(case, walked)
            if original is not None:
                self.case = actions.do_reject(
                    case,
                    RejectGround.DUPLICATE,
                    "与已受理的事件反映的是同一问题",
                    duplicate_of=original,
                    actor=self.holder(),
                )
                return
        ground = self.rng.choice([RejectGround.INVALID, RejectGround.OUT_OF_LIST])
        self.case = actions.do_reject(case, ground, REJECT_REASONS[ground], actor=self.holder())

    def do_resolve_on_site(self, walked) -> None:
        result = self.rng.choice(self.results)
        self.case = actions.do_resolve_on_site(self.case, result, actor=self.holder())

    def do_resolve(self, walked) -> None:
        result = self.rng.choice(self.results)
        self.case = actions.do_resolve(self.case, result, actor=self.holder())

    def do_resolve_again(self, walked) -> None:
        result = "已再次到现场处理：" + self.rng.choice(self.results)
        if self.case.status == Status.AT_GRID:
            self.case = actions.do_resolve_on_site(self.case, result, actor=self.holder())
        else:
            self.case = actions.do_resolve(self.case, result, actor=self.holder())

    def do_hand_down(self, walked) -> None:
        grid = Grid.objects.get(pk=self.case.grid_id)
        self.case = actions.do_hand_down(
            self.case, grid, "请网格员到现场核实并就地处理", actor=self.holder()
        )

    def do_postpone(self, walked) -> None:
        until = timezone.localdate(self.end) + timedelta(days=self.rng.randint(3, 45))
        self.case = actions.do_postpone(
            self.case,
            "需待汛期结束后施工，经负责人批准缓办",
            until,
            actor=self.holder(leader=True),
        )

    def do_park(self, walked) -> None:
        self.case = actions.do_park(
            self.case, "需纳入下一年度财政预算统筹解决，暂时挂账", actor=self.holder(leader=True)
        )

    def do_dispatch(self, lead, walked, assist=None) -> None:
        self.case = actions.do_dispatch(
            self.case,
            lead,
            "请按职责核查处理，并在期限内答复",
            assist=[assist] if assist else [],
            actor=self.holder(),
        )

    def do_return(self, walked) -> None:
        self.case = actions.do_return(
            self.case, "经核实不属于本部门职责，请重新流转", actor=self.holder()
        )

    def do_sign(self, walked) -> None:
        self.case = actions.do_sign(self.case, actor=self.holder())

    def do_assist_sign(self, department, walked) -> None:
        actions.do_sign(self.case, actor=self.cast.department_user(department, self.rng))

    def do_assist_reply(self, department, walked) -> None:
        actor = self.cast.department_user(department, self.rng)
        actions.do_reply(self.case, "已配合主办部门开展现场检查", actor=actor)

    def do_request_extension(self, walked) -> None:
        until = timezone.localtime(self.case.due_at).date() + timedelta(days=self.rng.randint(3, 7))
        self.case = actions.do_request_extension(
            self.case, until, "需协调多个部门联合处理，申请延期", actor=self.holder()
        )

    def do_decide_extension(self, walked) -> None:
        actor = self.cast.agency_user(self.case.dispatching_area_id, self.rng)
        self.case = actions.do_decide_extension(self.case, True, "同意延期", actor=actor)

    def do_reply(self, walked) -> None:
        reply = self.rng.choice(self.results)
        self.case = actions.do_reply(self.case, reply, actor=self.holder())

    def do_rework(self, walked) -> None:
        self.case = actions.do_verify(
            self.case, False, "经回访核实，问题仍未彻底解决，请返工", actor=self.holder()
        )

    def do_verify(self, walked) -> None:
        self.case = actions.do_verify(self.case, True, "经回访核实，已办结", actor=self.holder())

    def do_feedback(self, walked) -> None:
        text = "您反映的问题已处理：" + (self.case.result or self.rng.choice(self.results))
        self.case = actions.do_feedback(self.case, text[:500], actor=self.holder())

    def do_rate(self, rating, walked) -> None:
        if self.case.status != Status.FED_BACK:
            return  # nobody to rate it (closed at the feedback)
        if rating == "unsatisfied":
            comment = UNSATISFIED
        else:
            comment = self.rng.choice(RATING_COMMENTS[rating])
        self.case = actions.do_rate(self.case, rating, comment)

    def supervise(self) -> None:
        """催办 and 督办单 on an overdue case, by the agency above its holder."""
        case, rng = self.case, self.rng
        if case.due_at is None or case.status not in OPEN_STATES:
            return
        latest = self.end - timedelta(minutes=30)
        supervisor = self.supervisor()
        if supervisor is None:
            return
        moment = working_hours(case.due_at + timedelta(hours=rng.uniform(2, 20)), rng)
        if self.plan.urge and moment < latest:
            with clock.at(moment):
                self.case = actions.do_urge(case, "已超期，请抓紧办理", actor=supervisor)
        moment = working_hours(case.due_at + timedelta(days=rng.uniform(1, 3)), rng)
        if not self.plan.supervise or moment >= latest:
            return
        with clock.at(moment):
            order = actions.do_supervise(
                self.case, "该事件已超期，请于期限内办结并书面回复", 3, actor=supervisor
            )
        answered = working_hours(moment + timedelta(hours=rng.uniform(4, 40)), rng)
        answer = rng.random() < 0.5 if self.plan.answer is None else self.plan.answer
        if answer and answered < latest:
            with clock.at(answered):
                actions.do_answer_supervision(
                    order, "已收到督办要求，正在加紧办理，预计近期办结", actor=self.holder()
                )

    def supervisor(self) -> User | None:
        """The agency over the holder that may supervise it: the town over a grid or a
        village, the county over a town, the city over a county and over departments of
        the city (and the county over a town's departments)."""
        case, cast = self.case, self.cast
        code = case.place_code
        if case.holder_grid_id:
            over = code[:9]
        elif case.holder_department_id:
            department = cast.department_by_id[case.holder_department_id]
            level = cast.areas[department.area_id]["code"]
            over = {4: CITY, 6: CITY, 9: code[:6]}[len(level)]
        else:
            own = cast.areas[case.holder_area_id]["code"]
            over = {12: code[:9], 9: code[:6], 6: CITY, 4: ""}[len(own)]
        area_id = cast.area_id(over)
        if area_id is None or area_id not in cast.operators:
            return None
        return cast.agency_user(area_id, self.rng)


def key_of(index: int) -> str:
    return f"demo-{index:05d}"


def _resident(rng: random.Random) -> tuple[str, str]:
    from gridgov.demo import names

    person = names.person(rng.randrange(10**9), "resident")
    return person.name, person.phone


def _original_of(case: Case, walked: list) -> Case | None:
    """An earlier case this one repeats: same matter in the same town if possible."""
    town = case.place_code[:9]
    candidates = [
        (pk, matter, place)
        for pk, matter, place, status in walked
        if status not in (Status.REJECTED, Status.MERGED) and place[:9] == town
    ]
    same = [c for c in candidates if c[1] == case.matter.code]
    chosen = (same or candidates)[-1:] if (same or candidates) else []
    if not chosen:
        return None
    original = Case.objects.get(pk=chosen[0][0])
    if original.status not in OPEN_STATES and original.status != Status.CLOSED:
        return None
    return original


# The whole set -------------------------------------------------------------------------------


@dataclass
class CasesResult:
    created: int = 0
    existing: int = 0
    skipped: int = 0
    seconds: float = 0.0
    statuses: dict = field(default_factory=dict)
    red: int = 0
    supervised: int = 0
    sweep: SweepResult | None = None

    def summary(self) -> str:
        total = sum(self.statuses.values())
        if not total:
            return "演示事件：未生成"
        states = "，".join(
            f"{Status(s).label} {n:,}" for s, n in sorted(self.statuses.items(), key=_order)
        )
        done = (
            f"本次新建 {self.created:,} 件，用时 {self.seconds:.1f} 秒"
            if self.created
            else "未作改动"
        )
        return (
            f"演示事件 {total:,} 件（{done}）：{states}；"
            f"其中超期 {self.red:,} 件，督办 {self.supervised:,} 件"
        )


def _order(item) -> int:
    return list(Status.values).index(item[0])


def ensure_cases(
    total: int = DEFAULT_CASES,
    *,
    seed: int = 4507,
    log: Callable[[str], None] | None = None,
    end: datetime | None = None,
) -> CasesResult:
    """Create the demo cases ``demo-00001`` … ``demo-<total>`` that do not exist yet."""
    from gridgov.matters.models import Matter

    log = log or (lambda message: None)
    started = time.monotonic()
    result = CasesResult()
    end = end or timezone.now()
    existing = set(IdempotencyKey.objects.filter(owner=OWNER).values_list("key", flat=True))
    todo = [i for i in range(1, total + 1) if key_of(i) not in existing]
    result.existing = total - len(todo)
    cast = Cast() if todo else None
    matters = {
        m.code: m
        for m in Matter.objects.in_force(timezone.localdate(end)).filter(
            area__code=CITY, code__in=list(MATTERS), resident_reportable=True
        )
    }
    if todo and cast.grids and matters:
        plans = []
        for index in todo:
            rng = random.Random(f"{seed}:case:{index}")
            if index <= len(SHOWCASE):
                plan = SHOWCASE[index - 1]
                plan = Plan(**{**plan.__dict__, "index": index})
            else:
                plan = draw_plan(index, rng)
            plans.append((plan, rng))
        walked = [
            (pk, matter, place, status)
            for pk, matter, place, status in Case.objects.filter(
                pk__in=IdempotencyKey.objects.filter(owner=OWNER).values("case_id")
            )
            .order_by("created_at")
            .values_list("pk", "matter__code", "place_code", "status")
        ]
        # Walk them in the order they were reported (case numbers follow the days).
        walkers = []
        for plan, rng in plans:
            walker = Walker(cast, plan, rng, end, matters)
            try:
                walkers.append((walker.prepare(), plan.index, walker))
            except Skip:
                result.skipped += 1
        walkers.sort(key=lambda item: (item[0], item[1]))
        # A transaction per hundred cases (one commit, not one per case), a savepoint
        # per case: a case that cannot be carried out leaves nothing behind.
        with notify.quiet("all"):
            for start in range(0, len(walkers), BATCH):
                with transaction.atomic():
                    for _first, _index, walker in walkers[start : start + BATCH]:
                        try:
                            with transaction.atomic():
                                case = walker.run(walked)
                        except (Skip, ActionError, ValidationError) as exc:
                            # Left out (and reported): the demo goes on without it.
                            result.skipped += 1
                            log(f"演示事件 {key_of(walker.plan.index)} 未生成：{exc}")
                            continue
                        walked.append((case.pk, walker.matter_code, case.place_code, case.status))
                        result.created += 1
                done = min(start + BATCH, len(walkers))
                if done % 500 == 0 or done == len(walkers):
                    log(f"演示事件：已生成 {done:,} / {len(walkers):,} 件")
        if result.created:
            # The worker's sweep, now: overdue work turns red, the holders and the
            # agencies above them get the overdue notices (in the site, no texts).
            with notify.quiet("sms"):
                result.sweep = sweep()
        waiting = "，".join(f"{name} {n}" for name, n in persona_inboxes().items() if n)
        log(f"演示账户的待办事件：{waiting}")
    demo_cases = Case.objects.filter(
        pk__in=IdempotencyKey.objects.filter(owner=OWNER).values("case_id")
    )
    result.statuses = dict(Counter(demo_cases.values_list("status", flat=True)))
    result.red = demo_cases.filter(flag=Flag.RED).count()
    result.supervised = demo_cases.filter(supervisions__isnull=False).distinct().count()
    result.seconds = time.monotonic() - started
    return result


def persona_inboxes() -> dict[str, int]:
    """How many cases wait in each persona's inbox (for the summary and the tests)."""
    from gridgov.cases.inbox import inbox

    counts = {}
    for user in User.objects.filter(username__startswith="demo-").order_by("username"):
        counts[user.username] = inbox(user).count()
    return counts
