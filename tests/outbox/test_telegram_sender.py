"""The worker and the Telegram sender against the fake Bot API with Telegram's limits simulated."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.telegram_http import ServerError
from bot.channels.telegram_sender import TelegramSender, outcome_of
from bot.config import OutboxSettings, SendLimits
from bot.outbox.attachments import AttachmentStore
from bot.outbox.limiter import RateLimiter
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime
from storage.audience import Audience
from testkit.fake_bot_api import FakeBotAPI, RateLimit
from tests.conftest import Clock
from tests.e2e.conftest import picture
from tests.outbox.conftest import THAI_NGUYEN, add_producer, broadcast, queue, statuses, user

AUDIENCE = Audience(province=THAI_NGUYEN)


class TimedAPI(FakeBotAPI):
    """The fake, noting when each message was recorded (subclassed, not edited)."""

    def _record(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        output = super()._record(*args, **kwargs)
        output["at"] = time.monotonic()
        return output


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter without PTB's deprecation warning


@pytest.fixture
async def bot_api() -> AsyncIterator[TimedAPI]:
    async with TimedAPI(rate_limit=RateLimit(global_per_second=30, per_chat_per_second=1)) as api:
        yield api


async def producers_at(runtime: Runtime, api: FakeBotAPI, count: int) -> list[str]:
    chats = [str(100_000 + n) for n in range(count)]
    for chat in chats:
        api.user(int(chat))
        await add_producer(runtime, chat, products=[{}])
    return chats


async def deliver(
    runtime: Runtime,
    api: FakeBotAPI,
    clock: Clock,
    passes: int = 40,
    rate_per_second: float = 30.0,
    **config: Any,
) -> TelegramSender:
    """Runs a worker with the Telegram sender until the outbox has nothing due."""
    settings = dataclasses.replace(
        runtime.settings,
        outbox=dataclasses.replace(OutboxSettings(), **config),
        telegram_limits=SendLimits(rate_per_second=rate_per_second),
    )
    request = HTTPXRequest(connection_pool_size=16)
    limiter = RateLimiter.of(settings.telegram_limits)  # shared, as bot/cli.py wires it
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        sender = TelegramSender(bot, AttachmentStore(runtime.app.media), limiter)
        worker = OutboxWorker(
            runtime.db, sender, settings, clock, catalogs=runtime.app.catalogs, limiter=limiter
        )
        for _ in range(passes):
            if await worker.run_once() == 0:
                return sender
            clock.advance(seconds=5)  # retries are due again
    raise AssertionError("the outbox did not empty")


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


async def test_under_the_limit_there_are_no_429s_and_the_rate_holds(
    runtime: Runtime, clock: Clock, bot_api: TimedAPI
) -> None:
    chats = await producers_at(runtime, bot_api, 60)
    sent = await queue(runtime, clock, AUDIENCE)
    started = time.monotonic()
    await deliver(runtime, bot_api, clock, rate_per_second=25)
    elapsed = time.monotonic() - started

    outputs = bot_api.sent()
    assert bot_api.rejected_429 == 0
    assert Counter(int(o["chat_id"]) for o in outputs) == {int(chat): 1 for chat in chats}
    # Paced at the grant; the begin-send commit before each call adds jitter at the fake.
    assert busiest_second([o["at"] for o in outputs]) <= 30  # Telegram's limit
    assert elapsed >= 59 / 25 * 0.9  # paced, not flooded
    assert await statuses(runtime, sent.id) == {"sent": 60}


async def test_retry_after_is_honoured_and_nothing_is_lost_or_doubled(
    runtime: Runtime, clock: Clock
) -> None:
    # The fake allows 3/s and the worker is set to 40/s: even on a loaded machine
    # the worker outruns the fake, so 429s come.
    async with TimedAPI(rate_limit=RateLimit(global_per_second=3)) as api:
        chats = await producers_at(runtime, api, 15)
        sent = await queue(runtime, clock, AUDIENCE)
        await deliver(runtime, api, clock, rate_per_second=40, max_in_flight=4)
        outputs = api.sent()
    assert api.rejected_429 > 0  # the worker was told to slow down…
    assert api.rejected_429 <= 15  # …and did: a pause per 429, not a flood of retries
    assert Counter(int(o["chat_id"]) for o in outputs) == {int(chat): 1 for chat in chats}
    assert await statuses(runtime, sent.id) == {"sent": 15}


async def test_a_403_marks_the_user_blocked(
    runtime: Runtime, clock: Clock, bot_api: TimedAPI
) -> None:
    chats = await producers_at(runtime, bot_api, 3)
    bot_api.block(int(chats[1]), notify=False)
    sent = await queue(runtime, clock, AUDIENCE)
    await deliver(runtime, bot_api, clock)
    assert await statuses(runtime, sent.id) == {"sent": 2, "blocked": 1}
    assert bot_api.blocked_attempts == 1
    done = await broadcast(runtime, sent.id)
    assert (done.sent, done.blocked) == (2, 1)
    blocked = [u for u in [await user(runtime, i) for i in range(1, 4)] if u.blocked_at]
    assert [u.external_id for u in blocked] == [chats[1]]


async def test_a_photo_is_uploaded_once_then_sent_by_file_id(
    runtime: Runtime, clock: Clock, bot_api: TimedAPI
) -> None:
    await producers_at(runtime, bot_api, 3)
    attachment = await AttachmentStore(runtime.app.media).store_photo(picture(7))
    sent = await queue(runtime, clock, AUDIENCE, text="Ảnh hội chợ OCOP")
    async with runtime.db.transaction() as session:
        found = await session.get(type(sent), sent.id)
        assert found is not None
        found.attachment_kind, found.attachment_sha256 = attachment.kind, attachment.sha256
    await deliver(runtime, bot_api, clock, max_in_flight=1)
    outputs = bot_api.sent()
    assert [o["method"] for o in outputs] == ["sendPhoto"] * 3
    assert [o["text"] for o in outputs] == ["Ảnh hội chợ OCOP"] * 3
    assert outputs[0]["photo"] is not None and outputs[0]["photo_ref"] is None
    assert all(o["photo"] is None and o["photo_ref"] for o in outputs[1:])


async def test_a_photo_and_a_text_too_long_for_its_caption_are_paced_and_sent_once(
    runtime: Runtime, clock: Clock, bot_api: TimedAPI
) -> None:
    chats = await producers_at(runtime, bot_api, 3)
    attachment = await AttachmentStore(runtime.app.media).store_photo(picture(8))
    text = "Hội chợ OCOP Thái Nguyên. " * 60  # over the 1024 characters of a caption
    sent = await queue(runtime, clock, AUDIENCE, text=text)
    async with runtime.db.transaction() as session:
        found = await session.get(type(sent), sent.id)
        assert found is not None
        found.attachment_kind, found.attachment_sha256 = attachment.kind, attachment.sha256
    await deliver(runtime, bot_api, clock)
    # Each chat's second call waits for the chat's next second instead of drawing a 429,
    # which would have put the row back and sent the photo twice.
    assert bot_api.rejected_429 == 0
    for chat in chats:
        outputs = bot_api.sent(int(chat))
        assert [o["method"] for o in outputs] == ["sendPhoto", "sendMessage"]
        assert outputs[1]["text"] == text.strip()
        assert outputs[1]["at"] - outputs[0]["at"] >= 0.9  # paced, as the fake demands
    assert await statuses(runtime, sent.id) == {"sent": 3}


async def test_a_document_keeps_its_name(runtime: Runtime, clock: Clock, bot_api: TimedAPI) -> None:
    await producers_at(runtime, bot_api, 2)
    store = AttachmentStore(runtime.app.media)
    attachment = await store.store_document(b"%PDF-1.4 ke hoach", "Kế hoạch.pdf", "application/pdf")
    sent = await queue(runtime, clock, AUDIENCE, text="Kế hoạch tập huấn")
    async with runtime.db.transaction() as session:
        found = await session.get(type(sent), sent.id)
        assert found is not None
        found.attachment_kind, found.attachment_sha256 = attachment.kind, attachment.sha256
        found.attachment_name = attachment.name
    await deliver(runtime, bot_api, clock)
    outputs = bot_api.sent()
    assert [o["method"] for o in outputs] == ["sendDocument"] * 2
    assert outputs[0]["document"] == b"%PDF-1.4 ke hoach"
    assert outputs[0]["document_name"] == "Kế hoạch.pdf"
    assert outputs[0]["text"] == "Kế hoạch tập huấn"


def _caused(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: RetryAfter(3), "retry_after"),
        (lambda: Forbidden("Forbidden: bot was blocked by the user"), "blocked"),
        (lambda: BadRequest("Bad Request: chat not found"), "failed"),
        (lambda: _caused(TimedOut("no connection"), aiohttp.ConnectionTimeoutError()), "retry"),
        (lambda: _caused(TimedOut(), aiohttp.SocketTimeoutError("slow")), "unknown"),
        (lambda: _caused(NetworkError("gone"), aiohttp.ServerDisconnectedError()), "unknown"),
        (lambda: NetworkError("Bad Gateway (502)"), "unknown"),  # the gateway may have passed it on
        (lambda: ServerError(502, "Bad Gateway"), "unknown"),
        (lambda: ServerError(503, "Service Unavailable"), "retry"),  # not handled: send again
        (lambda: RuntimeError("surprise"), "unknown"),
    ],
)
def test_api_answers_map_to_outcomes(make: Callable[[], Exception], kind: str) -> None:
    outcome = outcome_of(make())  # built here, after PTB_TIMEDELTA is set
    assert outcome.kind == kind
    if kind == "retry_after":
        assert outcome.seconds == 3
