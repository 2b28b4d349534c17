"""`ocop-bot run --webhook --workers N`: N `ocop-bot work` processes beside the one that
takes the webhooks, kept running until it stops.

One process listens on the port (webhooks, pages, the outbox, the scheduler);
the workers share only the PostgreSQL database, so nothing else is shared
between them and one dying costs nothing but its lease (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

log = logging.getLogger(__name__)

RESTART_WAIT = 1.0  # seconds before a worker that died is started again
STOP_WAIT = 15.0  # a worker has its own 10 s grace at SIGTERM; then it is killed


def work_command() -> list[str]:
    return [sys.executable, "-m", "bot.cli", "work"]


class Workers:
    """Starts `count` worker processes and starts again any that dies."""

    def __init__(self, count: int, command: list[str] | None = None) -> None:
        self.count = count
        self.command = command or work_command()
        self.processes: list[asyncio.subprocess.Process | None] = [None] * count
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        self._watchers = [
            asyncio.create_task(self._keep(index), name=f"worker {index}")
            for index in range(self.count)
        ]

    async def _keep(self, index: int) -> None:
        while not self._stopping:
            process = await asyncio.create_subprocess_exec(*self.command)
            self.processes[index] = process
            log.info("worker %d started (pid %d)", index, process.pid)
            code = await process.wait()
            if self._stopping:
                return
            log.error(
                "worker %d (pid %d) ended with %s; starting it again", index, process.pid, code
            )
            await asyncio.sleep(RESTART_WAIT)

    async def stop(self) -> None:
        """SIGTERM to every worker (each finishes what it holds), then waits for them."""
        self._stopping = True
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        running = [p for p in self.processes if p is not None and p.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in running:
            try:
                async with asyncio.timeout(STOP_WAIT):
                    await process.wait()
            except TimeoutError:
                log.error("worker pid %d did not stop in %.0f s; killed", process.pid, STOP_WAIT)
                process.kill()
                await process.wait()
