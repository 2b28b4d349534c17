"""Messages a handler sends another user about a training, not waiting for a pass.

A seat freed by one producer's "Not going" goes to the first one waiting,
who is told at once; a cancellation is told to everyone going or waiting.
Queued in the handler's own transaction, through the same outbox as
everything else, and held until the morning if it is quiet hours.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.scheduler import messages, rules
from storage import outbox
from storage.jobs import REMINDER
from storage.models import Training, User


async def tell(
    ctx: Context, training: Training, user_id: int, compose: messages.Compose, why: str
) -> None:
    """Queues `compose`'s message about `training` to the user, in their language."""
    user = await ctx.session.get(User, user_id)
    if user is None:
        return
    config = ctx.settings.reminders
    now = ctx.now()
    later = rules.quiet_until(now, ctx.t.tz, config.quiet_start, config.quiet_end)
    await outbox.enqueue(
        ctx.session,
        user,
        compose(ctx.app.catalogs.translator(user.language), training),
        kind=REMINDER,
        dedupe_key=f"training:{training.id}:{why}:{user_id}:{now.isoformat()}",
        not_before=later or now,
    )
