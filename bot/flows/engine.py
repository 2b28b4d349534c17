"""The flow engine: a conversation declared as a table of steps.

A `Flow` lists its `Step`s in order; each says what it asks (a message key),
how typed input is read (a pure parser), which buttons it offers, whether
it may be skipped, and when it applies. The engine does the rest for every
flow alike: back, skip, cancel, "later" (a saved draft resumed at the same
step), a confirmation summary, edit mode (one field and the steps that
follow from it), and bad input answered with what is expected while
everything entered so far stays.

State lives in the conversation row: `flow`, `step`, and `data` (`FlowData`) holding
`values`, `history` (steps answered, for back), `options` (the values
behind the buttons on screen), `only` (edit mode) and `target` (the record
being edited).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.flow_actions import (
    FLOW_BACK,
    FLOW_CANCEL,
    FLOW_DONE,
    FLOW_LATER,
    FLOW_PICK,
    FLOW_SAVE,
    FLOW_SKIP,
)
from bot.core.replies import noted, with_note
from bot.core.text import clean, fold
from bot.core.types import Button, Reply
from bot.flows.parsers import Parser

CONFIRM = "_confirm"


class FlowData(TypedDict, total=False):
    """What a running flow keeps in the conversation row's `data` (stored as JSON)."""

    values: dict[str, Any]  # the answers, by step name (each step's own JSON value)
    history: list[str]  # the steps answered, in order, for Back
    options: list[Any]  # the values behind the choice buttons on screen
    search: list[str]  # the labels of several matches, when typed text found more than one
    only: list[str] | None  # edit mode: the steps asked (and their followers)
    target: int | None  # the record being edited, if any


class Draft(TypedDict):
    """A flow put aside with Later or a command, in the conversation's `drafts`."""

    step: str
    data: FlowData
    title: str  # message key, for the menu's "Continue: …"


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    value: Any  # JSON-ready
    label: str


ChoiceSource = Callable[[Context, dict[str, Any]], list[Choice]]
Search = Callable[[dict[str, Any], str], list[Choice]]
Check = Callable[[Context, dict[str, Any], Any], None]
Show = Callable[[Context, Any], str]
Finish = Callable[[Context, dict[str, Any], int | None], Awaitable[list[Reply]]]
Exit = Callable[[Context, int | None], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Step:
    """One question of a flow; its answer is stored under `name`."""

    name: str
    prompt: str  # message key
    parse: Parser | None = None  # typed text → value, or raises Invalid
    choices: ChoiceSource | None = None  # buttons; a press picks the value
    search: Search | None = None  # typed text → matching choices (places)
    optional: bool = False
    accepts: str = "text"  # text | contact | location | document
    multi: bool = False  # several choices toggled, then Done
    when: Callable[[dict[str, Any]], bool] | None = None  # asked only if true
    follows: bool = False  # in edit mode, asked right after the step before it
    check: Check | None = None  # a rule needing the clock or other answers
    show: Show | None = None  # how a stored answer reads back to the user
    params: Callable[[Context, dict[str, Any]], dict[str, object]] | None = None  # for the prompt
    columns: int = 2

    def applies(self, values: dict[str, Any]) -> bool:
        return self.when is None or self.when(values)

    @property
    def takes_text(self) -> bool:
        return self.parse is not None or self.search is not None


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # message key naming the flow ("Thêm sản phẩm")
    steps: tuple[Step, ...]
    finish: Finish  # saves the values; `target` is the record edited, if any
    exit: Exit  # what to show after cancel or "later"
    summary: Callable[[Context, dict[str, Any]], str] | None = None  # confirm before saving

    # The steps by name, for the lookups every update makes.
    by_name: dict[str, Step] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_name = {step.name: step for step in self.steps}
        if len(by_name) != len(self.steps):
            raise ValueError(f"flow {self.name!r} has two steps of one name")
        object.__setattr__(self, "by_name", by_name)

    def step(self, name: str) -> Step:
        return self.by_name[name]

    def has(self, name: str | None) -> bool:
        """True for the confirmation and for a step this version of the flow still has."""
        return name == CONFIRM or name in self.by_name


# --- starting ----------------------------------------------------------


async def start(
    ctx: Context,
    flow: Flow,
    *,
    values: dict[str, Any] | None = None,
    only: list[str] | None = None,
    target: int | None = None,
) -> list[Reply]:
    """Starts a flow (or resumes its draft, when a new one is asked for and one waits)."""
    draft = ctx.conversation.drafts.get(flow.name)
    if draft and only is None and values is None:
        return await resume(ctx, flow)
    data: FlowData = {"values": dict(values or {}), "history": [], "only": only, "target": target}
    first = _next_step(flow, data, None)
    if first is None:  # nothing applies: straight to saving
        return await _complete(ctx, flow, data)
    _set(ctx, flow, first, data)
    return prompt(ctx, flow)


async def resume(ctx: Context, flow: Flow) -> list[Reply]:
    drafts = dict(ctx.conversation.drafts)
    draft = drafts.pop(flow.name, None)
    if draft is None:
        return await start(ctx, flow)
    ctx.conversation.drafts = drafts
    _set(ctx, flow, draft["step"], _copy(draft["data"]))
    return noted(ctx.t("flow.resumed", title=ctx.t(flow.title)), prompt(ctx, flow))


def _set(ctx: Context, flow: Flow, step: str, data: FlowData) -> None:
    ctx.conversation.flow = flow.name
    ctx.conversation.step = step
    ctx.conversation.data = dict(data)


def _clear(ctx: Context) -> None:
    ctx.conversation.flow = None
    ctx.conversation.step = None
    ctx.conversation.data = {}


# --- handling input ----------------------------------------------------


async def handle(ctx: Context, flow: Flow) -> list[Reply]:
    """Answers one update given while `flow` is active."""
    name = ctx.conversation.step or ""
    share_key = showing_share_key(ctx, flow)
    replies = await _handle(ctx, flow)
    leaving = ctx.conversation.flow != flow.name or ctx.conversation.step != name
    if leaving and share_key and not any(reply.remove_keyboard for reply in replies):
        # Telegram keeps a reply keyboard until a message removes it.
        note = "flow.skipped" if ctx.action == FLOW_SKIP.action() else "flow.going_back"
        return with_note(Reply(ctx.t(note), remove_keyboard=True), replies)
    return replies


def showing_share_key(ctx: Context, flow: Flow) -> bool:
    """True when the current step shows a share-phone/location key (to be taken away)."""
    name = ctx.conversation.step or ""
    if name == CONFIRM or not flow.has(name):
        return False
    return _shows_share_key(ctx, flow.step(name))


def _shows_share_key(ctx: Context, step: Step) -> bool:
    return (step.accepts == "contact" and ctx.caps.contact_request) or (
        step.accepts == "location" and ctx.caps.location_request
    )


async def _handle(ctx: Context, flow: Flow) -> list[Reply]:
    action = ctx.action or ""
    data = _copy(ctx.conversation.data)
    name = ctx.conversation.step or ""
    if action == FLOW_CANCEL.action():
        return await _cancel(ctx, flow, data)
    if action == FLOW_LATER.action():
        return await _later(ctx, flow, data)
    if not flow.has(name):  # the answer was to a question this version no longer asks
        _restore(ctx, flow)
        return prompt(ctx, flow)
    if action == FLOW_BACK.action():
        return _back(ctx, flow, data)
    if name == CONFIRM:
        if action == FLOW_SAVE.action():
            return await _complete(ctx, flow, data)
        return noted(ctx.t("flow.press_save"), prompt(ctx, flow))
    step = flow.step(name)
    try:
        value = _read(ctx, step, data, action)
    except Invalid as error:
        return with_note(complaint(ctx, error), prompt(ctx, flow))
    if value is _PENDING:
        ctx.conversation.data = dict(data)
        return prompt(ctx, flow)
    if value is _SKIPPED:
        return await _advance(ctx, flow, data, step, None)
    if step.check is not None:
        try:
            step.check(ctx, data["values"], value)
        except Invalid as error:
            return with_note(complaint(ctx, error), prompt(ctx, flow))
    following = await _advance(ctx, flow, data, step, value)
    if _shows_share_key(ctx, step):
        # Confirms the shared contact/location and takes the share key away.
        return with_note(Reply(ctx.t("flow.received"), remove_keyboard=True), following)
    return following


def complaint(ctx: Context, error: Invalid) -> Reply:
    """What was wrong, in the user's language, numbers written the local way (1.000.000)."""
    params = {
        key: ctx.t.number(value)
        if isinstance(value, int) and not isinstance(value, bool)
        else value
        for key, value in error.params.items()
    }
    return Reply(ctx.t(error.key, **params))


_PENDING = object()  # the input changed what is on screen but gave no answer yet
_SKIPPED = object()


def _read(ctx: Context, step: Step, data: FlowData, action: str) -> Any:
    """The answer this update gives to `step`, or _PENDING/_SKIPPED; raises Invalid."""
    incoming = ctx.incoming
    if action == FLOW_SKIP.action():
        if not step.optional:
            raise Invalid("flow.not_optional")
        return _SKIPPED
    picked = FLOW_PICK.match(action)
    if picked is not None:
        index = int(picked[0])
        options = data.get("options", [])
        value = options[index]
        if step.multi:
            _toggle(data, step, value)
            return _PENDING
        return value
    if action == FLOW_DONE.action() and step.multi:
        return list(data["values"].get(step.name) or [])
    if action:
        raise Invalid("flow.use_buttons")
    if step.accepts == "contact" and incoming.contact is not None:
        # Telegram's share key sends the user's own contact with their id; a
        # contact picked from the address book has another id or none.
        if incoming.contact.user_id != incoming.user_id:
            raise Invalid("invalid.not_own_contact")
        assert step.parse is not None
        return step.parse(incoming.contact.phone)
    if step.accepts == "location" and incoming.location is not None:
        return {"lat": incoming.location.latitude, "lon": incoming.location.longitude}
    if step.accepts == "document" and incoming.document is not None:
        # What the file is; its bytes are in ctx.incoming.file_bytes during this update.
        document = incoming.document
        return {"name": document.name, "mime": document.mime, "size": document.size}
    if incoming.photo or incoming.document or incoming.contact or incoming.location:
        if step.takes_text:
            raise Invalid("flow.expected_text")
        raise Invalid("flow.use_buttons")
    raw = incoming.text or ""
    if step.search is not None:
        found = step.search(data["values"], raw)
        if not clean(raw):
            raise Invalid("invalid.empty")
        if not found:
            raise Invalid("invalid.no_match", query=clean(raw)[:50])
        exact = [c for c in found if fold(c.label) == fold(raw)]
        if len(found) == 1 or len(exact) == 1:
            return (exact or found)[0].value
        data["options"] = [c.value for c in found]
        data["search"] = [c.label for c in found]
        return _PENDING
    if step.choices is not None:
        match = _match_choice(step.choices(ctx, data["values"]), raw)
        if match is not None and step.multi:
            _toggle(data, step, match)  # typing a label works like tapping it
            return _PENDING
        if match is not None:
            return match
    if step.parse is None:
        raise Invalid("flow.use_buttons")
    return step.parse(raw)


def _toggle(data: FlowData, step: Step, value: Any) -> None:
    chosen = list(data["values"].get(step.name) or [])
    data["values"][step.name] = (
        [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    )


def _match_choice(choices: list[Choice], raw: str) -> Any:
    wanted = fold(raw)
    for choice in choices:
        if wanted and fold(choice.label) == wanted:
            return choice.value
    return None


async def _advance(ctx: Context, flow: Flow, data: FlowData, step: Step, value: Any) -> list[Reply]:
    data["values"][step.name] = value
    data["history"] = [*data["history"], step.name]
    data.pop("options", None)
    data.pop("search", None)
    following = _next_step(flow, data, step.name)
    if following is None:
        if data.get("only") is None and flow.summary is not None:
            _set(ctx, flow, CONFIRM, data)
            return prompt(ctx, flow)
        return await _complete(ctx, flow, data)
    _set(ctx, flow, following, data)
    return prompt(ctx, flow)


def _next_step(flow: Flow, data: FlowData, after: str | None) -> str | None:
    """The next step that applies; in edit mode only the chosen ones and their followers."""
    names = [step.name for step in flow.steps]
    start_at = 0 if after is None else names.index(after) + 1
    only: list[str] | None = data.get("only")
    for step in flow.steps[start_at:]:
        if not step.applies(data["values"]):
            continue
        if only is None:
            return step.name
        if step.name in only:
            return step.name
        if step.follows and after is not None:
            return step.name
        if after is not None:
            return None  # edit mode: the chain of followers has ended
    return None


def _restore(ctx: Context, flow: Flow) -> None:
    """Moves a conversation stored at a step this flow no longer has (renamed or
    removed since it was saved) to its first unanswered step, answers kept."""
    data = _copy(ctx.conversation.data)
    data.pop("options", None)
    data.pop("search", None)
    values = data["values"]
    only: list[str] | None = data.get("only")
    names = [step.name for step in flow.steps]
    data["history"] = [name for name in data["history"] if name in names]
    wanted = [
        step.name
        for step in flow.steps
        if step.applies(values) and (only is None or step.name in only)
    ]
    unanswered = [name for name in wanted if name not in values]
    if unanswered:
        step = unanswered[0]
    elif flow.summary is not None and only is None:
        step = CONFIRM
    else:
        step = wanted[-1] if wanted else names[0]
    log.warning(
        "flow %s: stored step %r no longer exists; asking %r",
        flow.name,
        ctx.conversation.step,
        step,
    )
    _set(ctx, flow, step, data)


def _back(ctx: Context, flow: Flow, data: FlowData) -> list[Reply]:
    history = list(data.get("history", []))
    if not history:
        return noted(ctx.t("flow.at_first_step"), prompt(ctx, flow))
    previous = history.pop()
    data["history"] = history
    data.pop("options", None)
    data.pop("search", None)
    _set(ctx, flow, previous, data)
    return prompt(ctx, flow)


async def _cancel(ctx: Context, flow: Flow, data: FlowData) -> list[Reply]:
    share_key = showing_share_key(ctx, flow)
    _clear(ctx)
    drafts = dict(ctx.conversation.drafts)
    drafts.pop(flow.name, None)
    ctx.conversation.drafts = drafts
    note = Reply(ctx.t("flow.cancelled"), remove_keyboard=share_key)
    return with_note(note, await flow.exit(ctx, data.get("target")))


def pause(ctx: Context, flow: Flow) -> bool:
    """Puts the running flow aside as a draft; False when it was an edit (not kept)."""
    data = _copy(ctx.conversation.data)
    step = ctx.conversation.step
    _clear(ctx)
    if data.get("only") is not None:  # an edit is short: nothing worth keeping
        return False
    ctx.conversation.drafts = {
        **ctx.conversation.drafts,
        flow.name: Draft(step=step or "", data=data, title=flow.title),
    }
    return True


async def _later(ctx: Context, flow: Flow, data: FlowData) -> list[Reply]:
    share_key = showing_share_key(ctx, flow)
    kept = pause(ctx, flow)
    text = (
        ctx.t("flow.saved_for_later", title=ctx.t(flow.title)) if kept else ctx.t("flow.cancelled")
    )
    note = Reply(text, remove_keyboard=share_key)
    return with_note(note, await flow.exit(ctx, data.get("target")))


async def _complete(ctx: Context, flow: Flow, data: FlowData) -> list[Reply]:
    _clear(ctx)
    drafts = dict(ctx.conversation.drafts)
    drafts.pop(flow.name, None)
    ctx.conversation.drafts = drafts
    return await flow.finish(ctx, data["values"], data.get("target"))


def _copy(data: Mapping[str, Any]) -> FlowData:
    """The stored JSON as FlowData: a copy to change, so the ORM sees a new value
    when it is assigned back."""
    copied: FlowData = {
        "values": dict(data.get("values") or {}),
        "history": list(data.get("history") or []),
    }
    if "options" in data:
        copied["options"] = list(data["options"])
    if "search" in data:
        copied["search"] = list(data["search"])
    if "only" in data:
        copied["only"] = data["only"]
    if "target" in data:
        copied["target"] = data["target"]
    return copied


# --- showing the current step -----------------------------------------


def prompt(ctx: Context, flow: Flow) -> list[Reply]:
    """The current step's question with its buttons; remembers the values behind them."""
    if not flow.has(ctx.conversation.step):
        _restore(ctx, flow)
    data = _copy(ctx.conversation.data)
    ctx.conversation.data = dict(data)
    name = ctx.conversation.step or ""
    t = ctx.t
    if name == CONFIRM:
        assert flow.summary is not None
        text = flow.summary(ctx, data["values"]) + "\n\n" + t("flow.confirm")
        buttons = [[Button(t("button.save"), FLOW_SAVE.action())], _nav(ctx, optional=False)]
        return [Reply(text, buttons=buttons)]
    step = flow.step(name)
    text = t(step.prompt, **(step.params(ctx, data["values"]) if step.params else {}))
    # One message even with a share key: the channel shows the other buttons as
    # keys beside it where a message can carry only one keyboard (Telegram).
    contact = step.accepts == "contact" and ctx.caps.contact_request
    location = step.accepts == "location" and ctx.caps.location_request
    if contact:
        text += "\n" + t("flow.or_share_phone")
    elif location:
        text += "\n" + t("flow.or_share_location")
    current = data["values"].get(step.name)
    shown = _shown_value(ctx, step, data["values"], current)
    if shown:
        text += "\n" + t("flow.current_value", value=shown)
    if data.get("search"):
        text = t("flow.pick_one")
    rows = _choice_rows(ctx, step, data)
    ctx.conversation.data = dict(data)  # with the values behind the buttons just made
    nav = _nav(ctx, optional=step.optional)
    return [
        Reply(
            text,
            buttons=[*rows, nav],
            request_contact=t("button.share_phone") if contact else None,
            request_location=t("button.share_location") if location else None,
        )
    ]


def _shown_value(ctx: Context, step: Step, values: dict[str, Any], current: Any) -> str:
    """How the stored answer reads back ("(Now: …)"), or "" when there is none to show."""
    if current in (None, [], "") or step.multi:
        return ""
    if step.show is not None:
        return step.show(ctx, current)
    if step.choices is not None:
        labels = [c.label for c in step.choices(ctx, values) if c.value == current]
        return labels[0] if labels else ""
    return ""


def _choice_rows(ctx: Context, step: Step, data: FlowData) -> list[list[Button]]:
    if data.get("search"):
        labels: list[str] = data["search"]
        return [[Button(label, FLOW_PICK.action(i))] for i, label in enumerate(labels)]
    if step.choices is None:
        return []
    choices = step.choices(ctx, data["values"])
    data["options"] = [choice.value for choice in choices]
    chosen = data["values"].get(step.name) or [] if step.multi else []
    buttons = [
        Button(("✅ " if choice.value in chosen else "") + choice.label, FLOW_PICK.action(i))
        for i, choice in enumerate(choices)
    ]
    rows = [buttons[i : i + step.columns] for i in range(0, len(buttons), step.columns)]
    if step.multi:
        rows.append([Button(ctx.t("button.done"), FLOW_DONE.action())])
    return rows


def _nav(ctx: Context, *, optional: bool) -> list[Button]:
    t = ctx.t
    row = [Button(t("button.back"), FLOW_BACK.action())]
    if optional:
        row.append(Button(t("button.skip"), FLOW_SKIP.action()))
    row += [
        Button(t("button.later"), FLOW_LATER.action()),
        Button(t("button.cancel"), FLOW_CANCEL.action()),
    ]
    return row
