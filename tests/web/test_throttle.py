"""bot/web/throttle.py: the per-address allowance of stamp checks, in memory only."""

from __future__ import annotations

import logging

import pytest

from bot.web.throttle import Throttle


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allowance_refills_at_the_same_rate() -> None:
    clock = Seconds()
    throttle = Throttle(6, clock)
    assert [throttle.allow("203.0.113.9") for _ in range(7)] == [True] * 6 + [False]
    assert throttle.allow("203.0.113.10")  # another address has its own
    clock.now += 10  # 6 a minute: one every 10 s
    assert throttle.allow("203.0.113.9") and not throttle.allow("203.0.113.9")
    clock.now -= 3600  # a clock set back gives nothing back, and breaks nothing
    assert not throttle.allow("203.0.113.9")


def test_one_log_line_per_streak_without_the_address(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Seconds()
    throttle = Throttle(1, clock)
    for _ in range(50):
        throttle.allow("198.51.100.23")
    clock.now += 60
    assert throttle.allow("198.51.100.23")
    throttle.allow("198.51.100.23")
    assert len(caplog.records) == 2  # the first streak and the second
    assert "198.51.100.23" not in caplog.text


def test_memory_is_bounded() -> None:
    throttle = Throttle(5, Seconds(), max_clients=100)
    for n in range(1000):
        throttle.allow(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._buckets) <= 100
    assert all(len(key) == 16 for key in throttle._buckets)  # hashes, not addresses
