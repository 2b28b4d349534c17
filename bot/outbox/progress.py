"""What the officer reads about a broadcast: the progress message and the final report."""

from __future__ import annotations

from bot.i18n import Translator
from storage.outbox import BLOCKED, CANCELLED, DROPPED, FAILED, OUT_WINDOW, SENT, UNKNOWN

BAR = 10  # blocks in the progress bar


def done(counts: dict[str, int]) -> int:
    """Recipients whose message is settled one way or another."""
    settled = (SENT, FAILED, BLOCKED, UNKNOWN, DROPPED, OUT_WINDOW)
    return sum(counts.get(status, 0) for status in settled)


def progress_text(
    t: Translator, broadcast_id: int, total: int, counts: dict[str, int], state: str
) -> str:
    """state: "sending" | "done" | "cancelled"."""
    settled = done(counts)
    share = settled / total if total else 1.0
    filled = round(share * BAR)
    lines = [
        t(f"broadcast.progress_{state}", id=broadcast_id),
        t(
            "broadcast.progress_bar",
            bar="▓" * filled + "░" * (BAR - filled),
            percent=round(share * 100),
        ),
        t(
            "broadcast.progress_counts",
            sent=t.number(counts.get(SENT, 0)),
            total=t.number(total),
            failed=t.number(counts.get(FAILED, 0) + counts.get(UNKNOWN, 0)),
            blocked=t.number(counts.get(BLOCKED, 0)),
        ),
    ]
    return "\n".join(lines)


def report_text(
    t: Translator, broadcast_id: int, total: int, counts: dict[str, int], state: str
) -> str:
    """The final report: sent, failed, blocked, and the rarer outcomes when there are any."""
    lines = [
        t(f"broadcast.report_title_{state}", id=broadcast_id),
        t("broadcast.report_total", count=t.number(total)),
        t("broadcast.report_sent", count=t.number(counts.get(SENT, 0))),
        t("broadcast.report_failed", count=t.number(counts.get(FAILED, 0))),
        t("broadcast.report_blocked", count=t.number(counts.get(BLOCKED, 0))),
    ]
    for status in (UNKNOWN, DROPPED, CANCELLED, OUT_WINDOW):
        if counts.get(status):
            lines.append(t(f"broadcast.report_{status}", count=t.number(counts[status])))
    return "\n".join(lines)
