"""`make bench`: speed figures, one per line (`name: value unit`).

Each benchmark builds its own database under var/bench/ (kept between runs, so the
second run is quick) and measures there; nothing is asserted, the figures are printed.
"""

import argparse
import json
import os
import subprocess
import sys

BENCHMARKS = ("locate", "cases", "registry")
# bench.cases: each scenario on each engine, one process each (PostgreSQL is skipped with
# a note when it is not reachable; GRIDGOV_BENCH_QUICK=1 for small sizes).
CASE_SCENARIOS = ("submit", "inbox", "sweep")
CASE_ENGINES = ("sqlite", "postgres")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help="benchmarks to run")
    parser.add_argument(
        "--scales", default="1,5", help="demo scales for the locate benchmark (1 ≈ 6,000 grids)"
    )
    args = parser.parse_args()
    environment()
    for name in args.names:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        if name == "locate":
            # One process per database: Django is set up once per process.
            for scale in (int(s) for s in args.scales.split(",") if s):
                run_module("bench.locate", str(scale))
        if name == "registry":  # import throughput and exact-ID search (bench/registry.py)
            run_module("bench.registry")
        if name == "cases":
            for scenario in CASE_SCENARIOS:
                for engine in CASE_ENGINES:
                    run_module("bench.cases", scenario, engine)


def environment() -> None:
    """Benchmark-only secrets, kept under var/bench/ so reruns reuse their databases."""
    from bench.common import VAR

    os.environ.setdefault("GRIDGOV_DEBUG", "true")
    os.environ.setdefault("GRIDGOV_SECRET_KEY", "bench-only-secret-key")
    if not (os.environ.get("GRIDGOV_KEYS") or os.environ.get("GRIDGOV_KEYS_FILE")):
        from gridgov.core.keys import generate_config

        keys = VAR / "keys.json"
        if not keys.exists():
            VAR.mkdir(parents=True, exist_ok=True)
            keys.write_text(json.dumps(generate_config()), encoding="utf-8")
            keys.chmod(0o600)
        os.environ["GRIDGOV_KEYS_FILE"] = str(keys)


def run_module(module: str, *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", module, *args], check=False)
    if result.returncode:
        sys.exit(result.returncode)


if __name__ == "__main__":
    main()
