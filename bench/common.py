"""What every benchmark shares: the instrumented fake, the processes, the users.

* `BenchAPI` is the tests' `FakeBotAPI` with two hooks added by subclassing
  (the fake itself is not changed): a callback with a timestamp whenever
  the bot sends a message, and an event set on the first getUpdates (the
  bot is polling, so it is ready).
* `BotProcess` runs the bot under test (`ocop-bot run`) or the bare
  python-telegram-bot echo bot (`bench/echo_bot.py`) as a separate OS
  process pointed at that fake, and stops it with SIGTERM (SIGKILL after a
  grace period).
* `Driver` plays simulated users from a `Script`: each user sends a step,
  and the step is complete when the reply that carries the next step's
  keyboard arrives (for the echo bot: the echo). Closed loop: the next step
  goes out as soon as the previous one is complete. Open loop: the caller
  takes idle users from `Driver.idle` on its own timetable.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import os
import platform
import re
import shutil
import signal
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench import ROOT
from testkit.fake_bot_api import FakeBotAPI, FakeUser

JSONDict = dict[str, Any]

# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "cpu": model,
        "cores": str(psutil.cpu_count(logical=True)),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load at start": " ".join(f"{x:.2f}" for x in load),
    }


# --------------------------------------------------------------------------- the fake


class BenchAPI(FakeBotAPI):
    """FakeBotAPI plus a reply hook and a readiness event (subclassed, not edited)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_output: Callable[[JSONDict, float], None] | None = None
        self.polled = asyncio.Event()

    def _record(self, *args: Any, **kwargs: Any) -> JSONDict:
        output = super()._record(*args, **kwargs)
        hook = self.on_output
        if hook is not None:
            hook(output, time.perf_counter())
        return output

    async def _get_updates(self, params: JSONDict, uploads: dict[str, Any]) -> list[JSONDict]:
        self.polled.set()
        return await super()._get_updates(params, uploads)

    def trim(self) -> None:
        """Drops the fake's request log (it grows with every request)."""
        self.requests.clear()


def has_inline_keyboard(output: JSONDict) -> bool:
    markup = output.get("reply_markup")
    return isinstance(markup, dict) and bool(markup.get("inline_keyboard"))


# --------------------------------------------------------------------------- processes


def bot_command() -> list[str]:
    """`ocop-bot run`: the console script next to this interpreter, else `-m bot.cli`."""
    script = Path(sys.executable).with_name("ocop-bot")
    if script.exists():
        return [str(script), "run"]
    return [sys.executable, "-m", "bot.cli", "run"]


def echo_command() -> list[str]:
    return [sys.executable, "-m", "bench.echo_bot"]


def aiogram_command() -> list[str]:
    return [sys.executable, "-m", "bench.aiogram_bot"]


def instrumented_command() -> list[str]:
    """The bot with stage timers (bench/instrumented_bot.py); diagnosis only."""
    return [sys.executable, "-m", "bench.instrumented_bot"]


def unlimited_config(workdir: Path) -> Path:
    """config.toml with [telegram.limits] lifted: for a fake that enforces no flood limits,
    where the bot's limiter would only measure itself (its per-message cost still counts)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^rate_per_second = \d+", "rate_per_second = 1_000_000", text)
    text = re.sub(r"(?m)^per_chat_per_second = \d+", "per_chat_per_second = 1_000_000", text)
    path = workdir / "config-unlimited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bot_env(api: FakeBotAPI, workdir: Path, db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    if api.rate_limit is None:  # a fake without Telegram's limits: none in the bot either
        env["OCOP_CONFIG"] = str(unlimited_config(workdir))
    env.update(
        OCOP_TELEGRAM_TOKEN=api.token,
        OCOP_TELEGRAM_API_URL=api.base_url,
        OCOP_TELEGRAM_FILE_URL=api.file_base_url,
        OCOP_DATABASE_URL=f"sqlite+aiosqlite:///{db_path}",
        OCOP_MEDIA_DIR=str(workdir / "media"),
        OCOP_LOG_LEVEL="WARNING",
        OCOP_WEB_PORT="0",  # any free port: other checkouts on this machine use 8080
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        # The bot code of the tree that holds bench/, never another copy
        # (the editable install's finder comes after PYTHONPATH).
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


class BotProcess:
    """The bot under test or the echo bot, as a child process polling `api`."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        api: BenchAPI,
        workdir: Path,
        db_path: Path,
        extra_env: dict[str, str] | None = None,
        *,
        cpus: set[int] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.cpus = cpus  # kept to these CPUs from before exec, every thread included
        # `python -m` imports from its working directory first: the tree whose code runs.
        self.cwd = cwd
        self.extra_env = extra_env or {}
        self.command = list(command)
        self.api = api
        self.workdir = workdir
        self.db_path = db_path
        self.log_path = workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.ps: psutil.Process | None = None
        self.ready_seconds = 0.0

    def _pin(self) -> None:  # in the child, before exec
        assert self.cpus is not None
        os.sched_setaffinity(0, self.cpus)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self, limit: float = 60.0) -> None:
        started = time.perf_counter()
        self.api.polled.clear()  # the fake may have served an earlier process
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command,
                cwd=str(self.cwd),
                env={**bot_env(self.api, self.workdir, self.db_path), **self.extra_env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.cpus is None else self._pin,
            )
        self.ps = psutil.Process(self.proc.pid)
        waiter = asyncio.ensure_future(self.api.polled.wait())
        exited = asyncio.ensure_future(self.proc.wait())
        done, _ = await asyncio.wait(
            {waiter, exited}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        if exited not in done:
            exited.cancel()
        if waiter not in done:
            await self.stop()
            raise RuntimeError(
                f"{self.name} did not start polling; see {self.log_path}:\n" + self.log_tail()
            )
        self.ready_seconds = time.perf_counter() - started

    def rss(self) -> int:
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    async def stop(self, grace: float = 15.0) -> int | None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return None if proc is None else proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            proc.kill()
            return await proc.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        """ERROR / Traceback lines the process logged (it logs at WARNING and up)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [
            line
            for line in text.splitlines()
            if " ERROR " in line or line.startswith("Traceback") or " CRITICAL " in line
        ]


async def run_quiet(command: Sequence[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=str(ROOT),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.decode(errors='replace')}")


# --------------------------------------------------------------------------- database


async def prepare_database(workdir: Path, api: FakeBotAPI, producer_ids: Iterable[int]) -> Path:
    """A migrated SQLite file where each given Telegram user already is a producer.

    `ocop-bot migrate` creates the schema; the producers are inserted with
    the project's own storage functions (users.language = 'vi'), so every
    simulated user can start right at /newproduct.
    """
    from storage.db import Database

    db_path = workdir / "template.db"
    env = bot_env(api, workdir, db_path)
    await run_quiet([*bot_command()[:-1], "migrate"], env)
    db = Database(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with db.transaction() as session:
            await add_producers(session, (str(user_id) for user_id in producer_ids))
    finally:
        await db.dispose()  # the last connection checkpoints the WAL into the file
    return db_path


async def add_producers(session: Any, user_ids: Iterable[str]) -> None:
    """Makes each Telegram user a producer (language vi) in `session`'s transaction."""
    from bot.core import places
    from storage.producers import save_producer
    from storage.users import get_or_create_user

    province = places.provinces()[0]
    ward = places.wards(province.code)[0]
    for user_id in user_ids:
        user = await get_or_create_user(session, "telegram", user_id, "Bench")
        user.language = "vi"
        await save_producer(
            session,
            user.id,
            {
                "name": f"HTX Bench {user_id}",
                "kind": "cooperative",
                "representative": "Nguyễn Văn Bench",
                "phone": "+84912345678",
                "province_code": province.code,
                "ward_code": ward.code,
                "address": "",
                "latitude": None,
                "longitude": None,
                "tax_code": None,
                "show_phone": False,
            },
        )


def copy_database(template: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return target


# --------------------------------------------------------------------------- scripts


@dataclass(frozen=True)
class Step:
    kind: str  # "text" | "press"
    value: str  # the text typed, or the label of the button pressed
    expect: str  # a piece of the text of the reply that completes the step


@dataclass(frozen=True)
class Script:
    name: str
    steps: tuple[Step, ...]
    # True: a step is complete when the message with an inline keyboard arrives
    # (the last of the burst); False: when the first message arrives (echo).
    keyboard: bool = True


def _t(value: str, expect: str) -> Step:
    return Step("text", value, expect)


def _p(label: str, expect: str) -> Step:
    return Step("press", label, expect)


# /newproduct to "💾 Lưu": 20 updates, each answered by one message whose inline
# keyboard belongs to the next step (observed; the driver waits for the keyboard
# anyway). After saving, the user starts the next product.
PRODUCT = Script(
    "product registration",
    (
        _t("/newproduct", "Tên sản phẩm"),
        _t("Chè búp Tân Cương", "nhóm nào"),
        _p("Thực phẩm", "Phân nhóm"),
        _p("Chè và sản phẩm từ chè", "mấy sao"),
        _p("⭐⭐⭐⭐ 4 sao", "Số quyết định"),
        _t("1234/QĐ-UBND", "Ngày quyết định"),
        _t("20/05/2024", "Mô tả sản phẩm"),
        _t("Chè búp một tôm hai lá, sao thủ công trên chảo gang.", "Câu chuyện"),
        _t("Ba thế hệ làm chè trên đồi Tân Cương, giữ cách sao truyền thống.", "Giá bán"),
        _t("125000", "Đơn vị tính"),
        _p("hộp", "Khối lượng tịnh"),
        _t("500 g", "Khối lượng cả bao bì"),
        _t("600 g", "Kích thước"),
        _t("20x10x5", "Hạn sử dụng"),
        _t("12 tháng", "Thành phần"),
        _t("100% búp chè xanh", "chứng nhận nào khác"),
        _p("✔️ Xong", "vùng trồng"),
        _p("⏭ Bỏ qua", "GTIN-13"),
        _p("⏭ Bỏ qua", "Lưu"),  # the summary card, asking to save
        _p("💾 Lưu", "Đã lưu sản phẩm"),
    ),
)

# The echo bot gets the same number of steps as plain texts; the reply is the echo.
ECHO = Script(
    "echo",
    tuple(_t(step.value, step.value) for step in PRODUCT.steps),
    keyboard=False,
)

# First contact of a new user: /start → the welcome menu in the app's language (no
# language question) → the help screen.
FIRST_CONTACT = Script(
    "first contact",
    (
        _t("/start", "Chào mừng anh/chị đến với Trợ lý OCOP"),
        _p("❓ Hướng dẫn", "Trợ lý OCOP giúp anh/chị"),
    ),
)
ECHO_FIRST_CONTACT = Script(
    "echo first contact",
    (_t("/start", "/start"), _t("Tiếng Việt", "Tiếng Việt")),
    keyboard=False,
)


# --------------------------------------------------------------------------- driver


@dataclass(slots=True)
class Sim:
    user: FakeUser
    step: int = 0
    last: JSONDict | None = None  # the last message with a keyboard (for presses)
    sent_at: float = 0.0
    busy: bool = False
    remaining: int | None = None  # steps still to do; None: forever
    dead: bool = False


@dataclass(slots=True)
class Record:
    done: float  # when the completing reply reached the fake (perf_counter)
    latency: float  # from the update's enqueue to that reply
    step: int


@dataclass
class Driver:
    """Plays `script` for the simulated users; see the module docstring."""

    api: BenchAPI
    script: Script
    closed: bool = True
    sims: dict[int, Sim] = field(default_factory=dict)
    idle: deque[Sim] = field(default_factory=deque)
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stray: int = 0
    running: bool = False
    in_flight: int = 0
    on_finished: Callable[[Sim], None] | None = None

    def __post_init__(self) -> None:
        self.api.on_output = self._on_output
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._loop = asyncio.get_running_loop()

    def add(self, user_id: int, remaining: int | None = None) -> Sim:
        sim = Sim(self.api.user(user_id, "Bench"), remaining=remaining)
        self.sims[user_id] = sim
        return sim

    def send(self, sim: Sim) -> None:
        if sim.busy or sim.dead:
            return
        step = self.script.steps[sim.step]
        sim.busy = True
        self.in_flight += 1
        self._quiet.clear()
        sim.sent_at = time.perf_counter()
        try:
            if step.kind == "press":
                assert sim.last is not None, "a press needs a message"
                self.api.press(sim.user, sim.last, step.value)
            else:
                self.api.send_text(sim.user, step.value)
        except AssertionError as error:  # the button is not there: out of step
            self._fail(sim, f"user {sim.user.id} step {sim.step}: {error}")

    def start_all(self) -> None:
        """Closed loop: every idle user with steps left sends its next step."""
        self.running = True
        self.idle.clear()
        for sim in list(self.sims.values()):
            if not sim.busy and (sim.remaining is None or sim.remaining > 0):
                self.send(sim)

    async def pause(self, limit: float = 30.0) -> None:
        """Stops sending new steps and waits (at most `limit` s) for those in flight."""
        self.running = False
        await self.wait_quiet(limit)

    async def wait_quiet(self, limit: float = 30.0) -> None:
        """Waits (at most `limit` s) until no update is in flight."""
        try:
            await asyncio.wait_for(self._quiet.wait(), limit)
        except TimeoutError:
            raise TimeoutError(
                f"{self.in_flight} update(s) still unanswered after {limit}s"
            ) from None

    def _fail(self, sim: Sim, message: str) -> None:
        if sim.busy:
            sim.busy = False
            self.in_flight -= 1
        sim.dead = True
        self.errors.append(message)
        if self.in_flight == 0:
            self._quiet.set()

    def _on_output(self, output: JSONDict, now: float) -> None:
        sim = self.sims.get(output["chat_id"])
        if sim is None or not sim.busy:
            self.stray += 1
            return
        if self.script.keyboard and not has_inline_keyboard(output):
            return  # an earlier message of the burst; the keyboard comes last
        step = self.script.steps[sim.step]
        text = output.get("text") or ""
        if step.expect not in text:
            self._fail(
                sim,
                f"user {sim.user.id} step {sim.step} ({step.value!r}): expected "
                f"{step.expect!r} in the reply, got {text[:120]!r}",
            )
            return
        self.records.append(Record(now, now - sim.sent_at, sim.step))
        sim.last = output
        sim.busy = False
        self.in_flight -= 1
        sim.step = (sim.step + 1) % len(self.script.steps)
        if sim.remaining is not None:
            sim.remaining -= 1
        if self.in_flight == 0:
            self._quiet.set()
        if sim.remaining == 0:
            if self.on_finished is not None:
                self.on_finished(sim)
            return
        if self.closed and self.running:
            self._loop.call_soon(self.send, sim)
        else:
            self.idle.append(sim)


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MiB"


class CpuMeter:
    """CPU seconds used by processes over a window, as cores busy."""

    def __init__(self, processes: dict[str, psutil.Process]) -> None:
        self.processes = processes
        self.start_wall = time.perf_counter()
        self.start = {name: self._cpu(p) for name, p in processes.items()}
        self.start_total = psutil.cpu_times()

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self.start_wall
        used = {
            name: (self._cpu(p) - self.start[name]) / wall for name, p in self.processes.items()
        }
        total = psutil.cpu_times()
        busy_before = sum(self.start_total) - self.start_total.idle - self.start_total.iowait
        busy_after = sum(total) - total.idle - total.iowait
        used["machine"] = (busy_after - busy_before) / wall
        used["others"] = max(0.0, used["machine"] - sum(used[name] for name in self.processes))
        return used


async def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over the next `seconds`."""
    before = psutil.cpu_times()
    await asyncio.sleep(seconds)
    after = psutil.cpu_times()
    busy = (sum(after) - after.idle - after.iowait) - (sum(before) - before.idle - before.iowait)
    return busy / seconds


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The benchmark process's own cyclic garbage collector off while a counted run
    goes on, and what it holds then frozen (out of the collector's reach).

    The fake Bot API and the simulated users keep every message and record of
    the run, so this process's heap grows window by window, and a full
    collection of it took 0.2–0.4 s by the third window (1 s by the end). The
    bot under test then waited for a fake that did not answer: rounds at 0.85
    of a core and a p99 near 1 s, whichever bot happened to be measured.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def settle_machine(max_wait: float = 5.0, threshold: float = 0.5) -> float:
    """Waits (at most `max_wait` s) for a second with under `threshold` cores busy.

    The machine is shared: other people's test runs come and go. Starting a
    run in a quiet second makes the figures less noisy; it never blocks long.
    """
    deadline = time.perf_counter() + max_wait
    while True:
        busy = await machine_busy(1.0)
        if busy < threshold or time.perf_counter() >= deadline:
            return busy
