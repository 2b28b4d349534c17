"""The bot token's limiter: interactive first, per-chat pacing that holds only its own chat,
and a pause for everyone. Time is a clock the test moves, so nothing here depends on speed."""

from __future__ import annotations

import asyncio

import pytest

from bot.outbox.limiter import BULK, INTERACTIVE, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sends:
    """Waiters started as tasks; `order` lists their names as the limiter grants them."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.order: list[str] = []
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._granted = asyncio.Event()
        self._read = 0  # grants next_grant() has returned

    def start(self, name: str, chat: str, priority: int) -> None:
        async def wait() -> None:
            await self.limiter.acquire(chat, priority)
            self.order.append(name)
            self._granted.set()

        self.tasks[name] = asyncio.create_task(wait())

    async def settle(self) -> None:
        """Lets every started waiter reach the limiter (and the pump run)."""
        for _ in range(5):
            await asyncio.sleep(0)

    async def next_grant(self) -> str:
        """The next grant in order (waiting for it if it has not happened yet)."""
        async with asyncio.timeout(5):
            while len(self.order) <= self._read:
                self._granted.clear()
                await self._granted.wait()
        self._read += 1
        return self.order[self._read - 1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_interactive_sends_go_before_waiting_bulk_sends(clock: Clock) -> None:
    limiter = RateLimiter(100, 1000, burst=1, clock=clock)
    await limiter.acquire("first", BULK)  # uses the slot of this instant
    sends = Sends(limiter)
    for n in range(3):
        sends.start(f"broadcast {n}", f"b{n}", BULK)
    await sends.settle()
    for n in range(3):
        sends.start(f"reply {n}", f"r{n}", INTERACTIVE)
    await sends.settle()
    assert sends.order == []  # the rate holds everyone until the clock moves
    for _ in range(6):
        clock.now += limiter.interval
        await sends.next_grant()
    assert sends.order == [
        "reply 0",
        "reply 1",
        "reply 2",
        "broadcast 0",
        "broadcast 1",
        "broadcast 2",
    ]


async def test_a_chat_waits_for_its_own_pace_without_holding_up_other_chats(
    clock: Clock,
) -> None:
    limiter = RateLimiter(1000, 1, burst=1, clock=clock)
    await limiter.acquire("hoa", INTERACTIVE)  # Hoa's first message is on its way
    sends = Sends(limiter)
    sends.start("hoa's second message", "hoa", INTERACTIVE)
    await sends.settle()
    sends.start("lan's broadcast", "lan", BULK)
    clock.now += limiter.interval
    assert await sends.next_grant() == "lan's broadcast"  # Hoa's wait holds only Hoa

    clock.now += 5.0
    await sends.settle()
    assert "hoa's second message" not in sends.order  # still in flight: no answer yet
    limiter.release("hoa")  # the API answered the first message
    clock.now += 0.5
    await sends.settle()
    assert "hoa's second message" not in sends.order  # a second after the answer, not before
    clock.now += 0.5
    assert await sends.next_grant() == "hoa's second message"


async def test_a_pause_holds_both_priorities_until_it_is_over(clock: Clock) -> None:
    limiter = RateLimiter(1000, 1000, burst=5, clock=clock)
    limiter.pause(3.0)  # a 429 said "retry after 3"
    sends = Sends(limiter)
    sends.start("reply", "r", INTERACTIVE)
    sends.start("broadcast", "b", BULK)
    clock.now += 2.9
    await sends.settle()
    assert sends.order == []
    assert limiter.paused_for() == pytest.approx(0.1)
    clock.now += 0.1
    await sends.next_grant()
    await sends.next_grant()
    assert sends.order == ["reply", "broadcast"]


async def test_a_cancelled_waiter_takes_no_slot(clock: Clock) -> None:
    limiter = RateLimiter(100, 1000, burst=1, clock=clock)
    await limiter.acquire("first", BULK)
    sends = Sends(limiter)
    sends.start("gone", "g", INTERACTIVE)
    sends.start("kept", "k", BULK)
    await sends.settle()
    sends.tasks["gone"].cancel()
    await sends.settle()
    clock.now += limiter.interval
    assert await sends.next_grant() == "kept"
    assert limiter.waiting() == (0, 0)


async def test_a_chat_with_a_message_in_flight_counts_as_busy_for_the_outbox(
    clock: Clock,
) -> None:
    limiter = RateLimiter(1000, 1, clock=clock)
    assert limiter.chat_wait("hoa") == 0
    async with limiter.slot("hoa", INTERACTIVE):
        assert limiter.chat_wait("hoa") == 1.0  # the worker gives Hoa's row back for later
    clock.now += 0.25
    assert limiter.chat_wait("hoa") == pytest.approx(0.75)
