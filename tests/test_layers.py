"""Imports run one way: channels → core dispatcher → handlers → flows → storage.

Every module under bot/ and storage/ is parsed (not imported) and each of its
imports, including those inside functions and TYPE_CHECKING blocks, is
checked against the table below. docs/architecture.md ("Layers") draws the
same table; change both together.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Module prefix → layer; the longest prefix wins (bot.core.dispatcher before bot.core).
LAYER_OF = {
    "bot": "entry",  # bot/__init__.py, cli, runtime, demo, doctor, backups
    "bot.web": "web",
    "bot.channels": "channels",
    "bot.core.dispatcher": "dispatcher",
    "bot.handlers": "handlers",
    "bot.flows": "flows",
    "bot.core": "core",
    "bot.config": "services",
    "bot.i18n": "services",
    "bot.labels": "services",
    "bot.logs": "services",
    "bot.metrics": "services",
    "bot.outbox": "services",
    "bot.reports": "services",
    "bot.scheduler": "services",
    "storage": "storage",
}

FOUNDATION = {"core", "services", "storage"}
# Layer → the other layers it may import.
ALLOWED = {
    "entry": {"web", "channels", "dispatcher", "handlers", "flows", *FOUNDATION},
    "web": {"channels", *FOUNDATION},  # the origin pages and the webhook endpoint
    "channels": {"dispatcher", *FOUNDATION},
    "dispatcher": FOUNDATION,  # the router comes in as a callable, built in bot/runtime.py
    "handlers": {"flows", *FOUNDATION},
    "flows": FOUNDATION,  # a flow names where the user goes next (bot/core/intents.py)
    "core": FOUNDATION,
    "services": FOUNDATION,
    "storage": set(),
}

# What storage may import from bot/: pure domain rules (no Context, no I/O)
# that storage's queries share with the screens, so each rule has one home.
STORAGE_MAY_IMPORT = {
    "bot.core.codes",  # product and invite code alphabet
    "bot.core.geo",  # bounding boxes and distances for "near me"
    "bot.core.invite_codes",  # invite codes are stored as their hash
    "bot.core.ocop",  # OCOP groups and star thresholds
    "bot.core.product_fields",  # the one description of a product's fields (columns to load)
    "bot.core.readiness",  # what makes a product complete, for audiences and gaps
    "bot.core.text",  # folding diacritics for search
    "bot.core.visitors",  # the repeat-scan window of stamp pages
    "bot.labels.serials",  # the serial format stamps are stored under
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        layer = LAYER_OF.get(".".join(parts[:size]))
        if layer is not None:
            return layer
    return None  # a library outside the project


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(root: Path, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from bot import metrics" imports the module bot.metrics.
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in submodules if is_module(root, name)]
            if not any(is_module(root, name) for name in submodules):
                found.append((node.lineno, node.module))
    return found


def violations(root: Path = ROOT) -> list[str]:
    wrong = []
    for path in sorted([*root.glob("bot/**/*.py"), *root.glob("storage/**/*.py")]):
        name = path.relative_to(root)
        source = layer_of(module_name(root, path))
        assert source is not None, path
        for line, target in imports_of(root, path):
            layer = layer_of(target)
            if layer is None or layer == source:
                continue
            if source == "storage" and target in STORAGE_MAY_IMPORT:
                continue
            if layer not in ALLOWED[source] or (layer == "entry" and target != "bot"):
                wrong.append(f"{name}:{line} ({source}) imports {target} ({layer})")
    return wrong


def test_no_import_runs_back_up_the_layers() -> None:
    assert violations() == []


def test_an_import_that_runs_back_up_is_reported(tmp_path: Path) -> None:
    files = {
        "bot/__init__.py": "",
        "bot/handlers/__init__.py": "",
        "bot/handlers/menu.py": "from bot.flows.register import REGISTER\n",
        "bot/flows/__init__.py": "",
        "bot/flows/register.py": "def f() -> None:\n    from bot.handlers.menu import menu\n",
        "bot/core/__init__.py": "",
        "bot/core/scanning.py": "from bot.flows import register\n",
        "bot/core/dispatcher.py": "from bot.handlers.menu import main_menu\n",
        "storage/__init__.py": "",
        "storage/stamps.py": "from bot.labels.serials import normalize_serial\nimport bot.flows\n",
        "bot/labels/__init__.py": "",
        "bot/labels/serials.py": "from bot import runtime\n",
        "bot/runtime.py": "from bot.handlers import menu\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert violations(tmp_path) == [
        "bot/core/dispatcher.py:1 (dispatcher) imports bot.handlers.menu (handlers)",
        "bot/core/scanning.py:1 (core) imports bot.flows.register (flows)",
        "bot/flows/register.py:2 (flows) imports bot.handlers.menu (handlers)",
        "bot/labels/serials.py:1 (services) imports bot.runtime (entry)",
        "storage/stamps.py:2 (storage) imports bot.flows (flows)",
    ]
