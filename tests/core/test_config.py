"""Settings: config.toml for defaults, the environment on top, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, load_settings

TOKEN = "123456:AAH-secret-token-value"


def test_defaults_from_the_project_config() -> None:
    settings = load_settings(environ={})
    assert settings.default_language == "vi"
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_url == "https://api.telegram.org/file/bot"
    assert settings.media.dir == PROJECT_ROOT / "data" / "media"
    assert settings.media.max_photo_bytes == 10_485_760
    assert settings.media.thumbnail_side == 320
    assert settings.limits.max_price_vnd == 1_000_000_000
    assert settings.telegram_token is None
    assert settings.database_concurrent_transactions == 8


@pytest.mark.parametrize("value", ["0", "-2", '"many"', "2.5", "true"])
def test_a_transaction_limit_that_is_no_whole_number_says_so(tmp_path: Path, value: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[database]\nconcurrent_transactions = {value}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[database\] concurrent_transactions must be a whole"):
        load_settings(config, environ={})


def test_environment_overrides(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "OCOP_DATABASE_URL": "postgresql+asyncpg://ocop@db.example/ocop",
            "OCOP_MEDIA_DIR": str(tmp_path / "photos"),
            "OCOP_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "OCOP_TELEGRAM_FILE_URL": "http://127.0.0.1:8081/file/bot",
            "OCOP_DEFAULT_LANGUAGE": "en",
        }
    )
    assert settings.database_url == "postgresql+asyncpg://ocop@db.example/ocop"
    assert settings.media.dir == tmp_path / "photos"
    assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.default_language == "en"


def test_token_only_from_the_environment_and_never_in_repr(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\ntoken = "{TOKEN}"\n', encoding="utf-8")
    assert load_settings(config, environ={}).telegram_token is None
    settings = load_settings(environ={"OCOP_TELEGRAM_TOKEN": TOKEN})
    assert settings.telegram_token == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "AAH-secret" not in f"{settings!r} {settings}"


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "deploy"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(
        '[database]\nurl = "sqlite+aiosqlite:///data/ocop.db"\n[media]\ndir = "pics"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={})
    assert settings.database_url == f"sqlite+aiosqlite:///{folder / 'data' / 'ocop.db'}"
    assert settings.media.dir == folder / "pics"


def test_absolute_and_memory_sqlite_urls_are_kept(tmp_path: Path) -> None:
    absolute = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert load_settings(environ={"OCOP_DATABASE_URL": absolute}).database_url == absolute
    memory = "sqlite+aiosqlite:///:memory:"
    assert load_settings(environ={"OCOP_DATABASE_URL": memory}).database_url == memory


def test_ocop_config_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('[bot]\ndefault_language = "en"\n', encoding="utf-8")
    settings = load_settings(environ={"OCOP_CONFIG": str(config)})
    assert settings.default_language == "en"
    # a minimal file still gets working Telegram endpoints and media limits
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.telegram_file_url == "https://api.telegram.org/file/bot"
    assert settings.media.max_photo_bytes == 10 * 1024 * 1024
    assert settings.marketplaces == ()


def test_marketplaces_loaded_from_config_toml() -> None:
    settings = load_settings(environ={})
    assert [m.id for m in settings.marketplaces] == [
        "postmart",
        "voso",
        "shopee",
        "lazada",
        "provincial",
    ]
    lazada = settings.marketplace("lazada")
    assert lazada is not None
    assert (lazada.min_photo_side, lazada.title_max) == (330, 255)
    provincial = settings.marketplace("provincial")
    assert provincial is not None
    assert provincial.name == "Sàn TMĐT tỉnh"
    assert (provincial.min_photos, provincial.needs_weight, provincial.needs_dimensions) == (
        1,
        False,
        False,
    )
    assert settings.marketplace("tiki") is None
