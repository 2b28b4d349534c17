"""Interactive replies (bot/outbox/replies.py): what each Bot API answer does to one message
and to the rest of the reply. Calls are scripted with the errors python-telegram-bot raises
and read with the Telegram channel's own rule (`outcome_of`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram_errors import outcome_of
from bot.channels.telegram_http import ServerError
from bot.outbox.limiter import RateLimiter
from bot.outbox.replies import MAX_RETRIES, ReplyDelivery
from bot.runtime import Runtime
from storage.models import User
from storage.users import get_or_create_user
from tests.conftest import Clock


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def _caused(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


def no_connection() -> Exception:
    return _caused(TimedOut("no connection"), aiohttp.ConnectionTimeoutError())


class Script:
    """The messages of one reply; each call answers with its next scripted error, else OK."""

    def __init__(self, *plans: list[Exception]) -> None:
        self.plans = [list(plan) for plan in plans]
        self.attempts = [0] * len(plans)
        self.delivered: list[int] = []  # message numbers, once per successful call

    def calls(self) -> list[Callable[[], Awaitable[object]]]:
        def call(number: int) -> Callable[[], Awaitable[object]]:
            async def attempt() -> object:
                self.attempts[number] += 1
                if self.plans[number]:
                    raise self.plans[number].pop(0)
                self.delivered.append(number)
                return True

            return attempt

        return [call(number) for number in range(len(self.plans))]


@pytest.fixture
def naps() -> list[float]:
    return []


@pytest.fixture
def delivery(runtime: Runtime, clock: Clock, naps: list[float]) -> ReplyDelivery:
    async def sleep(seconds: float) -> None:
        naps.append(seconds)

    limiter = RateLimiter(1000, 1000)
    return ReplyDelivery(limiter, outcome_of, runtime.db, "telegram", clock, sleep=sleep)


async def test_a_429_waits_and_sends_the_same_message_again(delivery: ReplyDelivery) -> None:
    script = Script([RetryAfter(dt.timedelta(milliseconds=20))], [])
    outcomes = await delivery.deliver("42", "42", script.calls())
    assert [o.kind for o in outcomes] == ["sent", "sent"]
    assert script.attempts == [2, 1]
    assert script.delivered == [0, 1]  # in order, each once


@pytest.mark.parametrize(
    "failure",
    [no_connection, lambda: ServerError(503, "Service Unavailable")],
    ids=["no connection", "503"],
)
async def test_nothing_sent_is_tried_again_with_backoff(
    delivery: ReplyDelivery, naps: list[float], failure: Callable[[], Exception]
) -> None:
    script = Script([failure(), failure()])
    [outcome] = await delivery.deliver("42", "42", script.calls())
    assert outcome.kind == "sent"
    assert script.attempts == [3]
    assert naps == [0.5, 1.0]


async def test_retries_are_bounded_and_the_rest_of_the_reply_still_goes(
    delivery: ReplyDelivery, naps: list[float]
) -> None:
    script = Script([no_connection() for _ in range(MAX_RETRIES + 1)], [])
    outcomes = await delivery.deliver("42", "42", script.calls())
    assert [o.kind for o in outcomes] == ["retry", "sent"]
    assert script.attempts == [MAX_RETRIES + 1, 1]
    assert len(naps) == MAX_RETRIES


@pytest.mark.parametrize(
    "failure",
    [
        lambda: _caused(TimedOut(), aiohttp.SocketTimeoutError("slow answer")),
        lambda: _caused(NetworkError("gone"), aiohttp.ServerDisconnectedError()),
        lambda: ServerError(500, "Internal Server Error"),
        lambda: ServerError(502, "Bad Gateway"),
        lambda: ServerError(504, "Gateway Timeout"),
    ],
    ids=["read timeout", "dropped connection", "500", "502", "504"],
)
async def test_a_message_that_may_have_arrived_is_never_sent_again(
    delivery: ReplyDelivery, naps: list[float], failure: Callable[[], Exception]
) -> None:
    script = Script([failure()], [])
    outcomes = await delivery.deliver("42", "42", script.calls())
    assert [o.kind for o in outcomes] == ["unknown", "sent"]
    assert script.attempts == [1, 1]  # not repeated; the next message still goes
    assert naps == []


async def test_a_refused_message_is_not_repeated(delivery: ReplyDelivery) -> None:
    script = Script([BadRequest("Bad Request: can't parse entities")], [])
    outcomes = await delivery.deliver("42", "42", script.calls())
    assert [o.kind for o in outcomes] == ["failed", "sent"]
    assert script.attempts == [1, 1]


async def test_a_user_who_blocked_the_bot_is_recorded_and_sent_nothing_more(
    runtime: Runtime, clock: Clock, delivery: ReplyDelivery
) -> None:
    async with runtime.db.transaction() as session:
        user_id = (await get_or_create_user(session, "telegram", "42", "Hoa")).id
    script = Script([Forbidden("Forbidden: bot was blocked by the user")], [], [])
    outcomes = await delivery.deliver("42", "42", script.calls())
    assert [o.kind for o in outcomes] == ["blocked"]
    assert script.attempts == [1, 0, 0]
    async with runtime.db.transaction() as session:
        user = await session.get(User, user_id)
        assert user is not None and user.blocked_at is not None
        assert user.blocked_at.replace(tzinfo=dt.UTC) == clock().replace(tzinfo=dt.UTC)
