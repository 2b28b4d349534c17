"""[labels] in config.toml: sizes, sheets and limits reach the settings."""

from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT, LabelSettings, load_settings
from bot.labels.sizes import DEFAULT_LABEL_SIZES, DEFAULT_SHEET_LAYOUTS


def test_project_config_offers_the_default_sizes_and_sheets() -> None:
    labels = load_settings(environ={}).labels
    assert [s.id for s in labels.sizes] == ["40x30", "50x50"]
    assert [s.id for s in labels.sheets] == ["3x8", "4x10"]
    assert labels.dpi == 300
    assert labels.max_stamps == 10_000
    assert labels.font_regular is None
    for configured, default in zip(labels.sheets, DEFAULT_SHEET_LAYOUTS, strict=True):
        assert configured.per_page == default.per_page
        assert abs(configured.label_width_mm - default.label_width_mm) < 1e-9
        assert abs(configured.label_height_mm - default.label_height_mm) < 1e-9


def test_sizes_and_sheets_can_be_changed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        (PROJECT_ROOT / "config.toml")
        .read_text(encoding="utf-8")
        .replace(
            'id = "50x50"\nwidth_mm = 50\nheight_mm = 50',
            'id = "60x40"\nwidth_mm = 60\nheight_mm = 40',
        )
        .replace('font_regular = ""', 'font_regular = "fonts/Label.ttf"'),
        encoding="utf-8",
    )
    labels = load_settings(config, environ={}).labels
    size = labels.size("60x40")
    assert size is not None and (size.width_mm, size.height_mm) == (60, 40)
    assert labels.size("50x50") is None
    assert labels.sheet("4x10") is not None
    assert labels.font_regular == tmp_path / "fonts" / "Label.ttf"


def test_missing_section_falls_back_to_defaults(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[bot]\n", encoding="utf-8")
    labels = load_settings(config, environ={}).labels
    assert labels == LabelSettings()
    assert labels.sizes == DEFAULT_LABEL_SIZES
