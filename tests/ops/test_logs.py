"""OCOP_LOG_FORMAT=json: one JSON object per line, the token masked there too.

Run in a child process: configure_logging sets up the root logger, which
pytest's own log capture holds in this one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.config import PROJECT_ROOT, load_settings

TOKEN = "123456:AAHsecretSECRETsecret"

SCRIPT = f"""
import logging
from bot.runtime import configure_logging

configure_logging("INFO", ["{TOKEN}"], "json")
log = logging.getLogger("ocop.test")
log.info("polling https://api.telegram.org/bot%s/getUpdates", "{TOKEN}")
try:
    raise ValueError("bad token {TOKEN}")
except ValueError:
    log.exception("update failed, reference %s", "AB12CD34", extra={{"reference": "AB12CD34"}})
try:
    raise KeyError("no secret here")
except KeyError:
    log.exception("plain failure")
log.warning("Xin chào anh/chị")
"""


def run(code: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # each line alone is one JSON object


def test_json_lines_with_the_secret_masked() -> None:
    entries = run(SCRIPT)
    assert [entry["level"] for entry in entries] == ["INFO", "ERROR", "ERROR", "WARNING"]
    assert all(TOKEN not in json.dumps(entry) for entry in entries)
    polling, failed, plain, greeting = entries
    assert polling["logger"] == "ocop.test"
    assert polling["message"] == "polling https://api.telegram.org/bot***/getUpdates"
    assert polling["time"].endswith("+00:00")
    assert failed["reference"] == "AB12CD34"
    assert "ValueError" in failed.get("exception", "") + failed["message"]
    assert "bad token ***" in failed.get("exception", "") + failed["message"]
    assert plain["message"] == "plain failure"
    assert "KeyError: 'no secret here'" in plain["exception"]
    assert "reference" not in plain
    assert greeting["message"] == "Xin chào anh/chị"


def test_the_cli_reads_ocop_log_format(tmp_path: Path) -> None:
    entries = run(
        "from bot.cli import main; main(['migrate'])",
        {
            "OCOP_LOG_FORMAT": "json",
            "OCOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'ocop.db'}",
            "OCOP_TELEGRAM_TOKEN": TOKEN,
        },
    )
    assert entries and all(entry["logger"].startswith("alembic") for entry in entries)
    assert any("Running upgrade" in entry["message"] for entry in entries)


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="OCOP_LOG_FORMAT must be one of text, json"):
        load_settings(environ={"OCOP_LOG_FORMAT": "xml"})
    assert load_settings(environ={"OCOP_LOG_FORMAT": "JSON"}).log_format == "json"
    assert load_settings(environ={}).log_format == "text"
