"""Demo organisations, staff and persona accounts: one county at a small scale."""

import io
import re
from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import password_validation
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Lower

from gridgov.accounts.models import User
from gridgov.areas.choices import AreaLevel, GridKind
from gridgov.areas.models import Area, Grid
from gridgov.core import crypto
from gridgov.core.audit import AuditKind
from gridgov.core.models import AuditEvent
from gridgov.demo import config, names
from gridgov.demo.build import run_demo
from gridgov.demo.people import grid_roles, persona_password, village_chiefs
from gridgov.demo.plan import DemoPlan
from gridgov.orgs.choices import AgencyKind, Role
from gridgov.orgs.models import Agency, Department, Post

REGULATION_CATEGORIES = {
    "公安",
    "民政",
    "司法行政",
    "城管执法",
    "财政",
    "人力资源社会保障",
    "市场监管",
    "政务服务管理",
    "生态环境",
    "应急管理",
    "卫生健康",
    "城市管理",
}
SEED = config.DEFAULT_SEED


@pytest.fixture(scope="module")
def tiny():
    """One grid per village: the staff generator does the same work per grid at any scale."""
    return DemoPlan(scale=0.05)


def demo_posts(**filters):
    return Post.objects.filter(note=config.DEMO_NOTE, **filters)


def raw_phone(username: str) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, phone_index FROM accounts_user WHERE username = %s", [username]
        )
        return cursor.fetchone()


# Without the database ----------------------------------------------------------------


def test_people_are_a_function_of_seed_and_username():
    a = names.person(SEED, "g450702112203001-l")
    assert a == names.person(SEED, "g450702112203001-l")
    assert a != names.person(SEED + 1, "g450702112203001-l")
    surnames = {s for s, _ in names.SURNAMES}
    for n in range(300):
        p = names.person(SEED, f"x{n}")
        assert 2 <= len(p.name) <= 3 and p.name[0] in surnames
        assert re.fullmatch(r"1[3-9]\d{9}", p.phone)
        assert date(2019, 1, 1) <= p.since < date.today()


def test_planted_gaps_are_few_and_deterministic(tiny):
    villages = [v.code for v in tiny.areas(AreaLevel.VILLAGE)]
    chiefs = Counter(village_chiefs(SEED, code) for code in villages)
    assert 1 <= chiefs[0] <= 15 and 1 <= chiefs[2] <= 15
    assert chiefs[1] > 0.97 * len(villages)
    assert [village_chiefs(SEED, c) for c in villages] == [
        village_chiefs(SEED, c) for c in villages
    ]
    # About 1 % of urban grids lack their full-time member, a few grids their leader.
    codes = [f"450702001003{n:03d}" for n in range(1, 1000)]
    urban = [dict(grid_roles(SEED, c, GridKind.URBAN)) for c in codes]
    assert 2 <= sum("f1" not in r for r in urban) <= 25
    assert sum("l" not in r for r in urban) <= 10
    exclusive = grid_roles(SEED, codes[0], GridKind.EXCLUSIVE)
    assert exclusive[0] == ("el", Role.EXCLUSIVE_LEADER)
    assert {r for _, r in exclusive[1:]} == {Role.EXCLUSIVE_MEMBER}


def test_the_persona_password_follows_the_rules():
    for _ in range(20):
        password = persona_password()
        password_validation.validate_password(password)
        assert len(password) >= 8


# In the database -----------------------------------------------------------------------


@pytest.mark.django_db
def test_coastal_county_staff_orgs_and_personas(tiny):
    first = run_demo(counties=["450702"], plan=tiny)
    assert first.staff.users_created > 300 and not first.staff_skipped

    # Agencies: the city, every county and every town; zones with what they cover.
    agencies = Agency.objects.filter(kind=AgencyKind.AGENCY)
    assert agencies.count() == Area.objects.filter(level__lte=AreaLevel.TOWN).count()
    assert set(agencies.values_list("name", flat=True)) >= {
        "钦州市网格化服务管理中心",
        "钦南区网格化服务管理中心",
        "犀牛脚镇网格化服务管理站",
        "向阳街道网格化服务管理站",
    }
    zones = {z.name: z for z in Agency.objects.filter(kind=AgencyKind.ZONE)}
    assert set(zones) == {z.name for z in config.ZONES}
    for spec in config.ZONES:
        zone = zones[spec.name]
        assert zone.area.code == spec.area
        assert sorted(a.code for a in zone.covers.all()) == sorted(spec.covers)
    canal = next(s for s in config.EXCLUSIVE_GRIDS if s.subject == "canal_hub")
    assert canal.town in next(z.covers for z in config.ZONES if z.key == "canal")

    # Departments: 第四条's categories at city and county level, 派出所 in towns, and the
    # departments of the exclusive grids kept.
    for code in ("4507", "450702", "450703", "450721", "450722"):
        kinds = set(Department.objects.filter(area__code=code).values_list("kind", flat=True))
        assert kinds >= REGULATION_CATEGORIES, code
    police = Department.objects.get(name="犀牛脚派出所")
    assert (police.kind, police.level, police.area.code) == ("公安", "town", "450702112")
    assert Department.objects.get(name="钦州市公安局钦南分局").level == "county"
    assert Department.objects.filter(name="灵山县公安局", kind="公安").exists()
    assert Department.objects.filter(name="钦州市海洋局").count() == 1
    assert not Grid.objects.filter(kind=GridKind.EXCLUSIVE, department__isnull=True).exists()

    # Every village of the county: one chief but for the planted gaps, and a guide.
    for village in Area.objects.filter(level=AreaLevel.VILLAGE, code__startswith="450702"):
        # (the demo-village persona is an extra chief of the grid worker's village)
        chiefs = (
            demo_posts(area=village, role=Role.CHIEF)
            .exclude(user__username__startswith="demo-")
            .count()
        )
        assert chiefs == village_chiefs(SEED, village.code), village.code
        assert demo_posts(area=village, role=Role.GUIDE).count() == 1
    assert demo_posts(role=Role.GUIDE, department__isnull=False).exists()
    assert not demo_posts(area__code__startswith="450703", area__level=AreaLevel.VILLAGE)

    # Every grid: its leader but for the planted gaps; urban grids their full-time member.
    for grid in Grid.objects.filter(code__startswith="450702"):
        roles = Counter(
            demo_posts(grid=grid)
            .exclude(user__username__startswith="demo-")
            .values_list("role", flat=True)
        )
        planned = Counter(role for _, role in grid_roles(SEED, grid.code, grid.kind))
        assert roles == planned, grid.code
        if grid.kind == GridKind.EXCLUSIVE:
            assert roles[Role.EXCLUSIVE_LEADER] == 1 and 1 <= roles[Role.EXCLUSIVE_MEMBER] <= 2

    # Agencies, zones and departments of the city and the county have their staff.
    for agency in agencies.filter(area__code__in=["4507", "450702", "450702112"]):
        assert demo_posts(area=agency.area, role=Role.AGENCY_LEADER).count() == 1
        assert 1 <= demo_posts(area=agency.area, role=Role.AGENCY_OPERATOR).count() <= 3
    here = {z.name for z in config.ZONES if z.area.startswith("450702")}  # not the canal's
    assert set(demo_posts(role=Role.ZONE_OPERATOR).values_list("zone__name", flat=True)) == here
    for department in Department.objects.filter(area__code__in=["4507", "450702"]):
        assert demo_posts(department=department, role=Role.DEPARTMENT_LEADER).count() == 1
        assert demo_posts(department=department, role=Role.DEPARTMENT_HANDLER).count() >= 1

    # Staff accounts: no usable password, phones encrypted with their blind index filled.
    staff = User.objects.filter(posts__note=config.DEMO_NOTE).exclude(username__startswith="demo-")
    assert staff.count() == first.staff.users_created
    assert not any(u.has_usable_password() for u in staff)
    assert not staff.filter(phone_index__isnull=True).exists()
    sample = staff.order_by("username")[:50]
    for user in sample:
        stored, index = raw_phone(user.username)
        assert re.fullmatch(r"1[3-9]\d{9}", user.phone)
        assert user.phone not in stored and crypto.is_token(stored)
        assert index == User._meta.get_field("phone").index_of(user.phone)
    assert not any(re.search(r"1[3-9]\d{9}", raw_phone(u.username)[0]) for u in sample)
    lower = User.objects.values(name=Lower("username")).annotate(n=Count("id"))
    assert not lower.filter(n__gt=1).exists()
    assert all(u.username.isascii() for u in staff)

    # Personas: the right posts, the printed password, no forced change at first login.
    assert {p.username for p in first.personas} == {p.username for p in config.PERSONAS}
    expected = {
        "demo-city": (Role.AGENCY_OPERATOR, "4507"),
        "demo-qinnan": (Role.AGENCY_OPERATOR, "450702"),
        "demo-xiniujiao": (Role.AGENCY_OPERATOR, "450702112"),
        "demo-pubei": (Role.AGENCY_OPERATOR, "450722001"),
    }
    for username, (role, code) in expected.items():
        post = Post.objects.get(user__username=username)
        assert (post.role, post.area.code) == (role, code)
    worker = Post.objects.get(user__username="demo-gridworker")
    assert worker.role == Role.FULLTIME and worker.grid.code.startswith("450702112")
    police = Post.objects.get(user__username="demo-police")
    assert (police.role, police.department.name) == (Role.DEPARTMENT_HANDLER, "钦州市公安局")
    assert Post.objects.get(user__username="demo-security").role == Role.SECURITY_ADMIN
    assert Post.objects.get(user__username="demo-audit").role == Role.AUDIT_ADMIN
    for spec in config.PERSONAS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(first.persona_password)
        assert user.password_changed_at is not None and user.posts.count() == 1
    password_validation.validate_password(first.persona_password)

    # One audit event for the load, none per account; the grid adjustments record their own.
    events = AuditEvent.objects.all()
    imports = [e for e in events if e.kind == AuditKind.IMPORT]
    assert len(imports) == 1
    assert imports[0].detail["users_created"] == first.staff.users_created
    assert {e.kind for e in events} == {
        AuditKind.IMPORT,
        AuditKind.DATA_CREATED,
        AuditKind.DATA_CHANGED,
    }
    assert not events.filter(target_type="accounts.user").exists()
    audited = events.count()

    # A second run creates nothing and records nothing.
    users, posts = User.objects.count(), Post.objects.count()
    again = run_demo(counties=["450702"], plan=tiny)
    assert again.changed == 0 and again.persona_password is None and not again.personas
    assert (User.objects.count(), Post.objects.count()) == (users, posts)
    assert AuditEvent.objects.count() == audited


@pytest.mark.django_db
def test_without_keys_nothing_is_loaded_then_personas_are_printed_once(monkeypatch):
    from gridgov.core import keys

    monkeypatch.setattr(keys, "configured", lambda: False)
    with pytest.raises(CommandError, match="未配置密钥"):
        call_command("demo", "--county", "450703", "--scale", "0.05", stdout=io.StringIO())
    assert not User.objects.exists() and not AuditEvent.objects.exists()
    assert not Grid.objects.exists()

    monkeypatch.undo()
    out = io.StringIO()
    call_command("demo", "--county", "450703", "--scale", "0.05", stdout=out)
    text = out.getvalue()
    password = re.search(r"共用密码：(\S+)", text).group(1)
    assert "demo-city" in text and "动态口令" in text
    # No grid of 犀牛脚镇 yet: that persona waits for a run over 钦南区.
    assert "demo-gridworker" not in text
    assert User.objects.get(username="demo-police").check_password(password)
    assert demo_posts(grid__code__startswith="450703").exists()
    assert not demo_posts(grid__code__startswith="450702").exists()
    # One import of staff (the demo population is recorded as an import of its own).
    staff_imports = AuditEvent.objects.filter(kind=AuditKind.IMPORT).exclude(
        target_type="registry.demo"
    )
    assert staff_imports.count() == 1

    out = io.StringIO()
    call_command("demo", "--county", "450703", "--scale", "0.05", stdout=out)
    assert "共用密码" not in out.getvalue() and "数据已是最新" in out.getvalue()
