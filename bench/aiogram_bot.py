"""The second baseline: an aiogram 3 FSM bot walking the closed loop's conversation.

The same 20 steps as the bot's product form (bench/common.py `PRODUCT`):
/newproduct, then one state per answer. Each answer is checked for its kind
(a typed text where the form wants text, a press of one of the buttons shown
where it wants a button), kept in the FSM's data, and answered with one new
message holding the next question and an inline keyboard (the next step's
buttons plus Back and Cancel, as the bot shows); after "💾 Lưu" the answers
are kept as a saved product and the state is cleared. aiogram's own defaults
otherwise: its aiohttp session, MemoryStorage, updates handled as tasks.
Unlike the bot, nothing is written to a database: this is the framework's
ceiling for the conversation, not a like-for-like bot.

Pointed at the Bot API of OCOP_TELEGRAM_API_URL / OCOP_TELEGRAM_TOKEN through
aiogram's `TelegramAPIServer`; runs until SIGTERM / SIGINT:

    python -m bench.aiogram_bot
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

import bench  # noqa: F401  (puts the repository root on sys.path)
from bench.common import PRODUCT

STEPS = PRODUCT.steps
NAV = ("⬅️ Quay lại", "✖️ Hủy")

# One state per answer of the form: Form.s1 waits for the answer to step 1, …
Form: Any = type("Form", (StatesGroup,), {f"s{i}": State() for i in range(1, len(STEPS))})
STATES: list[State] = [getattr(Form, f"s{i}") for i in range(1, len(STEPS))]
saved: list[dict[str, Any]] = []


def question(index: int) -> tuple[str, InlineKeyboardMarkup]:
    """The reply to step `index`: its expected text and the next step's buttons."""
    text = f"Bước {index + 1}/{len(STEPS)}: {STEPS[index].expect}"
    following = STEPS[(index + 1) % len(STEPS)]
    labels = [following.value] if following.kind == "press" else []
    rows = [
        [InlineKeyboardButton(text=label, callback_data=f"{index}:{n}")]
        for n, label in enumerate(labels)
    ]
    rows.append(
        [
            InlineKeyboardButton(text=label, callback_data=f"{index}:nav{n}")
            for n, label in enumerate(NAV)
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def advance(index: int, value: str, state: FSMContext, message: Message) -> None:
    """Keeps the answer to step `index`, then asks the next question (or saves)."""
    await state.update_data({f"a{index}": value})
    if index == len(STEPS) - 1:
        saved.append(await state.get_data())
        await state.clear()
    else:
        await state.set_state(STATES[index])
    text, markup = question(index)
    await message.answer(text, reply_markup=markup)


def build() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(Command("newproduct"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.clear()
        await advance(0, "", state, message)

    for index in range(1, len(STEPS)):
        wanted = STATES[index - 1]
        if STEPS[index].kind == "text":

            async def typed(message: Message, state: FSMContext, index: int = index) -> None:
                if not message.text:
                    await message.answer("Vui lòng nhập câu trả lời.")
                    return
                await advance(index, message.text, state, message)

            dp.message.register(typed, StateFilter(wanted), F.text)
        else:

            async def pressed(query: CallbackQuery, state: FSMContext, index: int = index) -> None:
                await query.answer()
                shown, _, choice = (query.data or "").partition(":")
                if shown != str(index - 1) or not choice.isdigit() or not query.message:
                    return  # a stale or foreign button
                if isinstance(query.message, Message):
                    await advance(index, STEPS[index].value, state, query.message)

            dp.callback_query.register(pressed, StateFilter(wanted))
    return dp


async def main() -> None:
    token = os.environ["OCOP_TELEGRAM_TOKEN"]
    base = os.environ["OCOP_TELEGRAM_API_URL"]  # …/bot: the token and method follow
    api = TelegramAPIServer(base=f"{base}{{token}}/{{method}}", file=f"{base}{{token}}/{{path}}")
    bot = Bot(token, session=AiohttpSession(api=api))
    # Updates handled at once (aiogram's default: no limit); bench/closed_loop.py
    # sets it with --closed-aiogram-concurrency.
    limit = os.environ.get("BENCH_AIOGRAM_CONCURRENT")
    await build().start_polling(  # stops on SIGTERM / SIGINT
        bot, polling_timeout=30, tasks_concurrency_limit=int(limit) if limit else None
    )


if __name__ == "__main__":
    asyncio.run(main())
