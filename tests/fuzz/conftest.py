"""Fuzzing against the real app, bounded so a CI pass stays fast.

``ANTAR_FUZZ_EXAMPLES`` scales every fuzz test (default 1: the figures in the README); examples are
derandomized, so a CI run is repeatable, and no example database is written into the tree.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("ANTAR_FUZZ_EXAMPLES", "1"))

settings.register_profile("antar-fuzz", deadline=None, database=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.data_too_large, HealthCheck.filter_too_much])


def examples(n: int) -> settings:
    return settings(settings.get_profile("antar-fuzz"), max_examples=max(1, int(n * SCALE)))
