"""Buttons' actions are built from intents, never typed: a scan of every module under bot/.

A typed action ("produts:3", f"photos:add:{id}") is checked by nothing until
a user presses it and is told the menu is out of date; `INTENT.action(...)`
checks it where the button is made (docs/adding.md). Like tests/test_layers.py
the modules are parsed, not imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _typed(node: ast.expr | None) -> bool:
    """A string literal or an f-string, also as either branch of `a if c else b`."""
    if isinstance(node, ast.IfExp):
        return _typed(node.body) or _typed(node.orelse)
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _action_argument(call: ast.Call) -> ast.expr | None:
    if len(call.args) >= 2:
        return call.args[1]
    return next((kw.value for kw in call.keywords if kw.arg == "action"), None)


def _stored_button(node: ast.Tuple) -> bool:
    """`(t("label key"), action)`: a button of a message the outbox delivers (reminders)."""
    if len(node.elts) != 2 or not isinstance(node.elts[0], ast.Call):
        return False
    func = node.elts[0].func
    return isinstance(func, ast.Name) and func.id == "t" and _typed(node.elts[1])


def typed_actions(source: str) -> list[int]:
    """Lines where a button is given a literal or f-string action."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple) and _stored_button(node):
            lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "Button" and _typed(_action_argument(node)):
            lines.append(node.lineno)
    return lines


def test_no_module_under_bot_types_a_button_action() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for line in typed_actions(path.read_text(encoding="utf-8"))
    ]
    assert found == [], f"build these actions with INTENT.action(...): {found}"


def test_the_scan_finds_literals_and_f_strings() -> None:
    source = (
        'Button("Menu", "menu")\n'
        'Button(label, f"photos:add:{product.id}")\n'
        'types.Button(label, action="help")\n'
        'Button(label, "a" if ok else MENU.action())\n'
        "Button(label, PHOTOS_ADD.action(product.id))\n"
        'rows = [[(t("training.button_mine"), "trainings")]]\n'
        'rows = [[(t("training.button_mine"), TRAININGS.action())]]\n'
    )
    assert typed_actions(source) == [1, 2, 3, 4, 6]
