"""Webhook mode on PostgreSQL: how much faster two worker processes answer than one.

    python -m bench.webhook_bench [--chats 150] [--rounds 3]

Each run: a fresh PostgreSQL database; K `ocop-bot work` processes started,
each against a loopback fake Bot API process of its own (bench/fake_server.py:
one shared fake would be the bottleneck, as Telegram's servers never are),
and ready (each has asked getMe); then
chats × 10 Telegram updates (the conversation of tests/inbox/test_workers.py:
/start, a registration begun, answered, cancelled...) stored in the inbox in
one commit, as the webhook stores them; the clock runs from that commit until
every row is answered ("sent"). K = 1 and K = 2 alternate for `--rounds`
rounds; the medians are compared. Target: 2 workers ≥ 1.5× one worker's
updates per second, with the machine's core count beside it.

CPU is counted over the same window: the workers' own, PostgreSQL's (its
processes), the fakes', and the rest of the machine's (the kernel's network
work on loopback, this process's polling, anything else). From the one-worker
figures it prints the ceiling the machine allows: one worker is held to a core
by its event loop (W CPU-ms per update), and two workers can go no faster than
the cores can do the whole update, W plus everything else (X): 2 workers /
1 worker ≤ min(2, cores × W / (W + X)).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from sqlalchemy.engine import make_url

from bench.common import machine_info
from storage import inbox
from storage.db import Database, upgrade
from testkit.fake_bot_api import FakeBotAPI
from testkit.webhook_processes import SCRIPT, config_file

POSTGRES_URL = os.environ.get(
    "OCOP_BENCH_POSTGRES_URL",
    os.environ.get("OCOP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)
TARGET = 1.5


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class Run:
    """One run's updates per second and CPU-ms per update, by who spent them."""

    rate: float
    workers: float
    postgres: float
    fakes: float
    rest: float  # the kernel's loopback work, this process, anything else

    @property
    def others(self) -> float:
        return self.postgres + self.fakes + self.rest


async def _until_sent(url: str, total: int) -> None:
    """Polls (one connection: a new one each time would cost PostgreSQL a process)."""
    connection = await asyncpg.connect(_dsn(url))
    try:
        sql = "SELECT count(*) FROM inbox WHERE status = 'sent'"
        while int(await connection.fetchval(sql)) < total:  # noqa: ASYNC110 - polls the database
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


async def _fake(first_user: int, chats: int) -> tuple[asyncio.subprocess.Process, int]:
    """A fake Bot API process that knows the bench's users; its port."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.fake_server",
        "--users",
        f"{first_user}:{chats}",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await process.stdout.readline()).decode().split()
    assert line[:1] == ["port"], line
    return process, int(line[1])


async def _until_getme(fakes: list[asyncio.subprocess.Process]) -> None:
    for fake in fakes:
        assert fake.stdout is not None
        while (await fake.stdout.readline()).strip() != b"getMe":
            pass


async def one_run(workers: int, chats: int, directory: Path) -> Run:
    """Updates per second that `workers` processes answer, from the inbox's commit, and
    the CPU milliseconds per update spent meanwhile (start-up left out)."""
    name = f"ocop_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=5)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    processes: list[asyncio.subprocess.Process] = []
    fakes: list[asyncio.subprocess.Process] = []
    first_user = 10_000
    try:
        await asyncio.to_thread(upgrade, url)
        # Updates are made by a fake of our own (not serving); each worker sends its
        # replies to a fake process of its own, which knows the same users.
        maker = FakeBotAPI()
        config = config_file(directory, lease_seconds=30, concurrency=16)
        for _ in range(workers):
            fake, port = await _fake(first_user, chats)
            fakes.append(fake)
            env = {
                **os.environ,
                "OCOP_CONFIG": str(config),
                "OCOP_DATABASE_URL": url,
                "OCOP_MEDIA_DIR": str(directory / "media"),
                "OCOP_TELEGRAM_TOKEN": maker.token,
                "OCOP_TELEGRAM_API_URL": f"http://127.0.0.1:{port}/bot",
                "OCOP_TELEGRAM_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
                "OCOP_LOG_LEVEL": "WARNING",
            }
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "work", env=env
                )
            )
        async with asyncio.timeout(180):
            await _until_getme(fakes)
        await asyncio.sleep(0.5)  # past the workers' first idle polls
        db = Database(url)
        try:
            async with db.transaction() as session:
                for n in range(chats):
                    user = maker.user(first_user + n, "Lan", "vi")
                    for text in SCRIPT:
                        update = maker.send_text(user, text)
                        key = str(update["update_id"])
                        await inbox.store(session, "telegram", key, str(user.id), update)
            started = time.perf_counter()
            before = _cpu_seconds(processes), _postgres_seconds(), _cpu_seconds(fakes)
            machine_before = _machine_busy()
        finally:
            await db.dispose()
        total = chats * len(SCRIPT)
        async with asyncio.timeout(900):
            await _until_sent(url, total)
        elapsed = time.perf_counter() - started
        after = _cpu_seconds(processes), _postgres_seconds(), _cpu_seconds(fakes)
        machine = _machine_busy() - machine_before
        workers_ms, postgres_ms, fakes_ms = (
            (end - start) * 1000 / total for start, end in zip(before, after, strict=True)
        )
        rest_ms = machine * 1000 / total - workers_ms - postgres_ms - fakes_ms
        return Run(total / elapsed, workers_ms, postgres_ms, fakes_ms, rest_ms)
    finally:
        for process in processes + fakes:
            if process.returncode is None:
                process.terminate()
        await asyncio.gather(*(process.wait() for process in processes + fakes))
        admin = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=5)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _machine_busy() -> float:
    """CPU seconds all cores spent on anything but idling since boot."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _postgres_seconds() -> float:
    """CPU seconds of PostgreSQL's processes still running (its server, the pools'
    backends)."""
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def _cpu_seconds(processes: list[asyncio.subprocess.Process]) -> float:
    total = 0.0
    for process in processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total


async def run(args: argparse.Namespace) -> dict[str, Any]:
    info = machine_info()
    runs: dict[int, list[Run]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            for workers in (1, 2):
                m = await one_run(workers, args.chats, Path(folder))
                runs[workers].append(m)
                print(
                    f"round {round_number + 1}: {workers} worker(s): {m.rate:.1f} updates/s; "
                    f"CPU-ms per update: workers {m.workers:.2f}, PostgreSQL {m.postgres:.2f}, "
                    f"fakes {m.fakes:.2f}, the rest {m.rest:.2f} (cores busy "
                    f"{m.rate * (m.workers + m.others) / 1000:.2f}; load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )

    def median(workers: int, figure: str) -> float:
        return float(statistics.median(getattr(run, figure) for run in runs[workers]))

    one, two = median(1, "rate"), median(2, "rate")
    ratio = two / one
    cores = int(info["cores"])
    w, x = median(1, "workers"), median(1, "others")
    ceiling = min(2.0, cores * w / (w + x))
    result = {
        "machine": info,
        "chats": args.chats,
        "updates": args.chats * len(SCRIPT),
        "one": one,
        "two": two,
        "ratio": ratio,
        "cpu_ms": {k: median(k, "workers") for k in runs},
        "postgres_cpu_ms": {k: median(k, "postgres") for k in runs},
        "fakes_cpu_ms": {k: median(k, "fakes") for k in runs},
        "rest_cpu_ms": {k: median(k, "rest") for k in runs},
        "ceiling": ceiling,
        "met": ratio >= TARGET,
        "load at end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    print(
        f"webhook mode, PostgreSQL, {result['updates']:,} updates ({args.chats} chats × "
        f"{len(SCRIPT)}): 1 worker {one:.1f} updates/s, 2 workers {two:.1f} updates/s "
        f"(medians of {args.rounds}): {ratio:.2f}× on {cores} cores; "
        f"{'met' if result['met'] else 'MISSED'} (target ≥ {TARGET}×). CPU-ms per update "
        f"(1 worker, 2 workers): workers {w:.2f}, {result['cpu_ms'][2]:.2f}; PostgreSQL "
        f"{result['postgres_cpu_ms'][1]:.2f}, {result['postgres_cpu_ms'][2]:.2f}; fakes "
        f"{result['fakes_cpu_ms'][1]:.2f}, {result['fakes_cpu_ms'][2]:.2f}; the rest "
        f"{result['rest_cpu_ms'][1]:.2f}, {result['rest_cpu_ms'][2]:.2f}. Ceiling on "
        f"{cores} cores, min(2, cores × W / (W + X)) with W = {w:.2f} and X = {x:.2f}: "
        f"{ceiling:.2f}×; load {info['load at start']} at start, {result['load at end']} at end"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    result = asyncio.run(run(parser.parse_args()))
    raise SystemExit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
