"""Shared pieces: a database per benchmark, a live server, timing helpers."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"


def report(name: str, value: float, unit: str) -> None:
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.4f}"
    print(f"{name}: {text} {unit}", flush=True)


def gridgov(*args: str, database_url: str, check: bool = True, quiet: bool = True):
    env = {**os.environ, "GRIDGOV_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args],
        env=env,
        check=check,
        stdout=subprocess.DEVNULL if quiet else None,
        cwd=ROOT,
    )


def setup_django(database_url: str) -> None:
    os.environ["GRIDGOV_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(database_url: str, workers: int = 1, threads: int = 1):
    """gunicorn serving the project on a free loopback port."""
    port = free_port()
    env = {**os.environ, "GRIDGOV_DATABASE_URL": database_url, "GRIDGOV_LOG_LEVEL": "WARNING"}
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
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def timed_requests(port: int, paths: list[str], headers: dict) -> list[float]:
    """Sequential GETs over one keep-alive connection; seconds per request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    for path in paths:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    conn.close()
    return times


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)
