"""The scheduler: plan, lease what is due, check it, queue it in the outbox.

    scheduler = SchedulerService(db, settings, clock)
    await scheduler.start()      # a pass every `interval_seconds` until…
    await scheduler.stop()
    await scheduler.run_once()   # or one pass (tests, benchmarks)

A pass sweeps for new gaps and expiring certificates (every
`sweep_minutes`), then, unless it is quiet hours, takes due jobs in
batches of `batch_size`, each batch one transaction: lease, check each job
(verdicts.py), hold capped nudges back to the week's next free slot, queue
the rest in the outbox and mark them done. The outbox worker then sends
them under the same rate limits as officers' broadcasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.config import Settings
from bot.core.context import utc_now
from bot.i18n import Catalogs
from bot.scheduler import kinds, plans, rules, verdicts
from storage import jobs
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    planned: int = 0  # jobs the sweep scheduled
    queued: int = 0  # messages put in the outbox
    deferred: int = 0  # held back by the weekly cap
    dropped: Counter[str] = field(default_factory=Counter)  # by reason
    quiet: bool = False  # quiet hours: nothing was leased

    @property
    def handled(self) -> int:
        return self.queued + self.deferred + sum(self.dropped.values())


class SchedulerService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], dt.datetime] = utc_now,
        *,
        catalogs: Catalogs | None = None,
        instance: str | None = None,
        max_batches: int = 50,
    ) -> None:
        self.db = db
        self.config = settings.reminders
        self.clock = clock
        self.catalogs = catalogs or Catalogs(settings.default_language, settings.timezone)
        self.tz = ZoneInfo(settings.timezone)
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.max_batches = max_batches  # a pass ends, so sweeps and stop() are never starved
        self._swept_at: dt.datetime | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- running ----------------------------------------------------------------

    async def start(self) -> None:
        """Runs passes in the background until `stop()`."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"scheduler {self.instance}")

    async def stop(self) -> None:
        """Lets the running batch commit, then stops."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                report = await self.run_once()
                metrics.SCHEDULER_PASSED.set_to_current_time()
                if report.handled or report.planned:
                    log.info("scheduler %s: %s", self.instance, report)
            except Exception:  # a failing pass must not stop the next one
                log.exception("scheduler pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.interval_seconds)

    async def run_once(self) -> PassReport:
        report = PassReport()
        now = self.clock()
        if self._swept_at is None or now - self._swept_at >= dt.timedelta(
            minutes=self.config.sweep_minutes
        ):
            report.planned = await self.sweep(now)
        if self.quiet_until(now) is not None:
            report.quiet = True  # due jobs wait in the table; the morning pass checks them
            return report
        for _ in range(self.max_batches):
            if await self._batch(report) < self.config.batch_size:
                break
        return report

    def quiet_until(self, now: dt.datetime) -> dt.datetime | None:
        return rules.quiet_until(now, self.tz, self.config.quiet_start, self.config.quiet_end)

    async def sweep(self, now: dt.datetime | None = None) -> int:
        """Plans new series; 0 if another instance was planning the same ones at once."""
        now = now or self.clock()
        try:
            async with self.db.transaction() as session:
                planned = await plans.sweep(session, self.config, self.tz, now)
        except IntegrityError:
            log.info("scheduler %s: a sweep raced another instance's; next time", self.instance)
            return 0
        self._swept_at = now
        return planned

    # --- one batch: one transaction ---------------------------------------------

    async def _batch(self, report: PassReport) -> int:
        """Handles up to one batch of due jobs; returns how many it leased."""
        now = self.clock()
        async with self.db.transaction() as session:
            leased = await jobs.lease_due(session, now, self.config.batch_size)
            if not leased:
                return 0
            users = {user.id: user for _job, user in leased}
            sent = await jobs.recent_sends(session, list(users), kinds.CAPPED, now - rules.WEEK)
            subjects = await verdicts.load(session, [job for job, _user in leased])
            outgoing: list[jobs.Reminder] = []
            dropped: dict[str, list[int]] = defaultdict(list)
            deferred: dict[int, dt.datetime] = {}
            for job, user in leased:
                t = self.catalogs.translator(user.language)
                verdict = verdicts.decide(job, user, subjects, t, now)
                if isinstance(verdict, verdicts.Drop):
                    dropped[verdict.outcome].append(job.id)
                    continue
                if job.kind in kinds.CAPPED:
                    week = sent.setdefault(user.id, [])
                    slot = rules.next_slot(week, self.config.weekly_cap, now)
                    if slot is not None:
                        deferred[job.id] = slot
                        continue
                    week.append(now)
                outgoing.append(jobs.Reminder(job.id, user, f"reminder:{job.dedupe_key}", verdict))
            await jobs.queue_reminders(session, outgoing, now)
            queued = [reminder.job_id for reminder in outgoing]
            await jobs.settle(session, queued=queued, dropped=dropped, deferred=deferred, now=now)
        report.queued += len(outgoing)
        report.deferred += len(deferred)
        report.dropped.update({reason: len(ids) for reason, ids in dropped.items()})
        return len(leased)
