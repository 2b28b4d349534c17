"""What reminders say: each a stored outbox payload (text and buttons) in one language.

Pure functions of a translator and the records; the buttons' actions are
built from intents (bot/core/intents.py), handled by routes like any other
(bot/handlers/trainings.py, products, profile), and reach only the
message's recipient (dispatcher, "n:").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

from bot.core.intents import (
    PRODUCT,
    REMINDERS_SWITCH,
    REVIEW_OPEN,
    TRAINING_ANSWER,
    TRAININGS,
)
from bot.i18n import N_, Translator
from bot.scheduler.gaps import Gap
from storage.jobs import aware
from storage.models import Producer, Training
from storage.outbox import payload

Compose = Callable[[Translator, Training], dict[str, Any]]  # a message about a training


class ProductFacts(NamedTuple):
    """What reminders about a product say and check, read in one query (no ORM objects)."""

    id: int
    code: str
    name: str
    cert_expiry: dt.date | None
    owner_id: int | None  # the producer's user
    producer_name: str
    province_code: int
    gaps: list[str]  # message keys, gaps.PRODUCT_ACTIONS order


MAX_GAP_BUTTONS = 3  # a phone screen; the text names every gap
# (to an officer?, days left > 0 | the last valid day | expired) → message key
_EXPIRY = {
    (False, "soon"): N_("reminder.expiry_soon"),
    (False, "last_day"): N_("reminder.expiry_last_day"),
    (False, "expired"): N_("reminder.expiry_expired"),
    (True, "soon"): N_("reminder.officer_expiry_soon"),
    (True, "last_day"): N_("reminder.officer_expiry_last_day"),
    (True, "expired"): N_("reminder.officer_expiry_expired"),
}


def training_card(t: Translator, training: Training) -> str:
    lines = [
        t("training.card_topic", topic=training.topic),
        t("training.card_when", when=t.datetime(aware(training.starts_at))),
    ]
    if training.place:
        lines.append(t("training.card_place", place=training.place))
    if training.url:
        lines.append(t("training.card_online", url=training.url))
    return "\n".join(lines)


def time_left(t: Translator, left: dt.timedelta) -> str:
    """ "1 ngày", "2 giờ", "45 phút": the largest unit that fits, rounded."""
    minutes = max(1, round(left.total_seconds() / 60))
    if minutes >= 20 * 60:
        return t("period.days", count=max(1, round(minutes / (24 * 60))))
    if minutes >= 60:
        return t("training.hours", count=round(minutes / 60))
    return t("training.minutes", count=minutes)


def _going_buttons(t: Translator, training: Training) -> list[list[tuple[str, str]]]:
    return [
        [(t("training.button_cannot_come"), TRAINING_ANSWER.action("not_going", training.id))],
        [(t("training.button_mine"), TRAININGS.action())],
    ]


def invitation(t: Translator, training: Training) -> dict[str, Any]:
    text = t("training.invitation") + "\n\n" + training_card(t, training)
    text += "\n" + t("training.card_seats", capacity=t.number(training.capacity))
    buttons = [
        [
            (t("training.button_going"), TRAINING_ANSWER.action("going", training.id)),
            (t("training.button_not_going"), TRAINING_ANSWER.action("not_going", training.id)),
        ]
    ]
    return payload(text, buttons)


def training_reminder(t: Translator, training: Training, now: dt.datetime) -> dict[str, Any]:
    left = time_left(t, aware(training.starts_at) - now)
    text = t("training.reminder", left=left) + "\n\n" + training_card(t, training)
    return payload(text, _going_buttons(t, training))


def promoted(t: Translator, training: Training) -> dict[str, Any]:
    text = t("training.promoted") + "\n\n" + training_card(t, training)
    return payload(text, _going_buttons(t, training))


def cancelled(t: Translator, training: Training) -> dict[str, Any]:
    text = t("training.cancelled_notice") + "\n\n" + training_card(t, training)
    return payload(text, [[(t("training.button_mine"), TRAININGS.action())]])


def _gap_buttons(t: Translator, gaps: list[Gap]) -> list[list[tuple[str, str]]]:
    rows = [[(t("reminder.fill", field=t(gap.key)), gap.action)] for gap in gaps[:MAX_GAP_BUTTONS]]
    rows.append([(t("reminder.button_off"), REMINDERS_SWITCH.action("off", "incomplete"))])
    return rows


def incomplete_product(t: Translator, product: ProductFacts, gaps: list[Gap]) -> dict[str, Any]:
    fields = ", ".join(t(gap.key) for gap in gaps)
    text = t("reminder.incomplete_product", name=product.name, code=product.code, fields=fields)
    return payload(text, _gap_buttons(t, gaps))


def incomplete_profile(t: Translator, producer: Producer, gaps: list[Gap]) -> dict[str, Any]:
    fields = ", ".join(t(gap.key) for gap in gaps)
    text = t("reminder.incomplete_profile", name=producer.name, fields=fields)
    return payload(text, _gap_buttons(t, gaps))


def expiry(
    t: Translator, product: ProductFacts, today: dt.date, *, officer: bool
) -> dict[str, Any]:
    """Days left, the last day, or expired; officers are told whose product it is."""
    assert product.cert_expiry is not None
    left = (product.cert_expiry - today).days
    state = "soon" if left > 0 else ("last_day" if left == 0 else "expired")
    text = t(
        _EXPIRY[(officer, state)],
        name=product.name,
        code=product.code,
        date=t.date(product.cert_expiry),
        days=left,
        producer=product.producer_name,
    )
    if officer:
        buttons = [[(t("reminder.button_open_product"), REVIEW_OPEN.action(product.id))]]
    else:
        buttons = [[(t("reminder.button_view_product"), PRODUCT.action(product.id))]]
    buttons.append([(t("reminder.button_off_expiry"), REMINDERS_SWITCH.action("off", "expiry"))])
    return payload(text, buttons)
