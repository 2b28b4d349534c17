"""Where a user can be sent: an action's pattern, who may use it, how to build it.

An `Intent` is the one declaration of an action string. Screens build their
buttons' actions with `intent.action(...)`, the router binds a handler to the
same object (`bot/handlers/routing.Route`), so an action that no route
handles cannot be built: a typo fails loudly where the button is made
instead of answering "this menu is out of date" later.

A flow never calls a screen. It ends by naming where the user goes next
(`await goto(ctx, PRODUCT.action(product.id))`) and the router, which set
`ctx.navigate`, resolves the name to the screen, checking the role as it
does for a button press. That keeps the layers one way: handlers import
flows, flows import core and storage, never the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.context import Context
from bot.core.types import Reply
from storage.states.jobs import PREFERENCES
from storage.states.roles import Role

# Who may trigger an action (checked on the server, whatever the button said).
ANYONE = "any"
OFFICER = Role.OFFICER  # officers and admins
ADMIN = Role.ADMIN

_LITERAL = re.compile(r"[a-z_]+(?::[a-z_]+)*")


def allowed(user_role: str, required: str) -> bool:
    if required == ANYONE:
        return True
    if required == OFFICER:
        return user_role in (OFFICER, ADMIN)
    return user_role == ADMIN


@dataclass(frozen=True)
class Intent:
    """An action pattern (a regex whose groups are its arguments) and the role it needs.

    The pattern starts with a literal name ("photos:add"); the arguments follow,
    each after a colon, so `action(*args)` can build the string and check it.
    """

    pattern: str
    role: str = ANYONE
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)
    name: str = field(init=False, compare=False, repr=False)
    # The action without arguments, when the pattern takes it: checked once, as
    # screens ask for it (Back, Skip, Save...) on every update.
    bare: str | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))
        literal = _LITERAL.match(self.pattern)
        if literal is None:
            raise ValueError(f"an intent's pattern starts with its name: {self.pattern!r}")
        name = literal.group().rstrip(":")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "bare", name if self.regex.fullmatch(name) else None)

    def action(self, *args: object) -> str:
        """The action string for these arguments; raises when the pattern refuses it."""
        if not args and self.bare is not None:
            return self.bare
        built = ":".join([self.name, *(str(arg) for arg in args)])
        if self.regex.fullmatch(built) is None:
            raise ValueError(f"{built!r} is not an action of {self.pattern!r}")
        return built

    def match(self, action: str) -> tuple[str, ...] | None:
        found = self.regex.fullmatch(action)
        return None if found is None else found.groups()


async def goto(ctx: Context, action: str) -> list[Reply]:
    """The screen an action leads to, resolved by the router handling this update."""
    if ctx.navigate is None:
        raise RuntimeError("no router is handling this update")
    return await ctx.navigate(ctx, action)


# --- intents that flows, the outbox or several handler modules name ---------
# (the router binds a handler to each; an intent one module alone uses is
# declared beside its route)
MENU = Intent(r"menu")
HELP = Intent(r"help")
LANGUAGE = Intent(r"language")
REGISTRATION = Intent(r"register")
FIND = Intent(r"find:(\d+|help)")  # a page of /find results, or how to look a product up
ORIGIN = Intent(r"origin:([0-9A-Z]{6})")  # a product's origin page, by its code
TRAININGS = Intent(r"trainings")
REMINDERS = Intent(r"reminders")
INVITE_NEW = Intent(r"invite:new", ADMIN)
PROFILE = Intent(r"profile")
PROFILE_EDIT = Intent(r"profile:edit")
PROFILE_FIELD = Intent(r"profile:field:(\w+)")
PRODUCTS = Intent(r"products(?::(\d+))?")
PRODUCT = Intent(r"product:(\d+)")
PRODUCT_NEW = Intent(r"product:new")
PRODUCT_EDIT = Intent(r"product:edit:(\d+)")
PRODUCT_FIELD = Intent(r"product:field:(\d+):(\w+)")
PRODUCT_DELETE = Intent(r"product:delete:(\d+)")
PRODUCT_DELETE_YES = Intent(r"product:delete_yes:(\d+)")
STATUS = Intent(r"status(?::(\d+))?")
STAMPS = Intent(r"stamps:(\d+)")
RESUME = Intent(r"resume")
RESUME_FLOW = Intent(r"resume:(\w+)")
PHOTOS = Intent(r"photos:(\d+)")
PHOTOS_ADD = Intent(r"photos:add:(\d+)")
PHOTO_CHANGE = Intent(r"photo:(cover|up|delete):(\d+):(\d+)")
LABEL = Intent(r"label:(\d+)")
LABEL_PNG = Intent(r"label:png:(\d+):([\w.-]+)")
LABEL_SHEET = Intent(r"label:sheet:(\d+):([\w.-]+)")
REVIEW = Intent(r"review(?::(\d+))?", OFFICER)
REVIEW_OPEN = Intent(r"review:open:(\d+)", OFFICER)
LISTINGS = Intent(r"listings", OFFICER)
LISTINGS_FIND = Intent(r"listings:find", OFFICER)
LISTINGS_PRODUCT = Intent(r"listings:product:(\d+)", OFFICER)
LISTINGS_UPLOAD = Intent(r"listings:upload", OFFICER)
BROADCAST_NEW = Intent(r"broadcast:new", OFFICER)
BROADCASTS = Intent(r"broadcasts", OFFICER)
BROADCAST_PREVIEW = Intent(r"broadcast:preview:(\d+)", OFFICER)
BROADCAST_SEND = Intent(r"broadcast:send:(\d+)", OFFICER)
BROADCAST_SCHEDULE = Intent(r"broadcast:schedule:(\d+)", OFFICER)
BROADCAST_ATTACH = Intent(r"broadcast:attach:(\d+)", OFFICER)
BROADCAST_DETACH = Intent(r"broadcast:detach:(\d+)", OFFICER)
BROADCAST_EDIT = Intent(r"broadcast:edit:(\d+)", OFFICER)
BROADCAST_AUDIENCE = Intent(r"broadcast:audience:(\d+)", OFFICER)
BROADCAST_DISCARD = Intent(r"broadcast:discard:(\d+)", OFFICER)
BROADCAST_CANCEL = Intent(r"broadcast:cancel:(\d+)", OFFICER)
BROADCAST_STOP = Intent(r"broadcast:stop:(\d+)", OFFICER)
NOTICES = Intent(r"notices")
NOTICES_SET = Intent(r"notices:(on|off)")
NOTICES_VIA = Intent(r"notices:via:(\w+)")  # the channel notices go to (/link)
LINK = Intent(r"link")
TRAINING_MANAGE = Intent(r"training:manage:(\d+)", OFFICER)
TRAINING_ANSWER = Intent(r"training:(going|not_going):(\d+)")  # Going / Not going
REMINDERS_SWITCH = Intent(rf"reminders:(on|off):({'|'.join(PREFERENCES)})")
_AREA = r"(?::(\d+|all))?"  # a province's code, "all" (the country), or the user's own
STATS = Intent(rf"stats{_AREA}", OFFICER)
EXPORT = Intent(rf"export{_AREA}", OFFICER)
