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
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
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


async def _count_sent(url: str) -> int:
    connection = await asyncpg.connect(_dsn(url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM inbox WHERE status = 'sent'"))
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


async def one_run(workers: int, chats: int, directory: Path) -> tuple[float, float, float]:
    """Updates per second that `workers` processes answer, from the inbox's commit; the
    workers' CPU milliseconds per update (start-up left out), and the rest of the
    machine's (PostgreSQL, the fakes, this process, anything else running)."""
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
        before, machine_before = _cpu_seconds(processes), _machine_busy()
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
        finally:
            await db.dispose()
        total = chats * len(SCRIPT)
        async with asyncio.timeout(900):
            while await _count_sent(url) < total:  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(processes) - before
        rest = _machine_busy() - machine_before - cpu
        return total / elapsed, cpu * 1000 / total, rest * 1000 / total
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


def _cpu_seconds(processes: list[asyncio.subprocess.Process]) -> float:
    total = 0.0
    for process in processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total


async def run(args: argparse.Namespace) -> dict[str, Any]:
    info = machine_info()
    rates: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    rest: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(args.rounds):
            for workers in (1, 2):
                rate, cpu_ms, rest_ms = await one_run(workers, args.chats, Path(folder))
                rates[workers].append(rate)
                cpu[workers].append(cpu_ms)
                rest[workers].append(rest_ms)
                print(
                    f"round {round_number + 1}: {workers} worker(s): {rate:.1f} updates/s, "
                    f"workers {cpu_ms:.1f} CPU-ms per update, the rest of the machine "
                    f"{rest_ms:.1f} (cores busy {rate * (cpu_ms + rest_ms) / 1000:.2f}; "
                    f"load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    ratio = two / one
    result = {
        "machine": info,
        "chats": args.chats,
        "updates": args.chats * len(SCRIPT),
        "one": one,
        "two": two,
        "ratio": ratio,
        "cpu_ms": {k: statistics.median(v) for k, v in cpu.items()},
        "rest_cpu_ms": {k: statistics.median(v) for k, v in rest.items()},
        "met": ratio >= TARGET,
        "load at end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    print(
        f"webhook mode, PostgreSQL, {result['updates']:,} updates ({args.chats} chats × "
        f"{len(SCRIPT)}): 1 worker {one:.1f} updates/s, 2 workers {two:.1f} updates/s "
        f"(medians of {args.rounds}): {ratio:.2f}× on {info['cores']} cores; workers' CPU "
        f"per update {result['cpu_ms'][1]:.1f} ms and {result['cpu_ms'][2]:.1f} ms, the rest "
        f"of the machine's {result['rest_cpu_ms'][1]:.1f} and {result['rest_cpu_ms'][2]:.1f} ms; "
        f"{'met' if result['met'] else 'MISSED'} (target ≥ {TARGET}×); "
        f"load {info['load at start']} at start, {result['load at end']} at end"
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
