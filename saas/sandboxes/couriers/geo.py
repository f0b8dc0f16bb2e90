"""Distances the way couriers quote them: great-circle length stretched to a road estimate."""
from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0
ROAD_FACTOR = 1.25  # roads are longer than the straight line; both couriers price on road km


def parse_lat_long(text: object) -> tuple[float, float]:
    """``"-1.2561,116.8745"`` → (lat, long); ValueError for anything else."""
    if not isinstance(text, str) or text.count(",") != 1:
        raise ValueError("expected 'latitude,longitude'")
    lat, lng = (float(part.strip()) for part in text.split(","))
    return checked_point(lat, lng)


def checked_point(lat: object, lng: object) -> tuple[float, float]:
    """A point with real-world coordinates; ValueError for non-numbers and out-of-range values."""
    if isinstance(lat, bool) or isinstance(lng, bool):
        raise ValueError("coordinates must be numbers")
    lat, lng = float(lat), float(lng)  # type: ignore[arg-type]
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError("coordinates out of range")
    return lat, lng


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def road_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The distance a courier charges for, in km with one decimal."""
    return round(haversine_km(a, b) * ROAD_FACTOR, 1)


def along(a: tuple[float, float], b: tuple[float, float], share: float) -> tuple[float, float]:
    """A point ``share`` of the way from a to b: where a driver on that leg roughly is."""
    return (round(a[0] + (b[0] - a[0]) * share, 6), round(a[1] + (b[1] - a[1]) * share, 6))
