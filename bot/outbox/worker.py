"""The outbox worker: lease due rows, pace them, send each at most once, report progress.

    worker = OutboxWorker(db, sender, settings)
    await worker.start()      # runs in the background until…
    await worker.stop()       # …this: no new sends, in-flight ones finish
    await worker.run_once()   # or one pass at a time (tests, benchmarks)

Each row is committed as "sending" before its API call and settled right
after; a row left "sending" by a process that died becomes "unknown" once
its lease runs out and is never sent again (docs/outbox.md says why).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.config import Settings
from bot.core.context import utc_now
from bot.core.types import NOTICE_PREFIX
from bot.i18n import Catalogs
from bot.outbox import sender as outcomes
from bot.outbox.attachments import of_broadcast
from bot.outbox.limiter import BULK, RateLimiter
from bot.outbox.progress import progress_text, report_text
from bot.outbox.sender import Attachment, Buttons, Outcome, Outgoing, Sender
from storage import outbox
from storage.db import Database
from storage.models import Broadcast, OutboxMessage, User
from storage.states.delivery import OutboxStatus

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0  # seconds between tries of a message that failed for a passing reason


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utc_now,
        *,
        catalogs: Catalogs | None = None,
        worker_id: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.config = settings.outbox
        self.clock = clock
        self.catalogs = catalogs or Catalogs(settings.default_language, settings.timezone)
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        # The bot token's limiter, shared with interactive replies (bot/cli.py);
        # a worker on its own (tests, tools) gets one of its own, with the limits of
        # its sender's channel: one worker and one limiter per channel.
        self.limiter = limiter or RateLimiter.of(
            settings.send_limits(sender.channel), clock=monotonic
        )
        self._monotonic = monotonic
        self._slots = asyncio.Semaphore(self.config.max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._contents: dict[int, tuple[str, Attachment | None]] = {}
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._housekept_at = float("-inf")

    # --- running ----------------------------------------------------------

    async def start(self) -> None:
        """Runs in the background until `stop()`."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"outbox {self.id}")

    async def stop(self) -> None:
        """Leases nothing more, lets in-flight sends finish and records them."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None

    def wake(self) -> None:
        """Looks for due messages now rather than at the next idle tick."""
        self._wakeup.set()

    async def run_once(self) -> int:
        """One pass: housekeeping, one batch sent and settled, progress; returns the batch size."""
        await self._housekeeping()
        rows = await self._lease()
        await self._dispatch(rows)
        await self._drain()
        await self._housekeeping()
        return len(rows)

    async def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    if self._monotonic() - self._housekept_at >= 1.0:
                        await self._housekeeping()
                    rows = await self._lease()
                    # Sends of this batch may still be in flight while the next is leased.
                    await self._dispatch(rows)
                except Exception:
                    log.exception("outbox pass failed; trying again shortly")
                    rows = []
                if not rows:
                    await self._idle()
        finally:
            await self._drain()

    async def _idle(self) -> None:
        self._wakeup.clear()
        try:
            async with asyncio.timeout(self.config.idle_seconds):
                await self._wakeup.wait()
        except TimeoutError:
            pass

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- leasing and pacing ---------------------------------------------------

    def _lease_until(self) -> dt.datetime:
        return self.clock() + dt.timedelta(seconds=self.config.lease_seconds)

    async def _lease(self) -> list[OutboxMessage]:
        if self._stopping.is_set():
            return []
        async with self.db.transaction() as session:
            return await outbox.lease(
                session,
                worker=self.id,
                channel=self.sender.channel,
                now=self.clock(),
                until=self._lease_until(),
                limit=self.config.batch_size,
            )

    async def _dispatch(self, rows: list[OutboxMessage]) -> None:
        """Starts each row's send as the limits allow; gives back what cannot go soon."""
        busy: dict[float, list[int]] = {}  # rows whose chat had a message just now, by delay
        for index, row in enumerate(rows):
            pause = self.limiter.paused_for()
            if self._stopping.is_set() or pause > self.config.lease_seconds / 2:
                await self._release([r.id for r in rows[index:]], pause)
                break
            wait = self.limiter.chat_wait(row.chat_id)
            if wait > 0:
                busy.setdefault(round(wait, 1), []).append(row.id)
                continue
            await self._slots.acquire()
            await self.limiter.acquire(row.chat_id, BULK)  # released by _deliver
            task = asyncio.create_task(self._deliver(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for wait, ids in busy.items():
            await self._release(ids, wait)

    async def _release(self, row_ids: list[int], delay: float) -> None:
        later = self.clock() + dt.timedelta(seconds=delay) if delay > 0 else None
        async with self.db.transaction() as session:
            await outbox.release(session, row_ids, self.id, later)

    # --- one message ----------------------------------------------------------

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            async with self.db.transaction() as session:
                if not await outbox.begin_send(session, row.id, self.id, self._lease_until()):
                    return  # cancelled, or taken over after our lease ran out
            try:
                message = await self._compose(row)
            except Exception as error:  # e.g. the attachment's file is gone
                log.exception("outbox row %s cannot be composed", row.id)
                await self._settle(row, outbox.FAILED, error=f"compose: {error!r}")
                return
            outcome = await self.sender.send(row.chat_id, message)
            await self._record(row, outcome)
        except Exception:
            # Left "sending": it expires to "unknown" and is never sent again.
            log.exception("outbox row %s: delivery bookkeeping failed", row.id)
        finally:
            self.limiter.release(row.chat_id)
            self._slots.release()

    async def _record(self, row: OutboxMessage, outcome: Outcome) -> None:
        now = self.clock()
        metrics.count_send(self.sender.channel, outcome.kind)
        if outcome.kind == outcomes.SENT:
            await self._settle(row, outbox.SENT, message_id=outcome.message_id)
        elif outcome.kind == outcomes.BLOCKED:
            await self._settle(row, outbox.BLOCKED, error=outcome.error)
        elif outcome.kind == outcomes.RETRY_AFTER:
            metrics.OUTBOX_429.labels(self.sender.channel).inc()
            self.limiter.pause(outcome.seconds)
            retry_at = now + dt.timedelta(seconds=outcome.seconds)
            await self._settle(row, outbox.PENDING, error=outcome.error, retry_at=retry_at)
        elif outcome.kind == outcomes.RETRY and row.attempts + 1 < self.config.max_attempts:
            backoff = min(MAX_BACKOFF, 2.0 ** (row.attempts + 1))
            retry_at = now + dt.timedelta(seconds=backoff)
            await self._settle(row, outbox.PENDING, error=outcome.error, retry_at=retry_at)
        elif outcome.kind == outcomes.UNKNOWN:
            await self._settle(row, outbox.UNKNOWN, error=outcome.error)
        elif outcome.kind == outcomes.OUT_WINDOW:  # retrying cannot open it again
            await self._settle(row, outbox.OUT_WINDOW, error=outcome.error)
        else:
            await self._settle(row, outbox.FAILED, error=outcome.error)
        if outcome.kind not in (outcomes.SENT, outcomes.BLOCKED):
            log.info("outbox row %s: %s %s", row.id, outcome.kind, outcome.error)

    async def _settle(self, row: OutboxMessage, status: OutboxStatus, **details: Any) -> None:
        async with self.db.transaction() as session:
            await outbox.settle(session, row, self.id, status, self.clock(), **details)

    async def _compose(self, row: OutboxMessage) -> Outgoing:
        """The row's message: its own payload, or its broadcast's text and attachment."""
        payload = row.payload
        text = str(payload.get("text", ""))
        raw = payload.get("attachment")
        attachment = Attachment.from_json(raw) if raw else None
        if row.kind == outbox.BROADCAST and row.broadcast_id is not None:
            text, attachment = await self._content(row.broadcast_id)
        return Outgoing(text, notice_buttons(row), attachment)

    async def _content(self, broadcast_id: int) -> tuple[str, Attachment | None]:
        """A broadcast's text and attachment, read once (they cannot change once queued)."""
        cached = self._contents.get(broadcast_id)
        if cached is None:
            async with self.db.transaction() as session:
                broadcast = await outbox.get_broadcast(session, broadcast_id)
            if broadcast is None:
                raise LookupError(f"broadcast {broadcast_id} is gone")
            if len(self._contents) > 64:
                self._contents.clear()
            cached = self._contents[broadcast_id] = (
                broadcast.text,
                of_broadcast(broadcast),
            )
        return cached

    # --- housekeeping: expiry, schedules, progress -------------------------------

    async def _housekeeping(self) -> None:
        self._housekept_at = self._monotonic()
        now = self.clock()
        async with self.db.transaction() as session:
            expired = await outbox.expire_sending(session, now)
            await outbox.start_due_broadcasts(session, now)
            unfinished = await outbox.unfinished_broadcasts(session)
        if expired:
            log.warning("%d outbox rows were left mid-send by a stopped worker: unknown", expired)
        for broadcast in unfinished:
            await self._progress(broadcast)

    async def _progress(self, broadcast: Broadcast) -> None:
        """Edits the progress message now and then; closes the broadcast when all is settled."""
        now = self.clock()
        every = dt.timedelta(seconds=self.config.progress_seconds)
        async with self.db.transaction() as session:
            # Read again: the progress message's id may have been stored since.
            broadcast = await session.get(Broadcast, broadcast.id) or broadcast
            counts = await outbox.broadcast_counts(session, broadcast.id)
            row = await outbox.progress_row(session, broadcast.id)
            officer = await session.get(User, broadcast.officer_id or 0)
            finished = not any(counts.get(status) for status in outbox.OPEN)
            if finished and not await self._close(session, broadcast, counts, officer, now):
                return  # another worker closed it
            if row is None or officer is None or row.status != outbox.SENT:
                return  # no progress message to edit (yet)
            if not finished and not await outbox.claim_progress_edit(
                session, row.id, now, now + every
            ):
                return  # edited less than `progress_seconds` ago
        await self._edit_progress(broadcast, row, officer, counts, finished)

    async def _close(
        self,
        session: AsyncSession,
        broadcast: Broadcast,
        counts: dict[str, int],
        officer: User | None,
        now: dt.datetime,
    ) -> bool:
        """Closes the broadcast and queues the officer's report; False if another worker did."""
        if not await outbox.finish_broadcast(session, broadcast.id, counts, now):
            return False
        if officer is not None:
            t = self.catalogs.translator(officer.language)
            text = report_text(t, broadcast.id, broadcast.total, counts, _state(broadcast, True))
            await outbox.enqueue(
                session,
                officer,
                outbox.payload(text),
                kind=outbox.REPORT,
                dedupe_key=f"broadcast:{broadcast.id}:report",
                broadcast_id=broadcast.id,
                not_before=now,
            )
        return True

    async def _edit_progress(
        self,
        broadcast: Broadcast,
        row: OutboxMessage,
        officer: User,
        counts: dict[str, int],
        finished: bool,
    ) -> None:
        t = self.catalogs.translator(officer.language)
        state = _state(broadcast, finished)
        text = progress_text(t, broadcast.id, broadcast.total, counts, state)
        buttons = [] if finished else notice_buttons(row)  # closed: the stop button goes
        async with self.limiter.slot(row.chat_id, BULK):  # edits count against the limits too
            outcome = await self.sender.edit(
                row.chat_id, str(broadcast.progress_message), text, buttons
            )
        if outcome.kind == outcomes.RETRY_AFTER:
            self.limiter.pause(outcome.seconds)
        if outcome.kind != outcomes.SENT:
            log.info("progress of broadcast %s not edited: %s", broadcast.id, outcome.error)


def _state(broadcast: Broadcast, finished: bool) -> str:
    if broadcast.status == outbox.CANCELLED_BROADCAST:
        return "cancelled"
    return "done" if finished else "sending"


def notice_buttons(row: OutboxMessage) -> Buttons:
    """The row's buttons with the callback data the dispatcher resolves: n:<id>:<index>."""
    buttons: Buttons = []
    index = 0
    for stored in row.payload.get("buttons", []):
        line = []
        for button in stored:
            line.append((str(button["label"]), f"{NOTICE_PREFIX}{row.id}:{index}"))
            index += 1
        buttons.append(line)
    return buttons
