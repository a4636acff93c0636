"""Locate speed on the demo map: in-process single and bulk, and through the HTTP API,
beside a bare shapely STRtree query on the same polygons (the ratio is our overhead)."""

import time

import numpy as np
import shapely

from bench.common import (
    VAR,
    gridgov,
    live_server,
    median,
    percentile,
    report,
    setup_django,
    timed_requests,
)

SINGLE_POINTS = 20_000
BULK_POINTS = 500_000
API_REQUESTS = 1_000


def prepare(scale: int) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{VAR / f'locate-scale{scale}.sqlite3'}"
    gridgov("migrate", "-v0", database_url=url)
    start = time.perf_counter()
    gridgov("demo", "--scale", str(scale), database_url=url)
    return url, time.perf_counter() - start


def sample_points(index, n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Random points inside the territorial grids' overall extent (most land in a grid)."""
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(index.t_shapes)
    return rng.uniform(min_lon, max_lon, n), rng.uniform(min_lat, max_lat, n)


def run(scale: int) -> None:
    url, demo_seconds = prepare(scale)
    setup_django(url)
    from gridgov.areas.locate import LocateIndex

    start = time.perf_counter()
    index = LocateIndex.load()
    load_seconds = time.perf_counter() - start
    n_grids = len(index.territorial) + len(index.exclusive)
    tag = f"locate[scale={scale},grids={n_grids}]"
    report(f"{tag} demo load (or reuse) time", demo_seconds, "s")
    report(f"{tag} index build time", load_seconds, "s")

    lons, lats = sample_points(index, SINGLE_POINTS)
    pairs = list(zip(lons.tolist(), lats.tolist(), strict=True))

    # Bare STRtree on the same polygons: the floor any point-in-polygon lookup pays.
    tree = shapely.STRtree(index.t_shapes)
    start = time.perf_counter()
    for lon, lat in pairs:
        tree.query(shapely.Point(lon, lat), predicate="intersects")
    bare_single = (time.perf_counter() - start) / len(pairs)

    start = time.perf_counter()
    for lon, lat in pairs:
        index.locate(lon, lat)
    ours_single = (time.perf_counter() - start) / len(pairs)
    report(f"{tag} single, bare STRtree query", bare_single * 1e6, "µs/point")
    report(f"{tag} single, gridgov locate", ours_single * 1e6, "µs/point")
    report(f"{tag} single, overhead ratio (gridgov / bare)", ours_single / bare_single, "x")

    blons, blats = sample_points(index, BULK_POINTS, seed=7)
    start = time.perf_counter()
    tree.query(shapely.points(blons, blats), predicate="intersects")
    bare_bulk = BULK_POINTS / (time.perf_counter() - start)
    start = time.perf_counter()
    index.locate_codes(blons, blats)
    ours_bulk = BULK_POINTS / (time.perf_counter() - start)
    report(f"{tag} bulk, bare STRtree query", bare_bulk, "points/s")
    report(f"{tag} bulk, gridgov locate_codes", ours_bulk, "points/s")
    report(f"{tag} bulk, overhead ratio (bare / gridgov)", bare_bulk / ours_bulk, "x")

    cookie = _session_cookie()
    paths = [f"/api/areas/locate?lon={lon:.6f}&lat={lat:.6f}" for lon, lat in pairs[:API_REQUESTS]]
    with live_server(url) as port:
        timed_requests(port, paths[:50], {"Cookie": cookie})  # warm up: index load, imports
        times = timed_requests(port, paths, {"Cookie": cookie})
    report(f"{tag} API GET /api/areas/locate median", median(times) * 1e3, "ms")
    report(f"{tag} API GET /api/areas/locate p95", percentile(times, 95) * 1e3, "ms")


def _session_cookie() -> str:
    """A logged-in session for a benchmark user, as a Cookie header."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from gridgov.areas.models import Area
    from gridgov.orgs.choices import Role
    from gridgov.orgs.models import Post

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"full_name": "基准测试"}
    )
    # A city operator: sees the whole map, so every answer is checked and complete.
    city = Area.objects.get(level=1)
    Post.objects.get_or_create(
        user=user, role=Role.AGENCY_OPERATOR, area=city, defaults={"start_date": "2020-01-01"}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


if __name__ == "__main__":
    import sys

    run(int(sys.argv[1]))
