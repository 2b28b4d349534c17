"""Secrets never reach the logs, even inside a traceback."""

from __future__ import annotations

import io
import logging

from bot.runtime import SecretFilter

TOKEN = "123456:SECRET-token-value"


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(SecretFilter([TOKEN]))
    logger = logging.getLogger(f"test-secret-{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_token_is_masked_in_messages_and_arguments() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    logger.info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
    logger.warning(f"failed for {TOKEN}")
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count("***") == 2
    assert "https://api.telegram.org/bot***/getMe" in output


def test_token_is_masked_in_tracebacks() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    try:
        raise RuntimeError(f"connect to /bot{TOKEN}/getUpdates failed")
    except RuntimeError:
        logger.exception("polling failed")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "RuntimeError: connect to /bot***/getUpdates failed" in output
