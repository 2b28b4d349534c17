"""The libraries whose internals storage/sqlite_driver.py uses run at exactly their pins.

An upgrade of SQLAlchemy or aiosqlite may change what the driver leans on,
so pyproject.toml pins both exactly and this test fails when the installed
version is another: CI's lowest and highest allowed versions are the pin.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement

from bot.config import PROJECT_ROOT

PINNED = ("sqlalchemy", "aiosqlite")


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = (Requirement(line) for line in project["project"]["dependencies"])
    return {requirement.name.lower(): requirement for requirement in requirements}


@pytest.mark.parametrize("name", PINNED)
def test_the_drivers_libraries_are_pinned_exactly_and_installed_at_the_pin(name: str) -> None:
    requirement = _requirements()[name]
    (specifier,) = requirement.specifier
    assert specifier.operator == "==", f"{name} must be pinned exactly: {requirement}"
    assert version(name) == specifier.version, (
        f"{name} {version(name)} is installed but {specifier.version} is pinned: "
        "check storage/sqlite_driver.py against the new version, then move the pin"
    )
