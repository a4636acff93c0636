"""Benchmark settings: the product's settings plus the bare one-row-insert app of
``bench/bareapp`` (the comparison floor of ``bench.cases``). Never used by the product.

One deployment choice differs from the shipped defaults: SQLite connections are kept
open between requests like PostgreSQL's (``GRIDGOV_DB_CONN_MAX_AGE``, default 60 s;
``GRIDGOV_BENCH_SQLITE_CONN_MAX_AGE=0`` measures the shipped behaviour). Opening a
SQLite connection reads the whole schema, about 2 ms per request on this project.
"""

import os

from gridgov.settings import *  # noqa: F403
from gridgov.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareapp"]
ROOT_URLCONF = "bench.bareapp.urls"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = int(
        os.environ.get(
            "GRIDGOV_BENCH_SQLITE_CONN_MAX_AGE", os.environ.get("GRIDGOV_DB_CONN_MAX_AGE", "60")
        )
    )
