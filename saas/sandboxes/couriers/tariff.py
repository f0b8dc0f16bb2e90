"""Distance-based fares: per-km rate with a minimum, rounded up to the next Rp 500."""
from __future__ import annotations

STEP = 500


def fare(km: float, per_km: int, minimum: int) -> int:
    """Integer arithmetic on tenths of a km, so 13.9 km × 2500 is exactly 34750 before rounding."""
    tenths = round(km * 10)
    steps = -(-per_km * tenths // (10 * STEP))  # ceiling division
    return max(minimum, steps * STEP)
