"""Distances and typed coordinates (bot/core/geo.py)."""

from __future__ import annotations

import pytest

from bot.core.geo import coordinates, distance_km, in_vietnam


def test_distance_between_hanoi_and_ho_chi_minh_city() -> None:
    # Hoàn Kiếm Lake to Bến Thành Market: about 1,140 km as the crow flies.
    assert distance_km(21.0288, 105.8525, 10.7725, 106.6980) == pytest.approx(1140, rel=0.01)
    assert distance_km(10.0, 106.0, 10.0, 106.0) == 0


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("10.7769, 106.7009", (10.7769, 106.7009)),
        ("  21.5942,105.7675 ", (21.5942, 105.7675)),
        ("10,7769 106,7009", (10.7769, 106.7009)),  # decimal commas, as Vietnamese phones type
        ("10.7769; 106.7009", (10.7769, 106.7009)),
    ],
)
def test_typed_coordinates(text: str, point: tuple[float, float]) -> None:
    assert coordinates(text) == point


@pytest.mark.parametrize(
    "text",
    ["106.7009, 10.7769", "48.85, 2.35", "hello", "", "10.77", "1e3, 5", "10.7, 106.7, 3"],
)
def test_not_coordinates_in_vietnam(text: str) -> None:
    assert coordinates(text) is None


def test_vietnam_box_holds_its_far_islands() -> None:
    assert in_vietnam(8.68, 106.61)  # Côn Đảo
    assert in_vietnam(10.22, 103.96)  # Phú Quốc
    assert not in_vietnam(1.35, 103.82)  # Singapore
