"""Case handling speed (issue 5), on SQLite and on PostgreSQL.

    python -m bench.cases submit|inbox|sweep sqlite|postgres

- submit: cases submitted per second through ``POST /api/cases`` with everything on
  (bearer token, scope, locate, matter, working-day deadline, idempotency key, timeline,
  audit chain, inbox notification) by grid workers on a territory of 300 grids, beside a
  bare one-row-insert endpoint (``bench/bareapp``) served by the same gunicorn with the
  same settings in the same run; the ratio is our overhead.
- inbox: median and 95th percentile of a town operator's ``GET /api/cases/inbox`` (first
  page and counts) with 1,000,000 cases in the database, most of them closed.
- sweep: the deadline sweeper over 100,000 open cases of which 5 % cross their warning
  time or deadline.

Datasets are synthetic rows written with ``bulk_create`` (not through the actions: that
would take hours), built on the territory and people a real installation has.
``GRIDGOV_BENCH_QUICK=1`` runs small sizes; each size can also be set on its own (see
``SIZES``). PostgreSQL: ``GRIDGOV_BENCH_POSTGRES_URL`` (default below); the benchmark
creates and drops its databases itself (except the inbox's, kept for the next run like
the SQLite file: ``KEEP``), and skips PostgreSQL with a note when it is not reachable.
"""

import json
import math
import os
import random
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

# One server, one settings module: the product's plus the bare comparison endpoint.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
# Measure the production configuration, not the debug one (no query log, no debug pages).
os.environ["GRIDGOV_DEBUG"] = "false"

from bench.common import (
    VAR,
    free_port,
    gridgov,
    median,
    percentile,
    report,
    setup_django,
    timed_requests,
)

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/gridgov_bench"
QUICK = os.environ.get("GRIDGOV_BENCH_QUICK", "") not in ("", "0", "false")
# The inbox's million cases are kept between runs (var/bench/cases-inbox_<n>.sqlite3 and
# the PostgreSQL database <name>_inbox_<n>); GRIDGOV_BENCH_CASES_KEEP=0 drops them after.
KEEP = os.environ.get("GRIDGOV_BENCH_CASES_KEEP", "1") not in ("", "0", "false")


def _size(name: str, full: int, quick: int) -> int:
    return int(os.environ.get(f"GRIDGOV_BENCH_CASES_{name}", quick if QUICK else full))


SIZES = {
    "SUBMISSIONS": _size("SUBMISSIONS", 3_000, 400),  # measured submissions per endpoint
    "WARMUP": _size("WARMUP", 400, 100),  # per endpoint, before measuring
    "CLIENTS": _size("CLIENTS", 8, 8),  # concurrent client connections
    "WORKERS": _size("WORKERS", 3, 3),  # gunicorn processes (2 cores)
    "THREADS": _size("THREADS", 1, 1),  # gunicorn threads per process (gthread: keep-alive)
    "INBOX_CASES": _size("INBOX_CASES", 1_000_000, 20_000),
    "INBOX_REQUESTS": _size("INBOX_REQUESTS", 500, 100),
    "TOWN_OPEN": _size("TOWN_OPEN", 400, 400),  # open cases the measured town holds
    "SWEEP_CASES": _size("SWEEP_CASES", 100_000, 5_000),
}
SWEEP_CROSSING = 0.05  # share of the sweeper's open cases past their warning time/deadline

# The made-up territory: one county, 4 towns × 5 villages × 15 grids = 300 grids.
CITY, COUNTY = "9901", "990101"
COUNTY_BOX = (108.0, 21.0, 108.6, 21.4)
TOWNS, VILLAGES, GRIDS = 4, 5, 15
MATTER = "0301001"
TRACKING = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# Databases -----------------------------------------------------------------------------


def _postgres_url() -> str:
    return os.environ.get("GRIDGOV_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


class Database:
    """Where one scenario runs: ``url``, and ``reused`` when a kept dataset of the same
    sizes is already there (the inbox's million cases take minutes to write)."""

    def __init__(self, url: str, reused: bool = False):
        self.url, self.reused = url, reused


def _admin(url: str):
    import psycopg

    return psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=3)


@contextmanager
def postgres_database(scenario: str, keep: dict | None = None):
    """A PostgreSQL database for one scenario, created here; dropped afterwards, or kept
    (named ``<database>_<scenario>``, its sizes in the database comment) when ``keep``
    gives the sizes of the dataset. None when the server cannot be reached."""
    import psycopg

    url = _postgres_url()
    name = urlsplit(url).path.lstrip("/") or "gridgov_bench"
    if keep is not None:
        name = f"{name}_{scenario}"
    try:
        admin = _admin(url)
    except psycopg.OperationalError as exc:
        print(f"cases[postgres] {scenario}: skipped, PostgreSQL not reachable at {url} ({exc})")
        yield None
        return
    wanted = json.dumps(keep, sort_keys=True) if keep is not None else None
    with admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        reused = wanted is not None and row is not None and row[0] == wanted
        if not reused:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(_with_database(url, name), reused)
    try:
        yield database
        if wanted is not None and not reused:
            with _admin(url) as admin:
                admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    finally:
        from django.db import connections

        connections.close_all()
        if keep is None:
            with _admin(url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(scenario: str, keep: dict | None = None):
    """var/bench/cases-<scenario>.sqlite3: rebuilt, or kept when ``keep`` gives the sizes
    of the dataset (stored beside it in cases-<scenario>.json)."""
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"cases-{scenario}.sqlite3"
    meta = VAR / f"cases-{scenario}.json"
    wanted = json.dumps(keep, sort_keys=True) if keep is not None else None
    reused = wanted is not None and meta.exists() and meta.read_text() == wanted
    if not reused:
        meta.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    yield Database(f"sqlite:///{path}", reused)
    if wanted is not None and not reused:
        meta.write_text(wanted)


def database(engine: str, scenario: str, keep: dict | None = None):
    if engine == "sqlite":
        return sqlite_database(scenario, keep)
    return postgres_database(scenario, keep)


def migrate(url: str) -> None:
    gridgov("migrate", "-v0", database_url=url)


# The world: territory, matter, departments, people ---------------------------------------


def build_world() -> dict:
    """City → county → 4 towns → 20 villages → 300 grids (through the areas actions, as a
    real territory is loaded), the matter, departments and one person per post."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from shapely.geometry import box

    from gridgov.areas import actions as area_actions
    from gridgov.areas.choices import (
        AdjustmentKind,
        AdjustmentTrigger,
        AreaKind,
        AreaLevel,
        GridKind,
    )
    from gridgov.areas.models import Area, Grid
    from gridgov.core.geo import to_geojson
    from gridgov.matters.models import Matter
    from gridgov.orgs.choices import Role
    from gridgov.orgs.models import Department, DepartmentLevel, Post

    city = Area.objects.create(code=CITY, name="基准市", level=AreaLevel.CITY, kind=AreaKind.CITY)
    county = Area(
        code=COUNTY, name="基准区", level=AreaLevel.COUNTY, kind=AreaKind.DISTRICT, parent=city
    )
    county.set_geometry(box(*COUNTY_BOX))
    county.save()
    min_lon, min_lat, max_lon, max_lat = COUNTY_BOX
    width = (max_lon - min_lon) / GRIDS
    height = (max_lat - min_lat) / (TOWNS * VILLAGES)
    towns = []
    for t in range(TOWNS):
        town = Area.objects.create(
            code=f"{COUNTY}{t + 1:03d}",
            name=f"基准{'一二三四五六七八九'[t]}街道",
            level=AreaLevel.TOWN,
            kind=AreaKind.SUBDISTRICT,
            parent=county,
        )
        towns.append(town)
        items = []
        for v in range(VILLAGES):
            village = Area.objects.create(
                code=f"{town.code}{v + 1:03d}",
                name=f"{town.name}第{v + 1}社区",
                level=AreaLevel.VILLAGE,
                kind=AreaKind.COMMUNITY,
                parent=town,
            )
            row = t * VILLAGES + v
            for col in range(GRIDS):
                cell = box(
                    min_lon + col * width,
                    min_lat + row * height,
                    min_lon + (col + 1) * width,
                    min_lat + (row + 1) * height,
                )
                items.append(
                    area_actions.ProposedGrid(
                        village_code=village.code, kind=GridKind.URBAN, geometry=to_geojson(cell)
                    )
                )
        adjustment = area_actions.do_propose_adjustment(
            town=town,
            kind=AdjustmentKind.CREATE,
            trigger=AdjustmentTrigger.OTHER,
            reason="基准测试划分网格",
            old_grid_codes=[],
            items=items,
            actor=None,
            source="demo",
        )
        area_actions.do_approve_adjustment(adjustment, actor=None, effective_date=date(2024, 1, 1))

    city_department = Department.objects.create(
        name="基准市城市管理局", kind="城管执法", level=DepartmentLevel.CITY, area=city
    )
    matter = Matter.objects.create(
        code=MATTER,
        name="占道经营",
        work_kind="hazard",
        description="占用道路、人行道摆摊经营，影响通行",
        level="city",
        area=city,
        department=city_department,
        duties=["report"],
        deadline_workdays=5,
        attributes=[{"code": "stalls", "label": "摊位数量", "type": "number", "required": False}],
        resident_reportable=True,
        anonymous_allowed=True,
        valid_from=date(2024, 1, 1),
    )
    departments = {}
    for town in towns:
        departments[town.pk] = [
            Department.objects.create(
                name=f"{town.name}{name}", kind=kind, level=DepartmentLevel.TOWN, area=town
            )
            for name, kind in (("城管执法中队", "城管执法"), ("市场监管所", "市场监管"))
        ]

    # People: a 专职网格员 per grid, an operator and a leader per town, a handler per
    # department (bulk: creating 300 accounts one by one with password hashing is slow).
    User = get_user_model()
    unusable = make_password(None)
    grids = list(Grid.objects.select_related("village__parent").order_by("code"))
    people = []
    for grid in grids:
        people.append((f"w{grid.code}", f"网格员{grid.code[-5:]}", Role.FULLTIME, {"grid": grid}))
    for town in towns:
        people.append(
            (f"op{town.code}", f"{town.name}操作员", Role.AGENCY_OPERATOR, {"area": town})
        )
        people.append((f"ld{town.code}", f"{town.name}主任", Role.AGENCY_LEADER, {"area": town}))
        for department in departments[town.pk]:
            people.append(
                (
                    f"dp{department.pk}",
                    f"{department.name}经办人",
                    Role.DEPARTMENT_HANDLER,
                    {"department": department},
                )
            )
    users = User.objects.bulk_create(
        [User(username=u, full_name=n, password=unusable) for u, n, _r, _p in people]
    )
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
    Post.objects.bulk_create(
        [
            Post(user=users[u], role=role, start_date=date(2020, 1, 1), **place)
            for u, _n, role, place in people
        ]
    )
    return {
        "city": city,
        "county": county,
        "towns": towns,
        "grids": grids,
        "matter": matter,
        "departments": departments,
        "users": users,
    }


def load_world() -> dict:
    """The world of an existing benchmark database."""
    from django.contrib.auth import get_user_model

    from gridgov.areas.models import Area, Grid
    from gridgov.matters.models import Matter
    from gridgov.orgs.models import Department

    towns = list(Area.objects.filter(level=3, code__startswith=COUNTY).order_by("code"))
    departments = {}
    for department in Department.objects.filter(area__in=towns).order_by("pk"):
        departments.setdefault(department.area_id, []).append(department)
    return {
        "city": Area.objects.get(code=CITY),
        "county": Area.objects.get(code=COUNTY),
        "towns": towns,
        "grids": list(Grid.objects.select_related("village__parent").order_by("code")),
        "matter": Matter.objects.get(code=MATTER),
        "departments": departments,
        "users": {u.username: u for u in get_user_model().objects.all()},
    }


def token_for(user) -> str:
    from gridgov.accounts.actions import do_issue_token

    _row, token = do_issue_token(user, name="基准测试", actor=user)
    return token


def grid_point(grid, rng: random.Random) -> tuple[float, float]:
    """A random point well inside the grid's box (its geometry is a rectangle here)."""
    min_lon, min_lat, max_lon, max_lat = grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat
    return (
        rng.uniform(min_lon + 0.1 * (max_lon - min_lon), max_lon - 0.1 * (max_lon - min_lon)),
        rng.uniform(min_lat + 0.1 * (max_lat - min_lat), max_lat - 0.1 * (max_lat - min_lat)),
    )


# Synthetic cases -------------------------------------------------------------------------


def tracking_code(n: int) -> str:
    """A unique 10-character code from a sequence number (random codes are slow to make
    a million of; uniqueness is what the indexes care about)."""
    digits = []
    for _ in range(10):
        n, r = divmod(n, len(TRACKING))
        digits.append(TRACKING[r])
    return "".join(reversed(digits))


class CaseFactory:
    """Case rows (and department assignments) with consistent holders and deadlines."""

    def __init__(self, world: dict, now: datetime, seed: int = 5):
        from gridgov.cases.models import Case, CaseAssignment

        self.Case, self.CaseAssignment = Case, CaseAssignment
        self.world, self.now = world, now
        self.rng = random.Random(seed)
        self.serial = 0
        self.per_day: dict[date, int] = {}
        self.grids_of_town: dict[int, list] = {}
        for grid in world["grids"]:
            self.grids_of_town.setdefault(grid.village.parent_id, []).append(grid)

    def _number(self, created: datetime) -> str:
        from django.utils import timezone

        day = timezone.localdate(created)
        self.per_day[day] = self.per_day.get(day, 0) + 1
        return f"SJ{day:%Y%m%d}{self.per_day[day]:05d}"

    def make(
        self,
        *,
        status: str,
        holder: str,
        town=None,
        grid=None,
        created=None,
        due=None,
        warn=None,
        flag: str = "normal",
    ):
        """One case; ``holder`` is grid, area, department or none (terminal)."""
        rng = self.rng
        town = town or rng.choice(self.world["towns"])
        grid = grid or rng.choice(self.grids_of_town[town.pk])
        created = created or self.now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        self.serial += 1
        lon, lat = grid_point(grid, rng)
        department = rng.choice(self.world["departments"][town.pk])
        terminal = holder == "none"
        case = self.Case(
            number=self._number(created),
            tracking_code=tracking_code(self.serial),
            version=rng.randint(1, 9),
            channel=rng.choice(["grid", "grid", "grid", "resident", "phone"]),
            matter_id=self.world["matter"].pk,
            attributes={},
            description=f"第 {self.serial} 件：人行道摆摊占道经营，影响通行",
            urgency="normal" if rng.random() < 0.9 else "urgent",
            lon=lon,
            lat=lat,
            grid_id=grid.pk,
            place_code=grid.code,
            county_id=self.world["county"].pk,
            status=status,
            holder_grid_id=grid.pk if holder == "grid" else None,
            holder_area_id=town.pk if holder == "area" else None,
            holder_department_id=department.pk if holder == "department" else None,
            dispatching_area_id=town.pk if holder == "department" or rng.random() < 0.3 else None,
            stage=rng.randint(1, 8),
            stage_started_at=created,
            due_at=None if terminal else due,
            warn_at=None if terminal else warn,
            flag=flag,
            created_at=created,
            updated_at=created,
            closed_at=created + timedelta(days=rng.uniform(1, 10)) if terminal else None,
            result="已处理" if status == "closed" else "",
            reject_ground="invalid" if status == "rejected" else "",
        )
        case.assignment_department = department if case.dispatching_area_id else None
        return case

    def assignments(self, cases) -> list:
        rows = []
        for case in cases:
            department = case.assignment_department
            if department is None:
                continue
            open_work = case.holder_department_id is not None
            rows.append(
                self.CaseAssignment(
                    case_id=case.pk,
                    department_id=department.pk,
                    role="lead",
                    status=("signed" if case.status == "handling" else "dispatched")
                    if open_work
                    else "replied",
                    active=True,
                    dispatched_at=case.created_at,
                    instructions="请依法处理",
                    sign_due_at=case.created_at + timedelta(days=1),
                    return_due_at=case.created_at + timedelta(days=1),
                    reply_due_at=case.created_at + timedelta(days=7),
                    reply="" if open_work else "已处理",
                    extension_status="pending"
                    if open_work and case.status == "handling" and self.rng.random() < 0.05
                    else "",
                )
            )
        return rows

    def save(self, cases: list, batch: int = 5_000) -> None:
        from django.db import transaction

        with transaction.atomic():
            self.Case.objects.bulk_create(cases, batch_size=batch)
            self.CaseAssignment.objects.bulk_create(self.assignments(cases), batch_size=batch)

    def save_counters(self) -> None:
        from gridgov.cases.models import CaseCounter

        CaseCounter.objects.bulk_create(
            [CaseCounter(day=day, last=last) for day, last in self.per_day.items()],
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["last"],
        )


OPEN_AT_AGENCY = ["submitted", "accepted", "accepted", "accepted", "replied", "resolved"]


def open_deadlines(rng: random.Random, now: datetime):
    """(created, due, warn) of open work: started in the last days, due in the next."""
    created = now - timedelta(hours=rng.uniform(1, 24 * 10))
    due = now + timedelta(hours=rng.uniform(6, 24 * 7))
    warn = created + (due - created) * 0.75
    if warn <= now + timedelta(hours=1):  # not crossing while the benchmark runs
        warn = now + (due - now) * 0.5
    return created, due, warn


# Submissions per second ------------------------------------------------------------------


def _client(port, path, token_key, bodies, barrier, out):
    """One client connection (a process): waits for the others, posts its bodies over one
    keep-alive connection, reports (start, end, statuses, latencies)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    statuses, latencies = [], []
    barrier.wait()
    start = time.monotonic()
    for body in bodies:
        headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        if token_key:
            headers["Authorization"] = f"Bearer {token_key}"
        payload = json.dumps(body, ensure_ascii=False).encode()
        t0 = time.perf_counter()
        conn.request("POST", path, body=payload, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
        statuses.append(response.status)
    end = time.monotonic()
    conn.close()
    out.put((start, end, statuses, latencies))


def load(port: int, path: str, per_client: list[tuple[str, list[dict]]]) -> dict:
    """Run the clients at once; total requests per second and latencies."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(per_client))
    out = context.Queue()
    procs = [
        context.Process(target=_client, args=(port, path, token, bodies, barrier, out))
        for token, bodies in per_client
    ]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    statuses = [s for r in results for s in r[2]]
    latencies = [lat for r in results for lat in r[3]]
    return {
        "rate": len(statuses) / (end - start),
        "statuses": statuses,
        "median": median(latencies),
        "p95": percentile(latencies, 95),
    }


@contextmanager
def server(url: str, workers: int, threads: int):
    """gunicorn with the benchmark settings (product + bare endpoint) on loopback."""
    import socket
    import subprocess

    from bench.common import ROOT

    port = free_port()
    env = {**os.environ, "GRIDGOV_DATABASE_URL": url, "GRIDGOV_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridgov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run_submit(engine: str) -> None:
    clients, workers, threads = SIZES["CLIENTS"], SIZES["WORKERS"], SIZES["THREADS"]
    submissions, warmup = SIZES["SUBMISSIONS"], SIZES["WARMUP"]
    with database(engine, "submit") as db:
        if db is None:
            return
        url = db.url
        tag = f"cases[{engine}] submit"
        start = time.perf_counter()
        migrate(url)
        setup_django(url)
        world = build_world()
        report(f"{tag} setup (migrate, 300 grids, people)", time.perf_counter() - start, "s")

        from django.db import connections

        from gridgov.cases.models import Case

        rng = random.Random(42)
        # One grid worker per client connection, each reporting in their own grid.
        chosen = rng.sample(world["grids"], clients)
        tokens = [token_for(world["users"][f"w{grid.code}"]) for grid in chosen]

        def bodies(grid, n):
            out = []
            for i in range(n):
                lon, lat = grid_point(grid, rng)
                out.append(
                    {
                        "matter_code": MATTER,
                        "description": f"人行道上有摊位占道经营，影响通行（{grid.code[-4:]}-{i}）",
                        "attributes": {"stalls": rng.randint(1, 5)},
                        "lon": lon,
                        "lat": lat,
                    }
                )
            return out

        def plan(total):
            share = math.ceil(total / clients)
            return [
                (token, bodies(grid, share)) for token, grid in zip(tokens, chosen, strict=True)
            ]

        connections.close_all()  # the clients are forked: no shared database handle
        from django.conf import settings

        config = f"gunicorn {workers}×{threads} gthread, {clients} clients"
        if engine == "sqlite":
            kept = settings.DATABASES["default"]["CONN_MAX_AGE"]
            config += f", connections kept {kept} s" if kept else ", a connection per request"
        with server(url, workers, threads) as port:
            api_warm = plan(warmup)
            load(port, "/api/cases", api_warm)
            load(port, "/bench/bare", [("", b) for _t, b in plan(warmup)])
            bare = load(port, "/bench/bare", [("", b) for _t, b in plan(submissions)])
            api = load(port, "/api/cases", plan(submissions))
        expected = clients * (math.ceil(warmup / clients) + math.ceil(submissions / clients))
        created = Case.objects.count()
        failed = [s for s in api["statuses"] if s != 201]
        bad_bare = [s for s in bare["statuses"] if s != 201]
        if failed or bad_bare or created != expected:
            print(
                f"{tag}: WARNING {len(failed)} API failures {sorted(set(failed))}, "
                f"{len(bad_bare)} bare failures, {created} cases for {expected} submissions"
            )
        report(f"{tag} POST /api/cases, all on ({config})", api["rate"], "cases/s")
        report(f"{tag} POST /api/cases median latency", api["median"] * 1e3, "ms")
        report(f"{tag} POST /api/cases p95 latency", api["p95"] * 1e3, "ms")
        report(f"{tag} bare one-row insert, same server", bare["rate"], "rows/s")
        report(f"{tag} bare one-row insert median latency", bare["median"] * 1e3, "ms")
        report(f"{tag} ratio API / bare", 100 * api["rate"] / bare["rate"], "%")
        connections.close_all()


# A town operator's inbox among a million cases --------------------------------------------


def build_inbox_data(world: dict, total: int, town_open: int) -> dict:
    """``total`` cases over the last year: about 3 % open and spread over grids, towns
    and departments, the measured town holding ``town_open`` of them; the rest closed
    (a few rejected)."""
    from django.utils import timezone

    now = timezone.now()
    factory = CaseFactory(world, now)
    rng = factory.rng
    town = world["towns"][0]
    open_total = max(int(total * 0.03), town_open * 3)
    # The measured town's own work (in its inbox, plus a few paused or waiting).
    plan = [("area", town, rng.choice(OPEN_AT_AGENCY)) for _ in range(town_open)]
    plan += [("area", town, rng.choice(["postponed", "parked", "fed_back"])) for _ in range(40)]
    others = world["towns"][1:]
    for _ in range(open_total - len(plan)):
        kind = rng.random()
        if kind < 0.55:
            plan.append(("grid", None, "at_grid"))
        elif kind < 0.75:
            plan.append(("area", rng.choice(others), rng.choice(OPEN_AT_AGENCY)))
        else:
            plan.append(("department", None, rng.choice(["dispatched", "handling"])))
    batch, written = [], 0
    for n in range(total):
        if n < len(plan):
            holder, where, status = plan[n]
            created, due, warn = open_deadlines(rng, now)
            if status in ("postponed", "parked", "fed_back"):
                due = warn = None
            flag = "red" if due and rng.random() < 0.05 else "normal"
            case = factory.make(
                status=status,
                holder=holder,
                town=where,
                created=created,
                due=due,
                warn=warn,
                flag=flag,
            )
        else:
            status = "closed" if rng.random() < 0.97 else "rejected"
            case = factory.make(status=status, holder="none")
        batch.append(case)
        if len(batch) == 20_000:
            factory.save(batch)
            written += len(batch)
            batch = []
    if batch:
        factory.save(batch)
    factory.save_counters()
    return {"town": town.code, "open": open_total}


def run_inbox(engine: str) -> None:
    total, town_open = SIZES["INBOX_CASES"], SIZES["TOWN_OPEN"]
    sizes = {"cases": total, "town_open": town_open}
    # One kept dataset per size: a quick run does not throw away the million.
    with database(engine, f"inbox_{total}", keep=sizes if KEEP else None) as db:
        if db is None:
            return
        url = db.url
        tag = f"cases[{engine}] inbox[{total:,} cases]"
        start = time.perf_counter()
        if db.reused:
            migrate(url)  # new migrations since the dataset was written
            setup_django(url)
            world = load_world()
        else:
            migrate(url)
            setup_django(url)
            world = build_world()
            build_inbox_data(world, total, town_open)
            _analyze()
        report(f"{tag} dataset build (or reuse)", time.perf_counter() - start, "s")

        from django.db import connections

        from gridgov.cases.inbox import inbox
        from gridgov.cases.models import Case

        town = world["towns"][0]
        operator = world["users"][f"op{town.code}"]
        held = inbox(operator).count()
        report(f"{tag} cases in the database", Case.objects.count(), "cases")
        report(f"{tag} open cases in the town operator's inbox", held, "cases")
        token = token_for(operator)
        connections.close_all()
        requests = SIZES["INBOX_REQUESTS"]
        headers = {"Authorization": f"Bearer {token}"}
        with server(url, 1, 1) as port:
            timed_requests(port, ["/api/cases/inbox"] * 50, headers)  # warm up
            times = timed_requests(port, ["/api/cases/inbox"] * requests, headers)
        report(f"{tag} GET /api/cases/inbox median", median(times) * 1e3, "ms")
        report(f"{tag} GET /api/cases/inbox p95", percentile(times, 95) * 1e3, "ms")


def _analyze() -> None:
    """Fresh statistics for the planner, as after a day of normal use."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# The sweeper ---------------------------------------------------------------------------


def build_sweep_data(world: dict, total: int) -> dict:
    """``total`` open cases with running clocks; 2.5 % past their warning time and 2.5 %
    past their deadline (what a sweep finds after a quiet spell)."""
    from django.utils import timezone

    now = timezone.now()
    factory = CaseFactory(world, now, seed=11)
    rng = factory.rng
    crossing_yellow = int(total * SWEEP_CROSSING / 2)
    crossing_red = int(total * SWEEP_CROSSING) - crossing_yellow
    batch = []
    for n in range(total):
        created, due, warn = open_deadlines(rng, now)
        flag = "normal"
        if n < crossing_yellow:
            warn = now - timedelta(minutes=rng.uniform(1, 600))
        elif n < crossing_yellow + crossing_red:
            due = now - timedelta(minutes=rng.uniform(1, 600))
            warn = due - timedelta(hours=6)
            flag = "normal" if rng.random() < 0.5 else "yellow"
        kind = rng.random()
        if kind < 0.6:
            holder, status = "grid", "at_grid"
        elif kind < 0.85:
            holder, status = "area", rng.choice(OPEN_AT_AGENCY)
        else:
            holder, status = "department", rng.choice(["dispatched", "handling"])
        batch.append(
            factory.make(
                status=status, holder=holder, created=created, due=due, warn=warn, flag=flag
            )
        )
    rng.shuffle(batch)
    factory.save(batch)
    factory.save_counters()
    return {"yellow": crossing_yellow, "red": crossing_red}


def run_sweep(engine: str) -> None:
    total = SIZES["SWEEP_CASES"]
    with database(engine, "sweep") as db:
        if db is None:
            return
        url = db.url
        tag = f"cases[{engine}] sweep[{total:,} open cases]"
        start = time.perf_counter()
        migrate(url)
        setup_django(url)
        world = build_world()
        expected = build_sweep_data(world, total)
        _analyze()
        report(f"{tag} dataset build", time.perf_counter() - start, "s")

        from django.conf import settings
        from django.urls import get_resolver
        from django.utils import translation

        from gridgov.cases.sweep import sweep
        from gridgov.notifications.models import Notification

        # The worker sweeps every minute in a long-lived process: the URLconf (imported by
        # the first notification link) is loaded once there, not on every sweep.
        get_resolver().url_patterns  # noqa: B018
        with translation.override(settings.LANGUAGE_CODE):
            start = time.perf_counter()
            result = sweep()
            first = time.perf_counter() - start
            start = time.perf_counter()
            again = sweep()
            second = time.perf_counter() - start
        flipped = result.as_dict()
        print(
            f"{tag} flipped: {flipped['yellow']:,} yellow, {flipped['red']:,} red "
            f"(planted {expected['yellow']:,} and {expected['red']:,}); "
            f"{Notification.objects.count():,} notifications; second run flipped "
            f"{again.yellow + again.red}",
            flush=True,
        )
        report(f"{tag} sweep time", first, "s")
        report(f"{tag} second sweep (nothing to do)", second, "s")


SCENARIOS = {"submit": run_submit, "inbox": run_inbox, "sweep": run_sweep}
ENGINES = ("sqlite", "postgres")


if __name__ == "__main__":
    from bench.__main__ import environment

    environment()
    scenario, engine = sys.argv[1], sys.argv[2]
    if scenario not in SCENARIOS or engine not in ENGINES:
        sys.exit(f"usage: python -m bench.cases {'|'.join(SCENARIOS)} {'|'.join(ENGINES)}")
    SCENARIOS[scenario](engine)
