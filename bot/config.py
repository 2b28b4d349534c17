"""Typed settings: config.toml for every default, the environment on top.

Secrets (the bot token) are read from the environment only, never from a
file, and are kept out of `repr` so they cannot leak into logs.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.labels.sizes import DEFAULT_LABEL_SIZES, DEFAULT_SHEET_LAYOUTS, LabelSize, SheetLayout

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE = "https://api.telegram.org/file/bot"
ZALO_BOT_API = "https://bot-api.zaloplatforms.com/bot"
ZALO_OA_API = "https://openapi.zalo.me"
ZALO_OAUTH = "https://oauth.zaloapp.com"


@dataclass(frozen=True)
class Marketplace:
    """One e-commerce platform and what it asks of a listing."""

    id: str
    name: str
    min_photos: int = 3
    min_photo_side: int = 500
    title_min: int = 10
    title_max: int = 120
    needs_weight: bool = True
    needs_dimensions: bool = True
    food_safety: bool = True


@dataclass(frozen=True)
class MediaSettings:
    dir: Path
    max_photo_bytes: int = 10 * 1024 * 1024
    min_photo_side: int = 200
    max_photo_side: int = 10_000
    max_photo_pixels: int = 50_000_000
    max_photos_per_product: int = 10
    thumbnail_side: int = 320
    images_per_minute: int = 20  # photos one user may send (scans and uploads), per process
    decode_workers: int = 2  # photos decoded at once: memory ≤ this × one photo's pixels


@dataclass(frozen=True)
class Limits:
    max_text: int = 1000
    max_long_text: int = 3000
    max_price_vnd: int = 1_000_000_000
    max_csv_rows: int = 5000  # rows in one uploaded listings CSV


@dataclass(frozen=True)
class SendLimits:
    """A channel's sending limits ([telegram.limits]): one limiter per bot token applies them
    to interactive replies and the outbox together (see docs/outbox.md)."""

    rate_per_second: float = 30.0  # this process's sends with the token, all chats together
    per_chat_per_second: float = 1.0
    burst: int = 3
    max_text: int = 4096  # characters in one message; longer text is split
    max_caption: int = 1024  # characters under a photo; longer goes as a message of its own
    buttons: bool = True  # False: numbered menus and /back /skip /later /cancel instead


@dataclass(frozen=True)
class ZaloBotSettings:
    """[zalo_bot]: a bot made in Zalo Bot Creator (Zalo Bot Platform, docs/zalo.md)."""

    api_url: str = ZALO_BOT_API  # OCOP_ZALO_BOT_API_URL: the tests' loopback fake
    poll_timeout: int = 30
    limits: SendLimits = field(
        default_factory=lambda: SendLimits(max_text=2000, max_caption=0, buttons=False)
    )
    token: str | None = field(default=None, repr=False)  # OCOP_ZALO_BOT_TOKEN only
    # The bot's chat link (OCOP_ZALO_BOT_CHAT_URL): origin pages offer "Chat on Zalo".
    chat_url: str | None = None


@dataclass(frozen=True)
class ZaloOASettings:
    """[zalo_oa]: a Zalo Official Account, API v3 (docs/zalo.md)."""

    api_url: str = ZALO_OA_API  # OCOP_ZALO_OA_API_URL
    oauth_url: str = ZALO_OAUTH  # OCOP_ZALO_OAUTH_URL
    limits: SendLimits = field(default_factory=lambda: SendLimits(max_text=2000))
    app_id: str | None = None  # OCOP_ZALO_OA_APP_ID
    # Secrets: from the environment only.
    secret: str | None = field(default=None, repr=False)  # OCOP_ZALO_OA_SECRET
    refresh_token: str | None = field(default=None, repr=False)  # OCOP_ZALO_OA_REFRESH_TOKEN
    # The "OA Secret Key" of the app's Webhook page, which signs events
    # (OCOP_ZALO_OA_WEBHOOK_SECRET); unset, OCOP_ZALO_OA_SECRET is used.
    webhook_secret: str | None = field(default=None, repr=False)
    max_buttons: int = 5  # buttons Zalo shows under one message; more: a numbered menu
    button_title: int = 100  # characters of a button's title; longer: a numbered menu
    window_hours: float = 48.0  # Zalo's reply window after the user's last message…
    replies_per_window: int = 8  # …and the messages it allows (docs/zalo.md)
    event_max_age: float = 300.0  # seconds: an older (or as much newer) event is refused
    # The OA's chat link (OCOP_ZALO_OA_CHAT_URL, e.g. https://zalo.me/<OA id>): origin
    # pages offer "Chat on Zalo" (preferred to the bot's when both are set).
    chat_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.secret and self.refresh_token)

    @property
    def signing_secret(self) -> str | None:
        return self.webhook_secret or self.secret


@dataclass(frozen=True)
class LinkSettings:
    """[link]: the one-time codes that join a person's accounts on two channels (/link)."""

    code_minutes: int = 10  # a code works this long, once
    max_tries: int = 5  # wrong codes an account may type…
    lock_minutes: int = 15  # …within this long before it must wait


@dataclass(frozen=True)
class OutboxSettings:
    """[outbox]: how the delivery worker leases and retries messages (see docs/outbox.md)."""

    batch_size: int = 50  # rows leased at a time
    lease_seconds: float = 60.0  # longer than any Bot API call may take
    max_in_flight: int = 8  # sends awaiting the API at once
    progress_seconds: float = 2.0  # an officer's progress message is edited at most this often
    max_attempts: int = 5  # transient failures before a message counts as failed
    idle_seconds: float = 1.0  # how often an idle worker looks for due messages


@dataclass(frozen=True)
class InboxSettings:
    """[inbox]: how webhook workers lease stored updates (docs/operations.md)."""

    lease_seconds: float = 30.0  # an update's lease; a dead worker's updates wait this long
    concurrency: int = 16  # updates (of different chats) in hand at once, per process (keep it
    # below the database pool: 10 connections, 20 more when busy)
    poll_seconds: float = 0.2  # the longest an idle worker waits before looking again
    stop_grace: float = 10.0  # at SIGTERM, how long updates in hand may take to finish


@dataclass(frozen=True)
class LabelSettings:
    """[labels]: label sizes and sticker sheets on offer, stamp batches, the label font."""

    sizes: tuple[LabelSize, ...] = DEFAULT_LABEL_SIZES
    sheets: tuple[SheetLayout, ...] = DEFAULT_SHEET_LAYOUTS
    dpi: int = 300
    max_stamps: int = 10_000  # serial stamps in one batch
    # A TrueType font with Vietnamese glyphs; None: DejaVu Sans from the system.
    font_regular: Path | None = None
    font_bold: Path | None = None

    def size(self, size_id: str) -> LabelSize | None:
        return next((s for s in self.sizes if s.id == size_id), None)

    def sheet(self, sheet_id: str) -> SheetLayout | None:
        return next((s for s in self.sheets if s.id == sheet_id), None)


OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'


@dataclass(frozen=True)
class CatalogueSettings:
    """[catalogue]: the public catalogue, map and province overviews (docs/catalogue.md)."""

    page_size: int = 24  # product cards per catalogue page
    # Map tiles: a URL template with {z}/{x}/{y} (and {s} if the server wants it).
    map_tiles_url: str = OSM_TILES
    map_attribution: str = OSM_ATTRIBUTION  # HTML, from the operator's own config
    # Provinces (codes) whose public overview page an officer switched off.
    hidden_overviews: tuple[int, ...] = ()


def _catalogue_settings(raw: Mapping[str, Any], env: Mapping[str, str]) -> CatalogueSettings:
    return CatalogueSettings(
        page_size=int(raw.get("page_size", 24)),
        map_tiles_url=env.get("OCOP_MAP_TILES_URL") or raw.get("map_tiles_url", OSM_TILES),
        map_attribution=str(raw.get("map_attribution", OSM_ATTRIBUTION)),
        hidden_overviews=tuple(int(code) for code in raw.get("hidden_overviews", [])),
    )


def _label_settings(labels: Mapping[str, Any], base: Path) -> LabelSettings:
    def font(key: str) -> Path | None:
        value = str(labels.get(key) or "")
        return (base / value) if value else None

    defaults = LabelSettings()
    sizes = tuple(LabelSize(**size) for size in labels.get("sizes", ()))
    sheets = tuple(SheetLayout(**sheet) for sheet in labels.get("sheets", ()))
    return LabelSettings(
        sizes=sizes or defaults.sizes,
        sheets=sheets or defaults.sheets,
        dpi=int(labels.get("dpi", defaults.dpi)),
        max_stamps=int(labels.get("max_stamps", defaults.max_stamps)),
        font_regular=font("font_regular"),
        font_bold=font("font_bold"),
    )


@dataclass(frozen=True)
class ReminderSettings:
    """[reminders]: quiet hours, the weekly cap and the schedules (docs/reminders.md)."""

    quiet_start: dt.time = dt.time(21, 0)  # local time (the [bot] timezone)
    quiet_end: dt.time = dt.time(7, 0)
    weekly_cap: int = 3  # nudges (incomplete information, expiry) a producer gets in 7 days
    incomplete_days: tuple[int, ...] = (0, 1, 3, 7, 14)  # after the gap is first seen
    incomplete_grace_hours: int = 24  # a new profile or product is left alone this long
    expiry_days: tuple[int, ...] = (90, 30, 7, 0)  # before the certificate's expiry; 0: expired
    expiry_hour: int = 9  # local hour of the day expiry reminders are due
    training_hours: tuple[int, ...] = (24, 1)  # before a training starts
    interval_seconds: float = 30.0  # between scheduler passes
    sweep_minutes: float = 60.0  # between planners' looks for new gaps and expiring certificates
    batch_size: int = 1000  # jobs leased in one transaction


def _zalo_bot_settings(raw: Mapping[str, Any], env: Mapping[str, str]) -> ZaloBotSettings:
    limits = {"max_text": 2000, "max_caption": 0, "buttons": False, **raw.get("limits", {})}
    return ZaloBotSettings(
        api_url=env.get("OCOP_ZALO_BOT_API_URL", raw.get("api_url", ZALO_BOT_API)),
        poll_timeout=int(raw.get("poll_timeout", 30)),
        limits=SendLimits(**limits),
        token=env.get("OCOP_ZALO_BOT_TOKEN") or None,
        chat_url=env.get("OCOP_ZALO_BOT_CHAT_URL") or raw.get("chat_url") or None,
    )


def _zalo_oa_settings(raw: Mapping[str, Any], env: Mapping[str, str]) -> ZaloOASettings:
    return ZaloOASettings(
        api_url=env.get("OCOP_ZALO_OA_API_URL", raw.get("api_url", ZALO_OA_API)),
        oauth_url=env.get("OCOP_ZALO_OAUTH_URL", raw.get("oauth_url", ZALO_OAUTH)),
        limits=SendLimits(**{"max_text": 2000, **raw.get("limits", {})}),
        app_id=env.get("OCOP_ZALO_OA_APP_ID") or raw.get("app_id") or None,
        secret=env.get("OCOP_ZALO_OA_SECRET") or None,
        refresh_token=env.get("OCOP_ZALO_OA_REFRESH_TOKEN") or None,
        webhook_secret=env.get("OCOP_ZALO_OA_WEBHOOK_SECRET") or None,
        max_buttons=int(raw.get("max_buttons", 5)),
        button_title=int(raw.get("button_title", 100)),
        window_hours=float(raw.get("window_hours", 48)),
        replies_per_window=int(raw.get("replies_per_window", 8)),
        event_max_age=float(raw.get("event_max_age", 300)),
        chat_url=env.get("OCOP_ZALO_OA_CHAT_URL") or raw.get("chat_url") or None,
    )


def _reminder_settings(raw: Mapping[str, Any]) -> ReminderSettings:
    values = dict(raw)
    for key in ("quiet_start", "quiet_end"):
        if key in values:
            values[key] = dt.time.fromisoformat(str(values[key]))
    for key in ("incomplete_days", "expiry_days", "training_hours"):
        if key in values:
            values[key] = tuple(int(item) for item in values[key])
    return ReminderSettings(**values)


@dataclass(frozen=True)
class Settings:
    database_url: str
    media: MediaSettings
    limits: Limits
    marketplaces: tuple[Marketplace, ...]
    default_language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"
    log_format: str = "text"  # text | json (one JSON object per line)
    telegram_api_url: str = TELEGRAM_API
    telegram_file_url: str = TELEGRAM_FILE
    telegram_poll_timeout: int = 30
    telegram_concurrent_updates: int = 64
    # Updates whose transaction runs at once, per process ([database]
    # concurrent_transactions): the rest wait their turn before their transaction
    # (not while fetching files or sending), so the CPU is not spent switching.
    database_concurrent_transactions: int = 8
    telegram_bot_username: str = "ocop_assistant_bot"
    telegram_limits: SendLimits = field(default_factory=SendLimits)
    zalo_bot: ZaloBotSettings = field(default_factory=ZaloBotSettings)
    zalo_oa: ZaloOASettings = field(default_factory=ZaloOASettings)
    # Platforms POST updates to <public_url>/webhook/<channel> instead of long polling
    # ([bot] webhook, `ocop-bot run --webhook`).
    webhook: bool = False
    # Secret: OCOP_WEBHOOK_SECRET, sent by the platform with every update; unset, each
    # start draws a random one and registers it.
    webhook_secret: str | None = field(default=None, repr=False)
    public_url: str = "http://127.0.0.1:8080"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # Behind a reverse proxy: the client is the last X-Forwarded-For address
    # (for the per-address limit on stamp checks; addresses are never stored).
    web_trust_forwarded: bool = False
    # Stamp checks per minute from one address ([web] stamp_checks_per_minute).
    stamp_checks_per_minute: int = 30
    # Admins: Telegram user ids, or "channel:id" for other channels ("console:local").
    admins: tuple[str, ...] = ()
    # Secret: from OCOP_TELEGRAM_TOKEN only; repr=False keeps it out of logs.
    telegram_token: str | None = field(default=None, repr=False)
    # Secret: OCOP_CHECK_SECRET keys the hashes that recognise a repeated stamp
    # check (docs/security.md); unset, each process draws its own at start.
    check_secret: str | None = field(default=None, repr=False)
    # Secret: from OCOP_METRICS_TOKEN only; unset, /metrics answers 404.
    metrics_token: str | None = field(default=None, repr=False)
    # Secret: OCOP_FILE_LINK_SECRET signs the expiring links to labels, charts and PDFs
    # (bot/core/file_links.py); unset, each process draws its own, so give the bot and
    # the web app the same one when they run as two processes.
    file_link_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    # Hours a file link works ([web] file_link_hours).
    file_link_hours: float = 72.0
    # Hours an officer invite code stays valid ([roles] invite_hours).
    invite_hours: int = 72
    # Outbox delivery ([outbox]).
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    # Webhook updates stored and leased by workers ([inbox]).
    inbox: InboxSettings = field(default_factory=InboxSettings)
    # QR labels and serial stamps ([labels]).
    labels: LabelSettings = field(default_factory=LabelSettings)
    # The reminder scheduler ([reminders]).
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    # The public catalogue and map ([catalogue]).
    catalogue: CatalogueSettings = field(default_factory=CatalogueSettings)
    # Linking a person's accounts on two channels ([link]).
    link: LinkSettings = field(default_factory=LinkSettings)

    def is_admin(self, channel: str, external_id: str) -> bool:
        return f"{channel}:{external_id}" in self.admins or (
            channel == "telegram" and external_id in self.admins
        )

    def send_limits(self, channel: str) -> SendLimits:
        """The sending limits of `channel` (each channel's own config.toml section)."""
        by_channel = {
            "telegram": self.telegram_limits,
            "zalo_bot": self.zalo_bot.limits,
            "zalo_oa": self.zalo_oa.limits,
        }
        return by_channel.get(channel, SendLimits())

    def zalo_chat_url(self) -> str | None:
        """Where "Chat on Zalo" leads: the Official Account, else the bot; None: not offered."""
        return self.zalo_oa.chat_url or self.zalo_bot.chat_url

    def marketplace(self, marketplace_id: str) -> Marketplace | None:
        return next((m for m in self.marketplaces if m.id == marketplace_id), None)


def _flag(value: object) -> bool:
    """A TOML boolean, or an environment string such as "1", "true", "yes"."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _resolve_sqlite_path(url: str, base: Path) -> str:
    """Makes a relative SQLite path relative to the config file, not the cwd."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(base / url.removeprefix(prefix))
    return url


def _at_least_one(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


LOG_FORMATS = ("text", "json")


def _log_format(value: str) -> str:
    value = value.strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"OCOP_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return value


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Reads config.toml (OCOP_CONFIG or the project's own) and applies the environment."""
    env = os.environ if environ is None else environ
    config_path = path or Path(env.get("OCOP_CONFIG", PROJECT_ROOT / "config.toml"))
    raw: dict[str, Any] = tomllib.loads(config_path.read_text(encoding="utf-8"))
    base = config_path.resolve().parent

    bot = raw.get("bot", {})
    telegram = raw.get("telegram", {})
    web = raw.get("web", {})
    media = dict(raw.get("media", {}))
    media_dir = Path(env.get("OCOP_MEDIA_DIR", media.pop("dir", "data/media")))
    media.pop("dir", None)
    if not media_dir.is_absolute():
        media_dir = base / media_dir
    database_url = env.get("OCOP_DATABASE_URL") or raw.get("database", {}).get(
        "url", "sqlite+aiosqlite:///data/ocop.db"
    )
    language = env.get("OCOP_DEFAULT_LANGUAGE", bot.get("default_language", "vi"))
    admins = [str(a) for a in raw.get("roles", {}).get("admins", [])]
    admins += [a.strip() for a in env.get("OCOP_ADMINS", "").split(",") if a.strip()]
    return Settings(
        database_url=_resolve_sqlite_path(database_url, base),
        media=MediaSettings(dir=media_dir, **media),
        limits=Limits(**raw.get("limits", {})),
        marketplaces=tuple(Marketplace(**m) for m in raw.get("marketplaces", [])),
        default_language=language,
        timezone=bot.get("timezone", "Asia/Ho_Chi_Minh"),
        log_level=env.get("OCOP_LOG_LEVEL", bot.get("log_level", "INFO")),
        log_format=_log_format(env.get("OCOP_LOG_FORMAT", bot.get("log_format", "text"))),
        telegram_api_url=env.get("OCOP_TELEGRAM_API_URL", telegram.get("api_url", TELEGRAM_API)),
        telegram_file_url=env.get(
            "OCOP_TELEGRAM_FILE_URL", telegram.get("file_url", TELEGRAM_FILE)
        ),
        telegram_poll_timeout=int(telegram.get("poll_timeout", 30)),
        telegram_concurrent_updates=int(telegram.get("concurrent_updates", 64)),
        database_concurrent_transactions=_at_least_one(
            raw.get("database", {}).get("concurrent_transactions", 8),
            "[database] concurrent_transactions",
        ),
        telegram_bot_username=env.get(
            "OCOP_BOT_USERNAME", telegram.get("bot_username", "ocop_assistant_bot")
        ),
        telegram_limits=SendLimits(**telegram.get("limits", {})),
        zalo_bot=_zalo_bot_settings(raw.get("zalo_bot", {}), env),
        zalo_oa=_zalo_oa_settings(raw.get("zalo_oa", {}), env),
        webhook=_flag(env.get("OCOP_WEBHOOK", bot.get("webhook", False))),
        webhook_secret=env.get("OCOP_WEBHOOK_SECRET") or None,
        public_url=env.get(
            "OCOP_PUBLIC_URL", web.get("public_url", "http://127.0.0.1:8080")
        ).rstrip("/"),
        web_host=env.get("OCOP_WEB_HOST", web.get("host", "127.0.0.1")),
        web_port=int(env.get("OCOP_WEB_PORT", web.get("port", 8080))),
        web_trust_forwarded=_flag(
            env.get("OCOP_WEB_TRUST_FORWARDED", web.get("trust_forwarded", False))
        ),
        stamp_checks_per_minute=int(web.get("stamp_checks_per_minute", 30)),
        admins=tuple(admins),
        telegram_token=env.get("OCOP_TELEGRAM_TOKEN") or None,
        check_secret=env.get("OCOP_CHECK_SECRET") or None,
        metrics_token=env.get("OCOP_METRICS_TOKEN") or None,
        file_link_secret=env.get("OCOP_FILE_LINK_SECRET") or secrets.token_hex(32),
        file_link_hours=float(web.get("file_link_hours", 72)),
        invite_hours=int(raw.get("roles", {}).get("invite_hours", 72)),
        outbox=OutboxSettings(**raw.get("outbox", {})),
        inbox=InboxSettings(**raw.get("inbox", {})),
        labels=_label_settings(raw.get("labels", {}), base),
        reminders=_reminder_settings(raw.get("reminders", {})),
        catalogue=_catalogue_settings(raw.get("catalogue", {}), env),
        link=LinkSettings(**raw.get("link", {})),
    )
