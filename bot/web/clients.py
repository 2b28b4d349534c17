"""Who is asking for a page: a person's browser, or a machine (a link preview, a crawler).

Only a person opening a stamp page counts as a check of the stamp: chat
apps fetch a shared link to draw its preview, search engines crawl it, and
scripts fetch it, and none of that is a buyer checking a product.

`is_person` is conservative: a request counts only if it carries a
browser's signs (a "Mozilla/" User-Agent, an Accept header asking for
text/html and an Accept-Language header, which every browser sends when it
opens a page and preview fetchers mostly do not), names no known preview or
crawler agent, and is not a browser's own prefetch. Anything in doubt does not count: the page then
says how to check instead of giving a verdict, which costs a real buyer
one tap, while counting a machine would make a genuine stamp look copied.

Only the coarse class ("mobile", "desktop", "bot", "other") is stored with
a scan, never the User-Agent itself or the IP address.
"""

from __future__ import annotations

from collections.abc import Mapping

# Agents that fetch a link to draw its preview, or crawl it, as lower-case
# substrings of their User-Agent. "bot" alone covers TelegramBot, Slackbot,
# Discordbot, Twitterbot, LinkedInBot, Googlebot, bingbot, Applebot,
# YandexBot, DuckDuckBot, redditbot, Pinterestbot and many more.
PREVIEW_AND_CRAWLER_MARKERS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",  # SkypeUriPreview, Google Web Preview, Quora Link Preview
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp",
    "viber",
    "slack",  # Slackbot-LinkExpanding, Slack-ImgProxy
    "discord",
    "skype",
    "snapchat",
    "embedly",
    "iframely",
    "vkshare",
    "google-inspectiontool",
    "mediapartners-google",
    "feedfetcher",
    "lighthouse",
    "headless",  # HeadlessChrome: automated browsers
    "phantomjs",
    "python",
    "curl",
    "wget",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww",
    "httpclient",
    "axios",
    "node-fetch",
    "undici",
    "scrapy",
)
# Zalo's link-preview fetcher ("Mozilla/5.0 (compatible; Zalo/1.0)"), as
# opposed to Zalo's in-app browser, which a person scanning a QR with Zalo
# uses and which says "AppleWebKit" like any phone browser.
_ZALO = "zalo"
# Phone models whose names hold a marker: "CUBOT X30" is a phone, not a bot.
_NOT_MARKERS = ("cubot",)
_WEB_ENGINE = "applewebkit"
_PREFETCH_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
_MOBILE_MARKERS = ("mobile", "android", "iphone", "ipad", "ipod", "opera mini")
_DESKTOP_MARKERS = ("windows", "macintosh", "x11", "linux", "cros")


def is_machine(user_agent: str | None) -> bool:
    """A link-preview fetcher, crawler or script, known by its User-Agent."""
    agent = (user_agent or "").lower()
    for name in _NOT_MARKERS:
        agent = agent.replace(name, "")
    if any(marker in agent for marker in PREVIEW_AND_CRAWLER_MARKERS):
        return True
    return _ZALO in agent and _WEB_ENGINE not in agent


def is_person(method: str, headers: Mapping[str, str]) -> bool:
    """A person's browser opening the page: the only request that counts as a check."""
    if method != "GET":
        return False  # HEAD: a link checker
    agent = headers.get("User-Agent", "")
    if not agent.startswith("Mozilla/") or is_machine(agent):
        return False
    if "text/html" not in headers.get("Accept", "") or not headers.get("Accept-Language"):
        return False
    # A browser fetching ahead of a click ("Sec-Purpose: prefetch") is not a look.
    return not any("prefetch" in headers.get(name, "").lower() for name in _PREFETCH_HEADERS)


def client_class(user_agent: str | None) -> str:
    agent = (user_agent or "").lower()
    if not agent:
        return "other"
    if is_machine(agent):
        return "bot"
    if any(marker in agent for marker in _MOBILE_MARKERS):
        return "mobile"
    if any(marker in agent for marker in _DESKTOP_MARKERS):
        return "desktop"
    return "other"
