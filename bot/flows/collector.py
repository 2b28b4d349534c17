"""A conversation step outside the flow engine: it takes any number of photos or a file.

The engine asks one question per step; collecting photos until Done, or
attaching a file to a broadcast, needs its own handling. A `Collector`
names the step (stored as the conversation's flow), handles an update while
it runs, and shows it again (after /help or a stale button).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.types import Reply


@dataclass(frozen=True)
class Collector:
    name: str
    handle: Callable[[Context], Awaitable[list[Reply]]]
    show: Callable[[Context], Awaitable[list[Reply]]]
