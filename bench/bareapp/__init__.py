"""A bare one-row-insert endpoint: the floor the case submission benchmark compares with.

Used only by ``bench.settings_bench``; the product neither installs nor routes it.
"""
