"""Each Zalo OA user's reply window, kept in the database for every process to see.

Zalo lets an OA send consultation messages only for a while after the
user's last message, and at most so many of them ([zalo_oa] window_hours,
replies_per_window; docs/zalo.md). Every message the bot sends takes one
from the allowance first; none is sent that Zalo would count beyond it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.config import ZaloOASettings
from storage import reply_windows
from storage.db import Database

CHANNEL = "zalo_oa"


class ReplyWindows:
    def __init__(
        self, db: Database, config: ZaloOASettings, clock: Callable[[], dt.datetime]
    ) -> None:
        self.db = db
        self.hours = config.window_hours
        self.cap = config.replies_per_window
        self.clock = clock

    async def opened(self, chat_id: str) -> None:
        async with self.db.transaction() as session:
            await reply_windows.opened(session, CHANNEL, chat_id, self.clock())

    async def claim(self, chat_id: str, messages: int = 1) -> bool:
        async with self.db.transaction() as session:
            return await reply_windows.claim(
                session,
                CHANNEL,
                chat_id,
                self.clock(),
                hours=self.hours,
                cap=self.cap,
                messages=messages,
            )
