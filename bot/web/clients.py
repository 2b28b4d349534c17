"""Coarse client classes from a User-Agent: all a scan record keeps of who asked.

Only the class is stored ("mobile", "desktop", "bot", "other"), never the
User-Agent itself or the IP address, so a scan holds no personal data.
"""

from __future__ import annotations

# Apps that fetch a link to draw its preview when someone shares it in a chat.
LINK_PREVIEW_MARKERS = ("telegrambot", "facebookexternalhit", "zalo")
_BOT_MARKERS = ("bot", "crawl", "spider", "slurp", "preview", "curl", "wget", "python", "http")
_MOBILE_MARKERS = ("mobile", "android", "iphone", "ipad", "ipod", "opera mini")
_DESKTOP_MARKERS = ("windows", "macintosh", "x11", "linux", "cros")


def is_link_preview(user_agent: str | None) -> bool:
    agent = (user_agent or "").lower()
    return any(marker in agent for marker in LINK_PREVIEW_MARKERS)


def client_class(user_agent: str | None) -> str:
    agent = (user_agent or "").lower()
    if not agent:
        return "other"
    if is_link_preview(agent) or any(marker in agent for marker in _BOT_MARKERS):
        return "bot"
    if any(marker in agent for marker in _MOBILE_MARKERS):
        return "mobile"
    if any(marker in agent for marker in _DESKTOP_MARKERS):
        return "desktop"
    return "other"
