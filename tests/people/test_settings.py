"""The keys of linking, Zalo chat links and each channel's own sending limits."""

from __future__ import annotations

from pathlib import Path

from bot.config import load_settings

CONFIG = """
[telegram.limits]
rate_per_second = 25

[zalo_bot]
chat_url = "https://zalo.me/bot-from-file"

[zalo_bot.limits]
rate_per_second = 8
per_chat_per_second = 0.5

[zalo_oa.limits]
rate_per_second = 4

[link]
code_minutes = 5
max_tries = 3
lock_minutes = 30
"""


def test_project_defaults() -> None:
    settings = load_settings(environ={})
    assert (settings.link.code_minutes, settings.link.max_tries, settings.link.lock_minutes) == (
        10,
        5,
        15,
    )
    assert settings.zalo_chat_url() is None  # no "Chat on Zalo" until a link is configured


def test_each_channel_has_its_own_limits_and_zalo_links_come_from_file_or_environment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert settings.send_limits("telegram").rate_per_second == 25
    assert settings.send_limits("zalo_bot").rate_per_second == 8
    assert settings.send_limits("zalo_bot").per_chat_per_second == 0.5
    assert settings.send_limits("zalo_bot").buttons is False  # the platform has none
    assert settings.send_limits("zalo_oa").rate_per_second == 4
    assert settings.link.code_minutes == 5 and settings.link.lock_minutes == 30
    assert settings.zalo_chat_url() == "https://zalo.me/bot-from-file"

    oa = load_settings(path, environ={"OCOP_ZALO_OA_CHAT_URL": "https://zalo.me/1234"})
    assert oa.zalo_chat_url() == "https://zalo.me/1234"  # the OA's link first
