"""Where each update goes: the one place routing is declared.

Order matters and is, top to bottom:
1. a stale button press is answered with the current screen;
2. a new user is answered at once in their app's language (stored without
   asking), with a button to switch language: no question stands between a
   consumer and the product they scanned;
3. commands: /help, /language and /cancel work everywhere; /resume inside a
   flow repeats its question; any other known command puts the running flow
   aside as a draft (resumable with /resume) and does what was asked;
4. a running flow takes everything else;
5. otherwise a button action is looked up in ROUTES, whose role is
   checked here, on the server, whatever the button said;
6. anything left (a code, a serial, a label photo, a product's name) is looked
   up for a consumer; what cannot be placed gets how to look a product up.

Each handler module declares one `Feature` (its routes with their commands,
the flows they start, its collector steps); ROUTES, COMMANDS and the
router's flows are built below from FEATURES, the producer's routes first.
docs/adding.md walks through adding a flow, a command and a screen.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.core import flow_actions
from bot.core.context import Context
from bot.core.flow_actions import FLOW_CANCEL
from bot.core.intents import (
    HELP,
    LANGUAGE,
    MENU,
    PHOTO_CHANGE,
    PHOTOS,
    PHOTOS_ADD,
    PRODUCT,
    PRODUCT_DELETE,
    PRODUCT_DELETE_YES,
    PRODUCT_EDIT,
    PRODUCT_FIELD,
    PRODUCT_NEW,
    PRODUCTS,
    PROFILE,
    PROFILE_EDIT,
    PROFILE_FIELD,
    REGISTRATION,
    RESUME,
    RESUME_FLOW,
    STAMPS,
    STATUS,
)
from bot.core.replies import noted, with_note
from bot.core.types import Reply
from bot.flows import engine, photos
from bot.flows.collector import Collector
from bot.flows.engine import Flow
from bot.flows.ownership import owned_product
from bot.flows.product import from_product, product_flow
from bot.flows.register import REGISTER, from_producer
from bot.flows.stamps import stamps_flow
from bot.handlers import (
    broadcasts,
    common,
    consumer,
    labels,
    linking,
    nearby,
    officers,
    reminders,
    stats,
    trainings,
)
from bot.handlers.menu import main_menu
from bot.handlers.products import (
    delete_confirm,
    edit_menu,
    product_screen,
    products_screen,
    status_screen,
)
from bot.handlers.profile import EDITABLE as PROFILE_FIELDS
from bot.handlers.profile import profile_edit_menu, profile_view
from bot.handlers.routing import ADMIN, ANYONE, Feature, Route, allowed
from storage.audit import record
from storage.models import Product
from storage.producers import producer_id_of_user, producer_of_user
from storage.products import delete_product, products_of_producer
from storage.states.roles import Role

log = logging.getLogger(__name__)


class Router:
    def __init__(self, settings: Settings) -> None:
        self.flows: dict[str, Flow] = {
            flow.name: flow for feature in FEATURES for flow in feature.all_flows(settings)
        }
        self.collectors: dict[str, Collector] = {
            collector.name: collector
            for feature in FEATURES
            for collector in feature.all_collectors()
        }

    async def __call__(self, ctx: Context) -> list[Reply]:
        ctx.navigate = self.dispatch_action  # where a flow's "go to" is resolved
        if ctx.settings.is_admin(ctx.user.channel, ctx.user.external_id):
            ctx.user.role = ADMIN  # admins are named in configuration, not in the database
        elif ctx.user.role == ADMIN:
            ctx.user.role = Role.USER  # no longer named in the configuration
        if ctx.action == "stale":
            return noted(ctx.t("stale"), await self.current_screen(ctx))
        if ctx.action and ctx.action.startswith("lang:"):
            note = common.set_language(ctx, ctx.action.removeprefix("lang:"))
            return noted(note, await self.current_screen(ctx))
        if ctx.user.language is None:
            return await self.first_contact(ctx)
        return await self.route(ctx)

    async def first_contact(self, ctx: Context) -> list[Reply]:
        """Answers a new user's first update in their app's language, with a switch button."""
        common.set_language(
            ctx, common.guess_language(ctx.incoming.language, ctx.settings.default_language)
        )
        return common.with_language_switch(ctx, await self.route(ctx))

    async def route(self, ctx: Context) -> list[Reply]:
        command = ctx.incoming.command
        if command is not None and ctx.action is None:
            return await self.command(ctx, *command)
        if ctx.conversation.flow is not None:
            return await self.in_flow(ctx)
        if ctx.action:
            return await self.dispatch_action(ctx, ctx.action)
        return await self.idle(ctx)

    async def current_screen(self, ctx: Context) -> list[Reply]:
        """What the user should see now: the running step or the menu."""
        flow = ctx.conversation.flow
        if flow in self.collectors:
            return await self.collectors[flow].show(ctx)
        if flow in self.flows:
            return engine.prompt(ctx, self.flows[flow])
        return await main_menu(ctx)

    async def in_flow(self, ctx: Context) -> list[Reply]:
        flow = ctx.conversation.flow
        if ctx.action and not ctx.action.startswith(flow_actions.NAMESPACE):
            # A button from outside the flow (help's menu button, a notice):
            # the flow is put aside as a draft, then the button does its job.
            note = self.put_aside(ctx)
            return joined(note, await self.dispatch_action(ctx, ctx.action))
        if flow in self.collectors:  # steps that take photos or a file
            return await self.collectors[flow].handle(ctx)
        if flow in self.flows:
            return await engine.handle(ctx, self.flows[flow])
        ctx.conversation.flow = None  # a flow this version no longer has
        return await main_menu(ctx)

    def put_aside(self, ctx: Context) -> Reply | None:
        """Leaves the running flow, kept as a draft to resume; the note that says so."""
        flow = self.flows.get(ctx.conversation.flow or "")
        share_key = flow is not None and engine.showing_share_key(ctx, flow)
        if flow is not None and engine.pause(ctx, flow):
            title = ctx.t(flow.title)
            return Reply(ctx.t("flow.saved_for_later", title=title), remove_keyboard=share_key)
        ctx.conversation.flow, ctx.conversation.step, ctx.conversation.data = None, None, {}
        return Reply(ctx.t("flow.going_back"), remove_keyboard=True) if share_key else None

    async def command(self, ctx: Context, name: str, args: str) -> list[Reply]:
        in_flow = ctx.conversation.flow is not None
        if name == "cancel":
            if in_flow:
                ctx.action = FLOW_CANCEL.action()
                return await self.in_flow(ctx)
            return noted(ctx.t("flow.nothing_to_cancel"), await main_menu(ctx))
        if name == "language":
            return common.language_picker(ctx)
        if name == "help":
            if in_flow:  # the help, then the question asked again, in one message
                return noted(ctx.t("help.text"), await self.current_screen(ctx))
            return common.help_screen(ctx)
        if in_flow and name == "resume":
            return await self.current_screen(ctx)  # the question the form is at
        if not known_command(name, args):  # a typo inside a flow must not put it aside
            if in_flow:
                note = ctx.t("flow.unknown_command", command="/" + name)
                return noted(note, await self.current_screen(ctx))
            return noted(ctx.t("unknown_command", command="/" + name), await main_menu(ctx))
        # Any other command inside a flow: the flow waits as a draft (/resume
        # brings it back) and the command does what it says.
        aside = self.put_aside(ctx) if in_flow else None
        return joined(aside, await self.open_command(ctx, name, args))

    async def open_command(self, ctx: Context, name: str, args: str) -> list[Reply]:
        """What a known command does outside any flow."""
        if name == "start" and args:
            answer = await self.start_payload(ctx, args)
            if answer is not None:
                return answer
        if name == "origin":
            return await consumer.origin_command(ctx, args)
        if name == "find":
            return await consumer.find_command(ctx, args)
        if name == "near":
            return await nearby.near_command(ctx, args)
        if name == "link":
            return await linking.link_command(ctx, args)
        return await self.dispatch_action(ctx, COMMANDS[name])

    async def dispatch_action(self, ctx: Context, action: str) -> list[Reply]:
        ctx.navigate = self.dispatch_action  # where a flow's "go to" is resolved
        for route in ROUTES:
            args = route.intent.match(action)
            if args is None:
                continue
            if not allowed(ctx.user.role, route.role):
                return await self.deny(ctx, action)
            return await route.handler(ctx, self, args)
        return noted(ctx.t("stale"), await main_menu(ctx))

    async def deny(self, ctx: Context, action: str) -> list[Reply]:
        """Refuses an action the user's role does not allow, and keeps a record of the try."""
        log.warning("denied %r to user %s (%s)", action, ctx.user.id, ctx.user.role)
        await record(
            ctx.session,
            ctx.user.id,
            "denied",
            "action",
            None,
            after={"action": action},
            at=ctx.now(),
        )
        return noted(ctx.t("denied"), await main_menu(ctx))

    async def start_payload(self, ctx: Context, payload: str) -> list[Reply] | None:
        """Deep links (/start p_CODE, s_SERIAL, o_INVITE); None when the payload is none."""
        answer = await consumer.start_payload(ctx, payload)
        return answer if answer is not None else await officers.start_payload(ctx, payload)

    async def idle(self, ctx: Context) -> list[Reply]:
        """Typed text or a photo outside any flow: a code, serial or label to look up."""
        if ctx.incoming.location:  # "OCOP producers near me"
            return await nearby.shared_location(ctx)
        if ctx.incoming.photo or ctx.incoming.document:
            return await consumer.photo(ctx)
        answer = await consumer.typed_text(ctx) if ctx.incoming.text else None
        if answer is None and ctx.incoming.text:
            answer = await nearby.typed_point(ctx)  # "10.77, 106.70" where no location key
        if answer is None and ctx.incoming.text:
            answer = await consumer.find_if_any(ctx, ctx.incoming.text)  # a product's name
        if answer is not None:
            return answer
        if await producer_of_user(ctx.session, ctx.user.id) is None:
            # Most people who write without a flow are consumers: how to look up.
            return await main_menu(ctx, intro=ctx.t("idle.consumer"))
        return noted(ctx.t("idle.hint"), await main_menu(ctx))


def known_command(name: str, args: str) -> bool:
    return (
        name in COMMANDS or name in ("origin", "find", "near") or (name == "start" and bool(args))
    )


def joined(note: Reply | None, replies: list[Reply]) -> list[Reply]:
    return replies if note is None else with_note(note, replies)


# --- action handlers ----------------------------------------------------
# Each handler that touches a product loads it through `owned_product`,
# which checks that it belongs to the user: a crafted action cannot reach
# another producer's product.


async def _owned(ctx: Context, product_id: str) -> Product | None:
    return await owned_product(ctx, int(product_id))


async def _not_found(ctx: Context) -> list[Reply]:
    return noted(ctx.t("product.not_found"), await main_menu(ctx))


async def _menu(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await main_menu(ctx)


async def _help(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return common.help_screen(ctx)


async def _language(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return common.language_picker(ctx)


async def _register(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if await producer_of_user(ctx.session, ctx.user.id) is not None:
        return noted(ctx.t("register.already"), await profile_view(ctx))
    return await engine.start(ctx, router.flows["register"])


async def _profile(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await profile_view(ctx)


async def _profile_edit(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if await producer_of_user(ctx.session, ctx.user.id) is None:
        return await profile_view(ctx)
    return profile_edit_menu(ctx)


async def _profile_field(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    producer = await producer_of_user(ctx.session, ctx.user.id)
    step = args[0]
    if producer is None or step not in {name for name, _label in PROFILE_FIELDS}:
        return await profile_view(ctx)
    return await engine.start(
        ctx,
        router.flows["register"],
        values=from_producer(producer),
        only=[step],
        target=producer.id,
    )


async def _new_product(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if await producer_id_of_user(ctx.unit, ctx.user.id) is None:
        return noted(ctx.t("register.first"), await engine.start(ctx, router.flows["register"]))
    return await engine.start(ctx, router.flows["product"])


async def _products(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    producer = await producer_of_user(ctx.session, ctx.user.id)
    if producer is None:
        return await main_menu(ctx, intro=ctx.t("product.need_profile"))
    page = int(args[0]) if args and args[0] else 0
    return products_screen(ctx, await products_of_producer(ctx.session, producer.id), page)


async def _product(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    return product_screen(ctx, product) if product else await _not_found(ctx)


async def _product_edit(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    return edit_menu(ctx, product) if product else await _not_found(ctx)


async def _product_field(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    if product is None:
        return await _not_found(ctx)
    flow = router.flows["product"]
    if args[1] not in {step.name for step in flow.steps}:
        return edit_menu(ctx, product)
    return await engine.start(
        ctx, flow, values=from_product(product), only=[args[1]], target=product.id
    )


async def _product_delete(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    return delete_confirm(ctx, product) if product else await _not_found(ctx)


async def _product_delete_yes(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    if product is None:
        return await _not_found(ctx)
    name = product.name
    await delete_product(ctx.session, product)
    return noted(ctx.t("product.deleted", name=name), await _products(ctx, router, ()))


async def _photos(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    return photos.manage_screen(ctx, product) if product else await _not_found(ctx)


async def _photos_add(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    return await photos.start(ctx, product) if product else await _not_found(ctx)


async def _photo_change(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    verb, product_id, photo_id = args
    product = await _owned(ctx, product_id)
    if product is None:
        return await _not_found(ctx)
    return await photos.change(ctx, verb, product, int(photo_id))


async def _stamps(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await _owned(ctx, args[0])
    if product is None:
        return await _not_found(ctx)
    # values={} starts afresh: a draft put aside may be for another product.
    return await engine.start(ctx, router.flows["stamps"], values={}, target=product.id)


async def _status(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    producer = await producer_of_user(ctx.session, ctx.user.id)
    if producer is None:
        return await main_menu(ctx, intro=ctx.t("product.need_profile"))
    products = await products_of_producer(ctx.session, producer.id)
    if args and args[0]:
        products = [p for p in products if p.id == int(args[0])]
    return status_screen(ctx, products)


async def _resume(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    flow = router.flows.get(args[0])
    if flow is None or args[0] not in ctx.conversation.drafts:
        return await main_menu(ctx)
    return await engine.resume(ctx, flow)


async def _resume_any(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    for name in ctx.conversation.drafts:
        if name in router.flows:
            return await engine.resume(ctx, router.flows[name])
    return noted(ctx.t("flow.nothing_to_resume"), await main_menu(ctx))


def _product_flow(settings: Settings) -> Flow:
    limits = settings.limits
    return product_flow(limits.max_text, limits.max_long_text, limits.max_price_vnd)


PRODUCER = Feature(
    routes=(
        Route(MENU, _menu, commands=("start", "menu")),
        Route(HELP, _help),
        Route(LANGUAGE, _language),
        Route(REGISTRATION, _register, commands=("register",)),
        Route(PROFILE, _profile, commands=("profile",)),
        Route(PROFILE_EDIT, _profile_edit),
        Route(PROFILE_FIELD, _profile_field),
        Route(PRODUCT_NEW, _new_product, commands=("newproduct",)),
        Route(PRODUCTS, _products, commands=("products",)),
        Route(PRODUCT, _product),
        Route(PRODUCT_EDIT, _product_edit),
        Route(PRODUCT_FIELD, _product_field),
        Route(PRODUCT_DELETE, _product_delete),
        Route(PRODUCT_DELETE_YES, _product_delete_yes),
        Route(PHOTOS, _photos),
        Route(PHOTOS_ADD, _photos_add),
        Route(PHOTO_CHANGE, _photo_change),
        Route(STAMPS, _stamps),
        Route(STATUS, _status, commands=("status",)),
        Route(RESUME_FLOW, _resume),
        Route(RESUME, _resume_any, commands=("resume",)),
    ),
    flows=(REGISTER, _product_flow, stamps_flow),
    collectors=(photos.COLLECTOR,),
)
assert all(route.role == ANYONE for route in PRODUCER.routes)  # ownership is checked inside

# Every feature, core routes first: the first route whose pattern matches answers.
FEATURES: tuple[Feature, ...] = (
    PRODUCER,
    consumer.FEATURE,
    nearby.FEATURE,
    labels.FEATURE,
    officers.FEATURE,
    broadcasts.FEATURE,
    stats.FEATURE,
    trainings.FEATURE,
    reminders.FEATURE,
    linking.FEATURE,
)
ROUTES: list[Route] = [route for feature in FEATURES for route in feature.all_routes()]


def _commands(routes: list[Route]) -> dict[str, str]:
    """Typed commands and the action each one stands for, from the routes that name them."""
    commands: dict[str, str] = {}
    for route in routes:
        for name in route.commands:
            if name in commands:
                raise ValueError(f"/{name} is declared by two routes")
            commands[name] = route.action()
    return commands


COMMANDS = _commands(ROUTES)
