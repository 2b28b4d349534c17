"""The per-user photo limit: so many in any minute, then again once the oldest is a minute old."""

from __future__ import annotations

from bot.core.throttle import Throttle


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_user_gets_the_limit_then_waits_for_the_oldest_to_age() -> None:
    ticks = Ticks()
    throttle = Throttle(3, 60.0, ticks)
    for second in (0, 10, 20):
        ticks.now = 1000.0 + second
        assert throttle.allow("hoa")
    ticks.now = 1059.0
    assert not throttle.allow("hoa")  # refused tries are not counted
    assert throttle.allow("minh")  # another user has a limit of their own
    ticks.now = 1060.0  # the first one is a minute old
    assert throttle.allow("hoa")
    assert not throttle.allow("hoa")


def test_users_quiet_for_a_minute_are_forgotten() -> None:
    ticks = Ticks()
    throttle = Throttle(2, 60.0, ticks)
    for user in range(100):
        throttle.allow(user)
    assert len(throttle) == 100
    ticks.now += 61
    throttle.allow("hoa")
    assert len(throttle) == 1
