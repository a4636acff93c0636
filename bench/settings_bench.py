"""Benchmark settings: the product's settings plus the bare one-row-insert app of
``bench/bareapp`` (the comparison floor of ``bench.cases``). Never used by the product.
"""

from gridgov.settings import *  # noqa: F403
from gridgov.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareapp"]
ROOT_URLCONF = "bench.bareapp.urls"
