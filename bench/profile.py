"""Diagnostics behind `--profile DIR`: which runs, py-spy, and the summaries.

`python -m bench closed_loop --closed-repeats 0 --profile DIR` (or open_loop)
does uncounted diagnostic runs, each in a process of its own, chosen with
`--profile-runs` from:

* bot:stages — the bot with the stage timers of bench/instrumented_bot.py:
  DIR/NAME-bot-stages.json and .txt (lock wait and hold, aiosqlite round
  trips and calls per transaction, sends, …);
* bot:stages-fast-switch — the same with a 0.5 ms GIL switch interval;
* bot:cprofile, echo:cprofile — the event-loop thread under cProfile:
  DIR/NAME-KIND-cprofile.prof and -summary.txt (time by layer, by function);
* bot:pyspy, echo:pyspy — py-spy (`pip install py-spy` into the virtualenv)
  attached for the measured window: DIR/NAME-KIND-pyspy.txt (collapsed
  stacks) and -summary.txt (by stage of an update, self and inclusive by
  function); bot:pyspy-gil, echo:pyspy-gil sample only the thread holding
  the GIL, which is the CPU the event loop competes for.

py-spy samples every thread it takes for busy (the aiosqlite worker thread
runs SQLite with the GIL released, so `--gil` would hide that part).
Caveat, seen on the 2-core machine of BENCHMARKS.md: it counted threads
blocked in a queue (the aiosqlite worker waiting for work, idle executor
threads) as busy, e.g. "1.7 threads busy" where psutil saw 0.7 cores; its
shares are then shares of samples, not of CPU. The stage timers and
cProfile are the sounder measure.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

# Diagnostic runs done by --profile, none of them counted in the figures:
# the bot with stage timers, the bot and the echo bot under cProfile, the
# bot and the echo bot under py-spy. Also available: "bot:stages-fast-switch", the stage
# timers with a 0.5 ms GIL switch interval instead of 5 ms.
DIAGNOSTIC_RUNS = (
    ("bot", "stages"),
    ("bot", "cprofile"),
    ("echo", "cprofile"),
    ("bot", "pyspy"),
    ("echo", "pyspy"),
)
COUNTS = ("getUpdates batch", "aiosqlite calls per")

# Stages of one update in the bot process, matched on the stack top-down: the
# first stage whose marker occurs in a sample's stack gets that sample.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aiosqlite worker thread (SQLite itself)", ("aiosqlite/core.py:_connection_worker_thread",)),
    ("answerCallbackQuery (HTTP)", ("TelegramChannel.acknowledge", "CallbackQuery.answer")),
    ("send replies (HTTP sendMessage)", ("telegram.py:send_replies",)),
    (
        "dispatcher: user and conversation",
        ("users.py:load_chat", "users.py:get_or_create_user"),
    ),
    ("dispatcher: router / flow logic", ("dispatcher.py:_resolve_action", "routes.py:Router.")),
    ("dispatcher: rest of the transaction", ("dispatcher.py:Dispatcher._handle_once",)),
    ("dispatcher: other", ("dispatcher.py:Dispatcher.handle",)),
    # The bot's own polling loop and JSON parser (bot/channels/telegram_polling.py,
    # telegram.py), or PTB's Updater and Update objects (a base from before them).
    (
        "getUpdates + update parsing",
        ("Poller._poll", "telegram.py:to_incoming", "_updater.py:", "Bot.get_updates"),
    ),
    (
        "update dispatch (the poller's tasks, or PTB's Application)",
        ("Poller._handle", "_application.py:Application.process_update"),
    ),
    ("event loop / other", ("",)),
)


def stages_table(path: Path) -> str:
    """The stage timings written by bench/instrumented_bot.py, as a text table."""
    stages = json.loads(path.read_text(encoding="utf-8"))
    lines = [f"{'stage':48} {'count':>7} {'mean':>9} {'p50':>9} {'p90':>9} {'p99':>9}"]
    for stage, figures in stages.items():
        if stage.startswith(COUNTS):
            lines.append(
                f"{stage:48} {figures['count']:7.0f} {figures['mean']:9.1f} "
                f"{figures['p50']:9.0f} {figures['p90']:9.0f} {figures['p99']:9.0f}"
            )
            continue
        lines.append(
            f"{stage:48} {figures['count']:7.0f} "
            + " ".join(f"{figures[q] * 1000:7.1f}ms" for q in ("mean", "p50", "p90", "p99"))
        )
    return "\n".join(lines) + "\n"


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


async def record(pid: int, seconds: float, out: Path, *, gil: bool = False) -> Path | None:
    """Samples `pid` for `seconds` (busy threads, 100 Hz; with `gil`, only the thread
    holding the GIL: the Python CPU that limits throughput); None if py-spy is missing."""
    exe = py_spy()
    if exe is None:
        print("  (py-spy not installed: `.venv/bin/pip install py-spy`; no profile)")
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "100",
        *(["--gil"] if gil else []),
        "--format",
        "raw",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return _write_summary(out, seconds, proc.returncode, err.decode(errors="replace"))


def _write_summary(out: Path, seconds: float, code: int | None, err: str) -> Path | None:
    if code != 0 or not out.exists():
        print(f"  (py-spy failed: {err.strip()[:300]})")
        return None
    summary = out.with_name(out.stem + "-summary.txt")
    summary.write_text(summarize(out, seconds=seconds), encoding="utf-8")
    return summary


def _short(frame: str) -> str:
    """'func (path/to/file.py:12)' -> 'package/file.py:func'."""
    name, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    path = path.split("site-packages/")[-1]
    for marker in ("/work/main/", str(Path(__file__).resolve().parents[1]) + "/"):
        path = path.split(marker)[-1]
    return f"{path}:{name}"


def summarize(path: Path, top: int = 30, seconds: float | None = None) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]  # outermost first
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
        joined = ";".join(frames)
        for stage, markers in STAGES:
            if any(marker in joined for marker in markers):
                stages[stage] += n
                break
    if total == 0:
        return "no samples\n"
    busy = f", {total / 100 / seconds:.2f} threads busy on average" if seconds else ""
    lines = [f"{total} samples of busy threads at 100 Hz{busy}", "", "stages of an update:"]
    lines += [f"  {n / total:6.1%}  {stage}" for stage, n in stages.most_common()]
    lines += ["", f"self time, top {top}:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in own.most_common(top)]
    lines += ["", f"inclusive time, top {top * 2}:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1])))
