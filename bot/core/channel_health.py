"""Whether each chat channel this process runs is connected: what /readyz reports.

The start-up code writes it (the token was accepted, or why not), the web
app reads it; neither imports the other. Reasons are short fixed phrases,
never an error's text, so no token or address can reach a reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STARTING = "starting"
READY = "ok"
TOKEN_REJECTED = "token rejected"
UNREACHABLE = "platform not reachable"


@dataclass
class ChannelHealth:
    """Each expected channel's state: STARTING, READY or the reason it is not ready."""

    states: dict[str, str] = field(default_factory=dict)

    def expect(self, channel: str) -> None:
        self.states[channel] = STARTING

    def ready(self, channel: str) -> None:
        self.states[channel] = READY

    def failed(self, channel: str, reason: str) -> None:
        self.states[channel] = reason

    def not_ready(self) -> dict[str, str]:
        return {name: state for name, state in self.states.items() if state != READY}
