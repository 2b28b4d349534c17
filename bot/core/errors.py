"""The one error type users see: input that does not fit, named by a message key."""

from __future__ import annotations


class Invalid(Exception):
    """Input that does not fit: `key` is the catalog message, `params` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
