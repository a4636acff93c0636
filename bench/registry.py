"""Registry speed: import throughput (persons/s, from a CSV file: reading, validation,
SM4-GCM encryption, HMAC-SM3 blind indexes, households, versions) on SQLite and
PostgreSQL, and exact-ID search time with 3.3 million persons on PostgreSQL.

``python -m bench.registry sqlite|postgres`` (one process per database, as
``bench/__main__.py`` runs it). PostgreSQL: ``GRIDGOV_BENCH_POSTGRES_URL`` (default
postgres://postgres@127.0.0.1:5432/gridgov_bench_registry); the database is created and
dropped here; unreachable → a note and no figure. ``GRIDGOV_BENCH_QUICK=1`` → small sizes.

The 3.3 million rows for the search are written with ``COPY`` (the import's own
``FastInsert``) from pre-computed rows: their encryption and blind indexes are real but
not timed — they are what the import figure measures. Searches go through
``registry.search.persons`` as a county operator, scope resolution included.
"""

import csv
import io
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta

from bench.common import VAR, gridgov, percentile, report, setup_django

QUICK = os.environ.get("GRIDGOV_BENCH_QUICK") == "1"
IMPORT_ROWS = 20_000 if QUICK else 200_000
SEARCH_PERSONS = int(
    os.environ.get("GRIDGOV_BENCH_SEARCH_PERSONS", 200_000 if QUICK else 3_300_000)
)
SEARCHES = 500 if QUICK else 2_000
POSTGRES_URL = os.environ.get(
    "GRIDGOV_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gridgov_bench_registry"
)
AREAS = ("450702", "450703", "450721", "450722")
SURNAMES = "黄陈李梁刘张林韦王杨苏覃莫吴何蒙陆农"
GIVEN = "伟强军平勇杰涛明辉华芳娜敏静丽艳娟霞燕玲秀英桂兰"


def person_id(i: int) -> str:
    """A distinct valid fictitious ID number for every i < 4 × 36,500 × 500."""
    from gridgov.registry.identity import make_resident_id

    area = AREAS[i % 4]
    rest = i // 4
    born = date(1925, 1, 1) + timedelta(days=rest % 36_500)
    return make_resident_id(born, rest // 36_500, area)


def persons_csv(n: int, addresses: list[str], offset: int = 0) -> bytes:
    """A 公安-style file: households of three, names, ethnicity, phone, residence."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            *("姓名", "证件号码", "民族", "联系电话", "人口类别"),
            *("居住地址编码", "户号", "与户主关系", "居住起始日期"),
        ]
    )
    for k in range(n):
        i = offset + k
        household = i // 3
        writer.writerow(
            [
                SURNAMES[i % 18] + GIVEN[(i // 18) % 24] + GIVEN[(i // 7) % 24],
                person_id(i),
                ("汉族", "汉族", "壮族")[i % 3],
                f"139{i % 10**8:08d}",
                "户籍人口",
                addresses[household % len(addresses)],
                f"B{household:08d}",
                ("户主", "配偶", "子女")[i % 3],
                "2015-03-01",
            ]
        )
    return out.getvalue().encode("utf-8")


def territory():
    """The test city (9901) with 40 grids and one door in each; a county operator."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.areas.models import Area
    from gridgov.core.testing import grant, make_territory
    from gridgov.orgs.choices import Role
    from gridgov.registry import importing

    places = make_territory(grids_per_village=20)
    rows = [["村（社区）代码", "街路巷", "门牌号", "经度", "纬度"]]
    for v, village in enumerate((places["village_a"], places["village_b"])):
        for g in range(20):
            lon, lat = 108.0 + 0.01 * g + 0.005, 21.0 + 0.01 * v + 0.005
            rows.append([village.code, "测试路", f"{v * 100 + g + 1}号", f"{lon}", f"{lat}"])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    table = importing.read_table(out.getvalue().encode(), "addresses")
    importing.import_rows("addresses", table.rows, actor=None, area=places["county"])
    from gridgov.registry.models import Address

    doors = list(Address.objects.filter(level="door").values_list("code", flat=True))
    user = get_user_model().objects.create_user(
        "bench-county", full_name="区中心操作员", password_changed_at=timezone.now()
    )
    grant(user, Role.AGENCY_OPERATOR, area=Area.objects.get(code=places["county"].code))
    return places["county"], doors, user


def import_figure(tag: str, county, doors) -> None:
    from gridgov.registry import importing
    from gridgov.registry.models import Person

    data = persons_csv(IMPORT_ROWS, doors)
    start = time.perf_counter()
    table = importing.read_table(data, "persons")
    outcome = importing.import_rows("persons", table.rows, actor=None, area=county, dry_run=True)
    dry = time.perf_counter() - start
    assert outcome.bad_rows == 0, outcome.errors[:5]
    start = time.perf_counter()
    table = importing.read_table(data, "persons")
    outcome = importing.import_rows("persons", table.rows, actor=None, area=county)
    seconds = time.perf_counter() - start
    assert outcome.created == IMPORT_ROWS == Person.objects.count()
    start = time.perf_counter()
    table = importing.read_table(data, "persons")
    again = importing.import_rows("persons", table.rows, actor=None, area=county)
    rerun = time.perf_counter() - start
    assert again.unchanged == IMPORT_ROWS
    label = f"registry[{tag},{IMPORT_ROWS:,} persons]"
    report(f"{label} import throughput", IMPORT_ROWS / seconds, "persons/s")
    report(f"{label} dry-run throughput", IMPORT_ROWS / dry, "rows/s")
    report(f"{label} re-import (unchanged) throughput", IMPORT_ROWS / rerun, "rows/s")
    if os.environ.get("GRIDGOV_BENCH_PROFILE") == "1":
        profile(county, doors)


def profile(county, doors) -> None:
    """cProfile of an import of 20,000 new persons (GRIDGOV_BENCH_PROFILE=1)."""
    import cProfile
    import pstats

    from gridgov.registry import importing

    data = persons_csv(20_000, doors, offset=10_000_000)
    table = importing.read_table(data, "persons")
    profiler = cProfile.Profile()
    profiler.enable()
    importing.import_rows("persons", table.rows, actor=None, area=county)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def fill(total: int, doors) -> float:
    """Persons up to ``total`` by COPY of pre-computed rows, the way a restore loads a
    table: foreign-key triggers off for the session, secondary indexes dropped and built
    again afterwards (the final table and indexes are those of the schema). Every row has
    its own real ciphertext and blind index. Returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from gridgov.registry.importing import FastInsert
    from gridgov.registry.models import Address, Person

    have = Person.objects.count()
    grids = dict(Address.objects.filter(code__in=doors).values_list("id", "grid_id"))
    door_ids = list(grids)
    field = Person._meta.get_field("id_number")
    inserter = FastInsert(Person)
    template = dict(
        zip(
            inserter.fields,
            inserter.rows([{"name": "", "grid_id": 0}], timezone.now())[0],
            strict=True,
        )
    )
    columns = [f.column for f in inserter.fields]
    position = {f.attname: i for i, f in enumerate(inserter.fields)}
    base = [template[f] for f in inserter.fields]
    qn = connection.ops.quote_name
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_person' "
            "AND indexname NOT IN (SELECT conindid::regclass::text FROM pg_constraint "
            "WHERE conrelid = 'registry_person'::regclass AND conindid <> 0)"
        )
        indexes = cursor.fetchall()
        for index_name, _definition in indexes:
            cursor.execute(f"DROP INDEX {qn(index_name)}")
        cursor.execute("SET session_replication_role = replica")  # no FK triggers
    batch = 100_000
    copy_sql = f"COPY registry_person ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    for first in range(have, total, batch):
        last = min(first + batch, total)
        ids = inserter._ids(last - first)
        with transaction.atomic(), connection.cursor() as cursor:
            copy_rows(cursor, copy_sql, ids, first, last, base, position, door_ids, grids, field)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        for _index_name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE registry_person")
    return time.perf_counter() - start


def copy_rows(cursor, sql, ids, first, last, base, position, door_ids, grids, field) -> None:
    from gridgov.core import crypto
    from gridgov.registry.importing import fast_public_id

    with cursor.cursor.copy(sql) as copy:
        for pk, i in zip(ids, range(first, last), strict=True):
            number = person_id(i)
            door = door_ids[i % len(door_ids)]
            row = list(base)
            row[position["id"]] = pk
            row[position["public_id"]] = fast_public_id()
            row[position["name"]] = SURNAMES[i % 18] + GIVEN[(i // 18) % 24] + GIVEN[(i // 7) % 24]
            row[position["id_number"]] = crypto.encrypt(number, context=field.context)
            row[position["id_number_index"]] = field.index_of(number)
            row[position["gender"]] = "1" if int(number[16]) % 2 else "2"
            row[position["birth_date"]] = date(
                int(number[6:10]), int(number[10:12]), int(number[12:14])
            )
            row[position["residence_id"]] = door
            row[position["grid_id"]] = grids[door]
            copy.write_row(row)


def search_figure(user, total: int) -> None:
    """Exact-ID searches of random registered numbers (and a tenth of unknown ones) as a
    county operator: the search query alone (the scope already resolved, as within a
    request), and with the scope resolved afresh (the posts query) each time."""
    import gc

    from gridgov.registry import search

    rng = random.Random(4507)
    numbers = [person_id(rng.randrange(total)) for _ in range(SEARCHES)]
    numbers += [person_id(total + rng.randrange(10**6)) for _ in range(SEARCHES // 10)]
    rng.shuffle(numbers)
    found = list(search.persons(user, id_number=numbers[0])[:20])
    assert len(found) <= 1
    label = f"registry[postgres,{total:,} persons] exact-ID search"
    gc.collect()
    for fresh_scope, name in ((False, "query"), (True, "with scope resolution")):
        times = []
        for number in numbers:
            if fresh_scope:
                user._current_posts = None
            start = time.perf_counter()
            list(search.persons(user, id_number=number)[:20])
            times.append(time.perf_counter() - start)
        report(f"{label} ({name}) p50", percentile(times, 50) * 1000, "ms")
        report(f"{label} ({name}) p95", percentile(times, 95) * 1000, "ms")


def run_sqlite() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "registry.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        (path.parent / (path.name + suffix)).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    gridgov("migrate", "-v0", database_url=url)
    setup_django(url)
    county, doors, _user = territory()
    import_figure("sqlite", county, doors)
    path.unlink(missing_ok=True)


def _admin_url(url: str) -> tuple[str, str]:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _postgres(sql: str, url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)
        return True
    except psycopg.OperationalError as exc:
        print(f"registry[postgres]: skipped, PostgreSQL unreachable ({exc})".splitlines()[0])
        return False


def run_postgres() -> None:
    admin, name = _admin_url(POSTGRES_URL)
    if not _postgres(f'DROP DATABASE IF EXISTS "{name}"', admin):
        return
    _postgres(f'CREATE DATABASE "{name}"', admin)
    try:
        gridgov("migrate", "-v0", database_url=POSTGRES_URL)
        setup_django(POSTGRES_URL)
        county, doors, user = territory()
        import_figure("postgres", county, doors)
        seconds = fill(SEARCH_PERSONS, doors)
        report(f"registry[postgres] fill to {SEARCH_PERSONS:,} persons (COPY)", seconds, "s")
        search_figure(user, SEARCH_PERSONS)
    finally:
        from django.db import connections

        connections.close_all()
        _postgres(f'DROP DATABASE IF EXISTS "{name}"', admin)


def main() -> None:
    """Without an argument: each engine in its own process (Django is set up once per
    process); with ``sqlite`` or ``postgres``: that one."""
    if len(sys.argv) < 2:
        from bench.common import ROOT

        for engine in ("sqlite", "postgres"):
            result = subprocess.run([sys.executable, "-m", "bench.registry", engine], cwd=ROOT)
            if result.returncode:
                sys.exit(result.returncode)
        return
    started = time.perf_counter()
    which = sys.argv[1]
    if which == "postgres":
        run_postgres()
    else:
        run_sqlite()
    report(f"registry[{which}] benchmark time", time.perf_counter() - started, "s")


if __name__ == "__main__":
    main()
