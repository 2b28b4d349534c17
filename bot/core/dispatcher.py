"""From an `Incoming` to the replies: one chat at a time, one transaction per update.

The dispatcher owns the cross-cutting rules so handlers need not repeat them:
updates of one chat are handled in order; each runs in one transaction that
also saves the conversation under its version check (retried if another
worker advanced it); buttons get short callback data bound to the current
screen; channels without buttons get numbered menus; an unexpected error
is logged with a reference id the user is shown.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from bot import metrics
from bot.core.context import App, Context
from bot.core.flow_actions import FLOW_BACK, FLOW_CANCEL, FLOW_LATER, FLOW_SKIP
from bot.core.images import Decoder
from bot.core.scanning import codes_in
from bot.core.types import NOTICE_PREFIX, Capabilities, Incoming, Reply, menu_line
from storage import people
from storage.db import Database, Unit
from storage.models import Conversation, User
from storage.outbox import notice_action, notice_after
from storage.users import get_or_create_user, load_chat, save_conversation

log = logging.getLogger(__name__)

Router = Callable[[Context], Awaitable[list[Reply]]]
FileFetcher = Callable[[str], Awaitable[bytes]]
Sender = Callable[[list[Reply]], Awaitable[object]]
# Called inside the update's transaction with its replies, before the commit: the
# inbox marks its row handled and queues the replies there (bot/inbox/worker.py).
QueueReplies = Callable[[Unit, list[Reply]], Awaitable[None]]


class Abandon(Exception):
    """Raised by a QueueReplies hook: roll the update back and answer nothing (the
    update is no longer this worker's to handle)."""


# Navigation actions a channel without buttons offers as typed commands.
NAV_COMMANDS = {
    FLOW_BACK.action(): "/back",
    FLOW_SKIP.action(): "/skip",
    FLOW_LATER.action(): "/later",
    FLOW_CANCEL.action(): "/cancel",
}
_TOKEN_BYTES = 3  # 4 base64 characters: plenty to tell screens of one chat apart
MAX_ATTEMPTS = 4


class ChatLocks:
    """One asyncio lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class Dispatcher:
    def __init__(self, app: App, db: Database, router: Router) -> None:
        self.app = app
        self.db = db
        self.router = router
        self.locks = ChatLocks()
        # Transactions at once: beyond a few, they only take turns on the CPU.
        self.turns = asyncio.Semaphore(app.settings.database_concurrent_transactions)
        self.decoder = Decoder(app.settings.media, codes_in)

    async def handle(
        self,
        incoming: Incoming,
        caps: Capabilities,
        fetch: FileFetcher | None = None,
        send: Sender | None = None,
        queue: QueueReplies | None = None,
    ) -> list[Reply]:
        """Handles one update; `send`, if given, delivers the replies before the chat's
        next update is handled, so the replies of two quick updates never interleave.
        `queue`, if given, runs in the update's transaction (see QueueReplies)."""
        async with self.locks.hold((incoming.channel, incoming.chat_id)):
            replies = await self._replies(incoming, caps, fetch, queue)
            if send is not None:
                await send(replies)
            return replies

    async def _replies(
        self,
        incoming: Incoming,
        caps: Capabilities,
        fetch: FileFetcher | None,
        queue: QueueReplies | None = None,
    ) -> list[Reply]:
        started = time.perf_counter()
        outcome = "error"
        try:
            await self._download(incoming, fetch)
            for attempt in range(MAX_ATTEMPTS):
                try:
                    async with self.turns:
                        replies, outcome = await self._handle_once(incoming, caps, queue)
                    return replies
                except (StaleDataError, IntegrityError):
                    # Another worker saved this conversation (or created this
                    # user) first: handle the update again on fresh state.
                    log.info("conversation %s raced, attempt %d", incoming.chat_id, attempt)
            raise RuntimeError("conversation kept racing")
        except Abandon:
            raise
        except Exception:
            return [await self._error_reply(incoming)]
        finally:
            metrics.observe_update(incoming.channel, outcome, time.perf_counter() - started)

    async def _download(self, incoming: Incoming, fetch: FileFetcher | None) -> None:
        """Fetches an attached file and decodes it if it is a photo, before the
        transaction: no lock waits on the network or on Pillow."""
        ref = incoming.photo or incoming.document
        if ref is None:
            return
        too_large = ref.size is not None and ref.size > self.app.settings.media.max_photo_bytes
        if fetch is not None and incoming.file_bytes is None and not too_large:
            incoming.file_bytes = await fetch(ref.file_id)
        if incoming.file_bytes is not None and incoming.picture is None:
            user = (incoming.channel, incoming.user_id)
            incoming.picture = await self.decoder.picture(incoming.file_bytes, user)

    async def _handle_once(
        self, incoming: Incoming, caps: Capabilities, queue: QueueReplies | None = None
    ) -> tuple[list[Reply], str]:
        """The replies, and the outcome the metrics count: "ok", or "stale" for a press
        on a screen that is no longer shown."""
        async with self.db.unit() as unit:
            user, conversation = await load_chat(
                unit, incoming.channel, incoming.user_id, incoming.chat_id
            )
            if user is None:  # first contact
                user = await get_or_create_user(
                    unit.session, incoming.channel, incoming.user_id, incoming.user_name
                )
            if user.blocked_at is not None:
                user.blocked_at = None  # writing to the bot means it is unblocked
            if conversation is None:
                conversation = _new_conversation(unit, incoming, user)
            # A linked account acts as its person (storage/people.py).
            user = await people.arrived(unit, user, self.app.clock())
            ctx = Context(
                app=self.app,
                unit=unit,
                incoming=incoming,
                caps=caps,
                user=user,
                conversation=conversation,
                t=self.app.catalogs.translator(user.language),
            )
            await _resolve_action(ctx)
            replies = await self.router(ctx)
            _bind_buttons(conversation, replies, caps)
            # Touching the row bumps its version even when nothing else
            # changed, so a second worker holding the same version fails.
            conversation.updated_at = self.app.clock()
            if queue is not None:
                await queue(unit, replies)
            # The last write: the version check raises StaleDataError (retried above).
            await save_conversation(unit, conversation)
        for reply in replies:
            if reply.make_document is not None:
                reply.document = await asyncio.to_thread(reply.make_document)
                reply.make_document = None
        return replies, "stale" if ctx.action == "stale" else "ok"

    async def _error_reply(self, incoming: Incoming) -> Reply:
        reference = secrets.token_hex(4).upper()
        log.exception(
            "update failed, reference %s (chat %s)",
            reference,
            incoming.chat_id,
            extra={"reference": reference},
        )
        language = None
        try:
            async with self.db.transaction() as session:
                user = await session.scalar(
                    select(User).where(
                        User.channel == incoming.channel, User.external_id == incoming.user_id
                    )
                )
                language = user.language if user else None
        except Exception:  # the database itself may be what failed
            log.warning("could not read the language for error %s", reference)
        t = self.app.catalogs.translator(language)
        return Reply(t("error.unexpected", reference=reference))


def _new_conversation(unit: Unit, incoming: Incoming, user: User) -> Conversation:
    conversation = Conversation(
        channel=incoming.channel,
        chat_id=incoming.chat_id,
        user_id=user.id,
        data={},
        drafts={},
        actions={},
        token="",
    )
    unit.adopt(conversation)  # inserted by the unit's flush
    return conversation


async def _resolve_action(ctx: Context) -> None:
    """Turns a button press (or a typed menu number) into the action it stands for.

    A press whose token is not the current screen's is stale: the router
    sees action "stale" and shows the current screen again. Buttons on
    messages the outbox delivered (notices, broadcasts, reminders) carry
    "n:<outbox id>:<index>" and stay valid: their actions are stored with
    the message, and only its recipient can press them.
    """
    incoming, conversation = ctx.incoming, ctx.conversation
    actions = conversation.actions.get("list", [])
    if incoming.callback is not None and incoming.callback.startswith(NOTICE_PREFIX):
        outbox_id, _, index = incoming.callback.removeprefix(NOTICE_PREFIX).partition(":")
        action = None
        if outbox_id.isdigit() and index.isdigit():
            action = await notice_action(ctx.session, int(outbox_id), ctx.user.id, int(index))
        ctx.action = action or "stale"
        return
    if incoming.callback is not None:
        token, _, index = incoming.callback.partition(":")
        if token != conversation.token or not index.isdigit() or int(index) >= len(actions):
            ctx.action = "stale"
        else:
            ctx.action = actions[int(index)]
        return
    text = (incoming.text or "").strip()
    # Channels without buttons show numbered menus: a typed number picks an
    # entry. No step with numbered entries takes a number as a typed answer
    # (the stars' entries are numbered in star order), so this never shadows one.
    # Only messages shown as numbered menus fill `numbers`.
    if not ctx.caps.inline_buttons and text.isascii() and text.isdigit() and len(text) <= 2:
        # A notice delivered after the chat's last screen ends with its own numbered
        # list (the sender writes it): the newest list the user saw is the one meant.
        notice = await notice_after(
            ctx.session,
            conversation.user_id,
            incoming.channel,
            incoming.chat_id,
            conversation.updated_at,
        )
        if 1 <= int(text) <= len(notice):
            ctx.action = notice[int(text) - 1]
            return
    numbers = conversation.actions.get("numbers", {})
    if text in numbers:
        ctx.action = actions[numbers[text]]
        return
    # Keys shown beside a share-phone/location key send their label as text.
    keys = conversation.actions.get("keys", {})
    if text in keys and incoming.contact is None and incoming.location is None:
        ctx.action = actions[keys[text]]
        return
    command = incoming.command
    if command and not command[1] and conversation.flow is not None:
        # /back, /skip, /later, /cancel work in every flow, button on screen or
        # not: the flow answers "this step is required" to a /skip it refuses.
        for action, typed in NAV_COMMANDS.items():
            if typed == "/" + command[0]:
                ctx.action = action
                return


def _bind_buttons(conversation: Conversation, replies: list[Reply], caps: Capabilities) -> None:
    """Gives this screen's buttons a fresh token; numbers them where buttons can't show."""
    if not any(reply.buttons for reply in replies):
        return
    conversation.token = secrets.token_urlsafe(_TOKEN_BYTES)
    actions: list[str] = []
    numbers: dict[str, int] = {}
    keys: dict[str, int] = {}
    for reply in replies:
        reply.callback_data = []
        lines: list[str] = []
        nav: list[str] = []
        as_keys = caps.inline_buttons and _beside_share_key(reply, caps)
        numbered = not as_keys and not caps.fits_buttons(reply.buttons)
        for row in reply.buttons:
            data_row = []
            for button in row:
                if as_keys:
                    keys[button.label] = len(actions)
                data_row.append(f"{conversation.token}:{len(actions)}")
                if not numbered:
                    pass  # shown as a button
                elif button.action in NAV_COMMANDS:
                    nav.append(f"{NAV_COMMANDS[button.action]} {button.label}")
                else:
                    number = str(len(numbers) + 1)
                    numbers[number] = len(actions)
                    lines.append(menu_line(int(number), button.label))
                actions.append(button.action)
            reply.callback_data.append(data_row)
        if numbered and (lines or nav):
            menu = "\n".join(lines + ([" · ".join(nav)] if nav else []))
            reply.text = f"{reply.text}\n\n{menu}" if reply.text else menu
    conversation.actions = {"list": actions, "numbers": numbers, "keys": keys}


def _beside_share_key(reply: Reply, caps: Capabilities) -> bool:
    """Buttons of a message with a share key become keys of that keyboard (one per message)."""
    return bool(
        (reply.request_contact and caps.contact_request)
        or (reply.request_location and caps.location_request)
    )
