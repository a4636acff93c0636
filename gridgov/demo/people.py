"""Demo staff (第十一、十二、十三条) and the persona accounts people try the demo with.

Staff: every grid, village, agency, zone and department of the demo gets made-up people
holding posts there — about 16,000 accounts at scale 1. They cannot log in (unusable
passwords) and are written with ``bulk_create`` (hashing a password per account would
take hours); ``bulk_create`` still runs the fields' ``pre_save``, which encrypts the
phone and fills its blind index. Who sits where is a function of the seed and the
place's code, and the username names the place and the role (``g450702112203001-l`` is
the 网格长 of grid 450702112203001), so a rerun finds what exists and creates nothing.
No audit row per account: the demo load as a whole is audited once (build.py).

Personas: a handful of accounts with posts that matter for trying the system, sharing
one random password printed once when they are created.
"""

import random
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.passwords import character_classes
from gridgov.areas.choices import AreaLevel, GridKind, GridStatus
from gridgov.areas.models import Area, Grid
from gridgov.demo import config, names
from gridgov.demo.orgs import department_ids, planned_departments
from gridgov.orgs.choices import (
    ADMIN_ROLES,
    DEPARTMENT_ROLES,
    GRID_ROLES,
    SECOND_FACTOR_ROLES,
    VILLAGE_ROLES,
    AgencyKind,
    Role,
)
from gridgov.orgs.models import Agency, Department, Post

BATCH = 2000


@dataclass(frozen=True)
class StaffPost:
    """One planned demo account and its post."""

    username: str
    role: str
    area_id: int | None = None
    grid_id: int | None = None
    department_id: int | None = None
    zone_id: int | None = None


@dataclass
class StaffResult:
    users_created: int = 0
    posts_created: int = 0


# Who sits where ----------------------------------------------------------------------


def _draw(seed: int, what: str, code: str) -> random.Random:
    return random.Random(f"{seed}:{what}:{code}")


def grid_roles(seed: int, code: str, kind: str) -> list[tuple[str, str]]:
    """(username suffix, role) of a grid's staff, gaps included."""
    s, gaps = config.STAFFING, config.GAPS
    rng = _draw(seed, "grid", code)
    if kind == GridKind.EXCLUSIVE:
        # 第十三条: the unit's head leads, members come from the unit.
        roles = [("el", Role.EXCLUSIVE_LEADER), ("em1", Role.EXCLUSIVE_MEMBER)]
        if rng.random() < s["exclusive_second_member"]:
            roles.append(("em2", Role.EXCLUSIVE_MEMBER))
        return roles
    roles = []
    if rng.random() >= gaps["grid_without_leader"]:
        roles.append(("l", Role.LEADER))
    if kind == GridKind.URBAN:
        # 第十二条: urban grids must have a full-time member (bar the planted gaps).
        if rng.random() >= gaps["urban_without_fulltime"]:
            roles.append(("f1", Role.FULLTIME))
            if rng.random() < s["urban_second_fulltime"]:
                roles.append(("f2", Role.FULLTIME))
        if rng.random() < s["urban_parttime"]:
            roles.append(("p1", Role.PARTTIME))
    else:
        if rng.random() < s["rural_fulltime"]:
            roles.append(("f1", Role.FULLTIME))
        if rng.random() < s["rural_parttime"]:
            roles.append(("p1", Role.PARTTIME))
            if rng.random() < s["rural_second_parttime"]:
                roles.append(("p2", Role.PARTTIME))
    return roles


def village_chiefs(seed: int, code: str) -> int:
    """How many 总网格长 a village has: 1, or 0 or 2 for the planted gaps."""
    x = _draw(seed, "village", code).random()
    if x < config.GAPS["village_without_chief"]:
        return 0
    if x >= 1 - config.GAPS["village_two_chiefs"]:
        return 2
    return 1


def _in(counties: list[str], field: str) -> Q:
    return Q(*[Q(**{f"{field}__startswith": c}) for c in counties], _connector=Q.OR)


def plan_staff(seed: int, counties: list[str]) -> list[StaffPost]:
    """The demo staff of the city level and of these counties, from what the database holds."""
    city = config.CITY_CODE
    posts: list[StaffPost] = []

    grids = (
        Grid.objects.filter(_in(counties, "code"), status=GridStatus.ACTIVE)
        .order_by("code")
        .values_list("id", "code", "kind")
    )
    for pk, code, kind in grids:
        for suffix, role in grid_roles(seed, code, kind):
            posts.append(StaffPost(f"g{code}-{suffix}", role, grid_id=pk))

    departments = department_ids()
    planned = [p for p in planned_departments() if (p.area_code, p.name) in departments]
    guide_pool = _guide_departments(planned, departments)
    villages = (
        Area.objects.filter(_in(counties, "code"), level=AreaLevel.VILLAGE)
        .order_by("code")
        .values_list("id", "code")
    )
    for pk, code in villages:
        chiefs = village_chiefs(seed, code)
        for n in range(chiefs):
            posts.append(StaffPost(f"v{code}-c" + ("2" if n else ""), Role.CHIEF, area_id=pk))
        # 第十一条: a town cadre, or a cadre sent down by a department.
        rng = _draw(seed, "guide", code)
        department = None
        pool = guide_pool.get(code[:9], []) + guide_pool.get(code[:6], [])
        if pool and rng.random() < config.STAFFING["guide_from_department"]:
            department = rng.choice(pool)
        posts.append(StaffPost(f"v{code}-g", Role.GUIDE, area_id=pk, department_id=department))

    agencies = (
        Agency.objects.filter(Q(area__code=city) | _in(counties, "area__code"))
        .filter(kind=AgencyKind.AGENCY)
        .order_by("area__code")
        .values_list("area_id", "area__code", "area__level")
    )
    for area_id, code, level in agencies:
        two = level != AreaLevel.TOWN or (
            _draw(seed, "agency", code).random() < config.STAFFING["town_second_operator"]
        )
        for suffix in ("o1", "o2") if two else ("o1",):
            posts.append(StaffPost(f"a{code}-{suffix}", Role.AGENCY_OPERATOR, area_id=area_id))
        posts.append(StaffPost(f"a{code}-l", Role.AGENCY_LEADER, area_id=area_id))

    zones = dict(Agency.objects.filter(kind=AgencyKind.ZONE).values_list("name", "id"))
    for spec in config.ZONES:
        if spec.name in zones and (spec.area == city or spec.area[:6] in counties):
            posts.append(
                StaffPost(f"z-{spec.key}-o1", Role.ZONE_OPERATOR, zone_id=zones[spec.name])
            )

    for p in planned:
        if p.area_code == city or p.area_code[:6] in counties:
            pk = departments[(p.area_code, p.name)]
            posts.append(
                StaffPost(f"{p.username_stem}-h", Role.DEPARTMENT_HANDLER, department_id=pk)
            )
            posts.append(
                StaffPost(f"{p.username_stem}-l", Role.DEPARTMENT_LEADER, department_id=pk)
            )
    return posts


def _guide_departments(planned, departments) -> dict[str, list[int]]:
    """Departments that send guides, by the town or county code they serve."""
    pool: dict[str, list[int]] = {}
    for p in planned:
        if p.kind in config.GUIDE_DEPARTMENT_KINDS and len(p.area_code) in (6, 9):
            pool.setdefault(p.area_code, []).append(departments[(p.area_code, p.name)])
    return pool


# Writing -------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def new_user(seed: int, username: str) -> User:
    made_up = names.person(seed, username)
    user = User(username=username, full_name=made_up.name, phone=made_up.phone)
    user.set_unusable_password()
    return user


def ensure_staff(seed: int, counties: list[str]) -> StaffResult:
    """Create the accounts and posts of ``plan_staff`` that are missing, in batches."""
    result = StaffResult()
    planned = plan_staff(seed, counties)
    ids = dict(User.objects.values_list("username", "id"))
    # An account with any post, even one ended or changed since, is left alone.
    with_post = set(Post.objects.values_list("user_id", flat=True).distinct())
    for batch in _chunks(planned, BATCH):
        with transaction.atomic():
            users = [new_user(seed, p.username) for p in batch if p.username not in ids]
            User.objects.bulk_create(users, batch_size=500)
            if users and any(u.pk is None for u in users):  # a backend without RETURNING
                ids.update(
                    User.objects.filter(username__in=[u.username for u in users]).values_list(
                        "username", "id"
                    )
                )
            ids.update((u.username, u.pk) for u in users if u.pk is not None)
            result.users_created += len(users)
            posts = [
                _post(seed, p, ids[p.username]) for p in batch if ids[p.username] not in with_post
            ]
            Post.objects.bulk_create(posts, batch_size=500)
            with_post.update(p.user_id for p in posts)
            result.posts_created += len(posts)
    return result


def _post(seed: int, planned: StaffPost, user_id: int) -> Post:
    return Post(
        user_id=user_id,
        role=planned.role,
        area_id=planned.area_id,
        grid_id=planned.grid_id,
        department_id=planned.department_id,
        zone_id=planned.zone_id,
        start_date=names.person(seed, planned.username).since,
        granted_by=None,
        note=config.DEMO_NOTE,
    )


# Personas --------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedPersona:
    username: str
    what: str
    second_factor: bool


def persona_password() -> str:
    """Three groups of four letters and digits joined by dashes: all four classes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        if character_classes(password) == 4:
            return password


def _persona_place(spec: config.PersonaSpec) -> dict | None:
    """The post's place of a persona, or None if it does not exist (yet)."""
    if spec.role in ADMIN_ROLES:
        return {}
    if spec.role in DEPARTMENT_ROLES:
        code, name = spec.place
        department = Department.objects.filter(area__code=code, name=name).first()
        return {"department": department} if department else None
    if spec.role in GRID_ROLES or spec.role in VILLAGE_ROLES:
        # The town's first territorial grid, an urban one if it has any (for a village
        # role: that grid's village, so the grid worker's 上报 reaches the persona).
        grids = Grid.objects.filter(
            code__startswith=spec.place,
            status=GridStatus.ACTIVE,
            kind__in=(GridKind.URBAN, GridKind.RURAL),
        )
        grid = (
            grids.filter(kind=GridKind.URBAN).order_by("code").first()
            or grids.order_by("code").first()
        )
        if grid is None:
            return None
        return {"area": grid.village} if spec.role in VILLAGE_ROLES else {"grid": grid}
    area = Area.objects.filter(code=spec.place).first()
    return {"area": area} if area else None


def ensure_personas(
    specs: Iterable[config.PersonaSpec] = config.PERSONAS,
) -> tuple[list[CreatedPersona], str | None]:
    """Create the missing personas whose place exists; returns them and their password
    (None if none was created). The password is never stored in plaintext."""
    existing = set(User.objects.values_list("username", flat=True))
    todo = []
    for spec in specs:
        if spec.username in existing:
            continue
        place = _persona_place(spec)
        if place is not None:
            todo.append((spec, place))
    if not todo:
        return [], None
    password = persona_password()
    encoded = make_password(password)  # one hash for all: the password is shared anyway
    now = timezone.now()
    created = []
    with transaction.atomic():
        for spec, place in todo:
            user = User(username=spec.username, full_name=spec.full_name, password_changed_at=now)
            password_validation.validate_password(password, user)
            user.password = encoded
            user.save()
            Post.objects.create(
                user=user,
                role=spec.role,
                start_date=date(2024, 1, 1),
                granted_by=None,
                note=config.DEMO_NOTE,
                **place,
            )
            created.append(
                CreatedPersona(spec.username, spec.what, spec.role in SECOND_FACTOR_ROLES)
            )
    return created, password
