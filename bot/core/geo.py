"""Points on the map: distances, and coordinates typed as text.

A channel without a "share my location" key (Zalo, the console) lets a
user type coordinates as map apps copy them ("10.7769, 106.7009").
"""

from __future__ import annotations

import math
import re

EARTH_RADIUS_KM = 6371.0088
# Vietnam and its islands, generously: a point outside is a typo (swapped or
# mistyped numbers), not a workshop.
VIETNAM = (6.0, 24.0, 101.0, 118.0)  # south, north, west, east
_PAIR = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")
_DECIMAL_PAIR = re.compile(r"^\s*(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*$")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): metres-accurate at the distances shown."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def in_vietnam(lat: float, lon: float) -> bool:
    south, north, west, east = VIETNAM
    return south <= lat <= north and west <= lon <= east


def coordinates(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) typed as "10.7769, 106.7009" (or with a decimal comma and a
    space between them); None when the text is not a point in Vietnam."""
    text = text.strip()
    match = _DECIMAL_PAIR.match(text) or _PAIR.match(text)
    if match is None:
        return None
    try:
        lat, lon = (float(part.replace(",", ".")) for part in match.groups())
    except ValueError:
        return None
    return (lat, lon) if in_vietnam(lat, lon) else None


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """south, north, west, east of a square around the point holding the circle."""
    dlat = radius_km / 111.2
    dlon = radius_km / (111.2 * max(0.1, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
