"""Log lines as JSON objects, one a line (OCOP_LOG_FORMAT=json), for journald and log shippers.

Each line holds time (UTC, ISO 8601), level, logger, message, the
exception's text when there is one, and the reference id a user was shown
when an update failed. Secrets are masked before this formatter runs: the
SecretFilter that configure_logging puts on the same handler rewrites the
record first (message and exception text alike).
"""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        # Masked here too: this formatter must not be the one place a secret slips by.
        self.secrets = [secret for secret in secrets or [] if secret]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        reference = getattr(record, "reference", None)
        if reference is not None:
            entry["reference"] = str(reference)
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in entry.items():
            if isinstance(value, str) and any(secret in value for secret in self.secrets):
                for secret in self.secrets:
                    value = value.replace(secret, "***")
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)
