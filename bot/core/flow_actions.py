"""The flow engine's own buttons: answered by the engine (and collectors) before any route.

Declared as intents like every other action, so their buttons are built,
never typed, and compared against the same objects; tests/actions.py counts
them as answered. In core, because the dispatcher offers Back, Skip, Later
and Cancel as typed commands where buttons cannot show.
"""

from __future__ import annotations

from bot.core.intents import Intent

FLOW_BACK = Intent(r"flow:back")
FLOW_SKIP = Intent(r"flow:skip")
FLOW_LATER = Intent(r"flow:later")
FLOW_CANCEL = Intent(r"flow:cancel")
FLOW_SAVE = Intent(r"flow:save")  # the confirmation's Save
FLOW_DONE = Intent(r"flow:done")  # ends a multiple choice, or collecting photos
FLOW_PICK = Intent(r"flow:pick:(\d+)")  # a choice, by its index

NAMESPACE = "flow:"  # every action the engine answers starts so
ALL = (FLOW_BACK, FLOW_SKIP, FLOW_LATER, FLOW_CANCEL, FLOW_SAVE, FLOW_DONE, FLOW_PICK)
