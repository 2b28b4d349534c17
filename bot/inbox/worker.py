"""The inbox worker: lease stored updates, handle each exactly once, send its replies once.

    worker = InboxWorker(db, dispatcher, {"telegram": channel}, settings.inbox)
    await worker.start()   # leases and handles in the background until…
    await worker.stop()    # …this: nothing new taken, what is in hand finished (≤ grace)

For each leased row, in order:
1. the dispatcher handles the update; inside its transaction (the QueueReplies
   hook) the row is marked handled with the replies it queued, only if the
   lease is still this worker's — so a conversation saved and an update marked
   handled are one commit, and no update is handled twice;
2. the row is committed "sending", then the channel delivers the replies,
   then the row is "sent". A worker that dies in step 2 leaves the row
   "sending": it becomes "unknown" and is never sent again (at most once).
A worker that dies before step 2 leaves its lease to run out; another then
takes the row (handled rows only to send them).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from bot.channels.webhook import WebhookChannel
from bot.config import InboxSettings
from bot.core.context import utc_now
from bot.core.dispatcher import Abandon, Dispatcher
from bot.core.types import Incoming, Reply
from bot.inbox import replies as stored_replies
from storage import inbox
from storage.db import Database, Unit
from storage.models import InboxUpdate

log = logging.getLogger(__name__)


@runtime_checkable
class Acknowledges(Protocol):
    """A channel that tells the platform an update was seen before handling it (Telegram
    stops a pressed button's spinner)."""

    async def acknowledge(self, payload: Mapping[str, Any]) -> None: ...


HOUSEKEEPING_SECONDS = 1.0
PRUNE_AFTER = dt.timedelta(days=3)  # platforms redeliver within a day


class InboxWorker:
    def __init__(
        self,
        db: Database,
        dispatcher: Dispatcher,
        channels: Mapping[str, WebhookChannel],
        config: InboxSettings,
        clock: Callable[[], dt.datetime] = utc_now,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.channels = channels
        self.config = config
        self.clock = clock
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        # Each task answers one chat's updates, one after another: task → its current row.
        self._tasks: dict[asyncio.Task[None], int] = {}
        self._stopping = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._housekept_at = float("-inf")
        self._pruned_at = float("-inf")

    # --- running ----------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"inbox {self.id}")

    def wake(self) -> None:
        """An update was stored: look now rather than at the next poll."""
        self._wakeup.set()

    async def stop(self, grace: float | None = None) -> None:
        """Takes nothing more; lets the updates in hand finish within `grace` seconds, then
        gives back the ones not yet handled (another worker takes them at once)."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
        in_hand = list(self._tasks)
        if in_hand:
            _done, late = await asyncio.wait(in_hand, timeout=grace or self.config.stop_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        left = list(self._tasks.values())
        if left:
            async with self.db.transaction() as session:
                await inbox.release(session, left, self.id)
            self._tasks.clear()

    async def _run(self) -> None:
        idle = self.config.poll_seconds / 8
        while not self._stopping.is_set():
            rows: list[InboxUpdate] = []
            try:
                await self._housekeeping()
                free = self.config.concurrency - len(self._tasks)
                if free > 0:
                    rows = await self._lease(free)
            except Exception:
                log.exception("inbox pass failed; trying again shortly")
            for row in rows:
                task = asyncio.create_task(self._answer(row), name=f"inbox chat {row.chat_key}")
                self._tasks[task] = row.id
                task.add_done_callback(self._finished)
            # Idle: wait for a wake-up (a row stored or finished here), a little longer each
            # empty pass up to poll_seconds, for rows other processes store or free.
            idle = self.config.poll_seconds / 8 if rows else min(idle * 2, self.config.poll_seconds)
            if not rows or len(self._tasks) >= self.config.concurrency:
                self._wakeup.clear()
                try:
                    async with asyncio.timeout(idle):
                        await self._wakeup.wait()
                except TimeoutError:
                    pass

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._wakeup.set()  # a slot is free, and the chat's next update may be due

    async def _lease(self, limit: int) -> list[InboxUpdate]:
        now = self.clock()
        async with self.db.transaction() as session:
            return await inbox.lease(
                session, worker=self.id, now=now, until=self._lease_end(now), limit=limit
            )

    def _lease_end(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.config.lease_seconds)

    async def _housekeeping(self) -> None:
        moment = time.monotonic()
        if moment - self._housekept_at < HOUSEKEEPING_SECONDS:
            return
        self._housekept_at = moment
        now = self.clock()
        async with self.db.transaction() as session:
            lost = await inbox.expire_sending(session, now)
            if moment - self._pruned_at >= 3600:
                self._pruned_at = moment
                await inbox.prune(session, now - PRUNE_AFTER)
        if lost:
            log.warning(
                "inbox: %d updates' replies were being sent by a worker that stopped; "
                "not sent again",
                lost,
            )

    # --- one row ----------------------------------------------------------

    async def _answer(self, row: InboxUpdate) -> None:
        """Answers `row`, then the chat's next updates as long as they are waiting."""
        task = asyncio.current_task()
        following: InboxUpdate | None = row
        while following is not None:
            if task is not None:
                self._tasks[task] = following.id
            following = await self._process(following)

    async def _process(self, row: InboxUpdate) -> InboxUpdate | None:
        """Handles the row and sends its replies; the chat's next row, leased, if one waits."""
        try:
            channel = self.channels.get(row.channel)
            if channel is None:
                log.error("inbox: no channel %r in this worker; row %d left", row.channel, row.id)
                return None
            incoming = channel.to_incoming(row.payload)
            if incoming is None:  # nothing the bot takes (the intake stores none such)
                await self._settle_unanswered(row)
                return None
            if row.status == inbox.LEASED and isinstance(channel, Acknowledges):
                await channel.acknowledge(row.payload)
            if row.status == inbox.LEASED and await self._handle(channel, row, incoming) is None:
                return None
            stored = await self._begin_send(row)
            if stored is None:
                return None
            try:
                await channel.deliver(incoming, stored_replies.load(stored))
            except Exception:
                log.exception("inbox: delivering the replies to update %d failed", row.id)
            now = self.clock()
            async with self.db.statements() as session:
                # The chat's next row first: until `row` is marked sent, no other
                # worker can take the chat (its order holds either way).
                following = None
                if not self._stopping.is_set():
                    following = await inbox.lease_next(session, row, self.id, self._lease_end(now))
                await inbox.mark_sent(session, row.id, self.id, now)
                return following
        except Exception:
            log.exception(
                "inbox: update %d failed; another worker takes it after the lease", row.id
            )
            return None

    async def _handle(
        self, channel: WebhookChannel, row: InboxUpdate, incoming: Incoming
    ) -> list[Reply] | None:
        """Handles the update, its replies queued in its own transaction; None if the row
        turned out not to be this worker's."""
        queued: list[list[Reply]] = []

        async def queue(unit: Unit, replies: list[Reply]) -> None:
            for reply in replies:
                # Made here, not after the commit as the dispatcher otherwise does:
                # the queued replies must be complete when the transaction ends.
                if reply.make_document is not None:
                    reply.document = await asyncio.to_thread(reply.make_document)
                    reply.make_document = None
            if not await inbox.mark_handled(
                unit, row.id, self.id, stored_replies.dump(replies), self.clock()
            ):
                raise Abandon(f"inbox row {row.id} is no longer {self.id}'s")
            queued.append(replies)

        try:
            replies = await self.dispatcher.handle(
                incoming, channel.capabilities, channel.fetch, queue=queue
            )
        except Abandon:
            log.info("inbox: update %d was taken by another worker meanwhile", row.id)
            return None
        if queued and replies is queued[-1]:
            return replies
        # The update failed and its transaction rolled back: the error reply (with its
        # reference id) is queued on its own.
        async with self.db.transaction() as session:
            ok = await inbox.mark_handled(
                session, row.id, self.id, stored_replies.dump(replies), self.clock()
            )
        return replies if ok else None

    async def _settle_unanswered(self, row: InboxUpdate) -> None:
        now = self.clock()
        async with self.db.transaction() as session:
            if row.status == inbox.LEASED:
                await inbox.mark_handled(session, row.id, self.id, stored_replies.dump([]), now)
            if await inbox.begin_send(session, row.id, self.id, now) is not None:
                await inbox.mark_sent(session, row.id, self.id, now)

    async def _begin_send(self, row: InboxUpdate) -> dict[str, Any] | None:
        now = self.clock()
        async with self.db.statements() as session:
            return await inbox.begin_send(session, row.id, self.id, self._lease_end(now))
