"""`make bench`: speed figures, one per line (`name: value unit`).

Each benchmark builds its own database under var/bench/ (kept between runs, so the
second run is quick) and measures there; nothing is asserted, the figures are printed.
"""

import argparse
import os
import sys

BENCHMARKS = ("locate",)


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help="benchmarks to run")
    parser.add_argument(
        "--scales", default="1,5", help="demo scales for the locate benchmark (1 ≈ 6,000 grids)"
    )
    args = parser.parse_args()
    os.environ.setdefault("GRIDGOV_DEBUG", "true")
    os.environ.setdefault("GRIDGOV_SECRET_KEY", "bench-only-secret-key")
    for name in args.names:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        if name == "locate":
            from bench import locate

            for scale in (int(s) for s in args.scales.split(",") if s):
                locate.run(scale)


if __name__ == "__main__":
    main()
