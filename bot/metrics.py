"""Prometheus metrics, defined once: what the process does, what waits in the database.

Counters and the latency histogram live in this process and grow as it works
(updates handled by the dispatcher, sends of the outbox worker). What waits
in the database (open outbox rows, the oldest due reminder) and the web
app's plain counters (origin page requests, page cache hits) are read when
Prometheus scrapes, so the hot paths pay nothing for them. The inbox holds
webhook updates not yet answered (webhook mode); with long polling it stays empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from storage.backlog import Backlog

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

UPDATES = Counter(
    "ocop_updates",
    "Updates handled, by channel and outcome (ok, stale: a press on an old screen, error).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "ocop_update_duration_seconds",
    "Time from an update reaching the dispatcher to its replies being ready.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
OUTBOX_SENDS = Counter(
    "ocop_outbox_sends",
    "Outbox messages handed to a channel, by outcome (sent, blocked, retry_after, retry, "
    "unknown, failed).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
OUTBOX_429 = Counter(
    "ocop_outbox_rate_limited",
    "Sends the channel refused with 429 Too Many Requests (retried after its pause).",
    ["channel"],
    registry=REGISTRY,
)
SCHEDULER_PASSED = Gauge(
    "ocop_scheduler_last_pass_timestamp_seconds",
    "When this process's reminder scheduler last finished a pass (0: never).",
    registry=REGISTRY,
)

OUTCOMES = ("ok", "stale", "error")


# Labelled children, looked up once: `labels()` costs more than the count itself.
_updates: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
_sends: dict[tuple[str, str], Counter] = {}


def observe_update(channel: str, outcome: str, seconds: float) -> None:
    children = _updates.get((channel, outcome))
    if children is None:
        children = (UPDATES.labels(channel, outcome), UPDATE_SECONDS.labels(channel))
        _updates[(channel, outcome)] = children
    children[0].inc()
    children[1].observe(seconds)


def count_send(channel: str, outcome: str) -> None:
    counter = _sends.get((channel, outcome))
    if counter is None:
        counter = _sends[(channel, outcome)] = OUTBOX_SENDS.labels(channel, outcome)
    counter.inc()


@dataclass(frozen=True)
class WebCounters:
    """The web app's own counters, read at scrape time."""

    origin_requests: int
    cache_hits: int
    cache_misses: int
    cache_pages: int
    cache_bytes: int


class _Snapshot(Collector):
    """Families built from values read just now (the database, the web app)."""

    def __init__(self, backlog: Backlog | None, web: WebCounters | None, now: dt.datetime):
        self.backlog = backlog
        self.web = web
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        if self.backlog is not None:
            depth = GaugeMetricFamily(
                "ocop_outbox_depth", "Outbox rows not yet sent, by status.", labels=["status"]
            )
            for status, count in sorted(self.backlog.outbox.items()):
                depth.add_metric([status], count)
            yield depth
            waiting = GaugeMetricFamily(
                "ocop_inbox_depth",
                "Webhook updates not yet answered, by status (pending, leased, handled, sending).",
                labels=["status"],
            )
            for inbox_status, count in sorted(self.backlog.inbox.items()):
                waiting.add_metric([inbox_status], count)
            yield waiting
            oldest = self.backlog.oldest_due_job
            lag = 0.0 if oldest is None else max(0.0, (self.now - oldest).total_seconds())
            yield GaugeMetricFamily(
                "ocop_scheduler_lag_seconds",
                "How long the oldest due reminder job has waited (0: none waits). "
                "It grows in quiet hours by design.",
                value=lag,
            )
        if self.web is not None:
            web = self.web
            yield CounterMetricFamily(
                "ocop_origin_page_requests",
                "Origin page requests (/p/CODE and GS1 barcode links).",
                value=web.origin_requests,
            )
            yield CounterMetricFamily(
                "ocop_page_cache_hits", "Pages served from the page cache.", value=web.cache_hits
            )
            yield CounterMetricFamily(
                "ocop_page_cache_misses",
                "Pages rendered because the cache had none (hit rate: hits / (hits + misses)).",
                value=web.cache_misses,
            )
            yield GaugeMetricFamily(
                "ocop_page_cache_pages", "Pages kept in the cache.", value=web.cache_pages
            )
            yield GaugeMetricFamily(
                "ocop_page_cache_bytes", "Bytes the page cache holds.", value=web.cache_bytes
            )


class _Together(Collector):
    def __init__(self, parts: Iterable[Collector]) -> None:
        self.parts = tuple(parts)

    def collect(self) -> Iterator[object]:  # type: ignore[override]
        for part in self.parts:
            yield from part.collect()


def exposition(backlog: Backlog | None, web: WebCounters | None, now: dt.datetime) -> bytes:
    """The text Prometheus scrapes: this process's metrics and the snapshot."""
    return generate_latest(_Together((REGISTRY, _Snapshot(backlog, web, now))))
