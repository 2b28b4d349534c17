"""The vi and en catalogs: complete, matching, and holding every key the code uses."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import load_settings
from bot.core import ocop
from bot.core.product_fields import PRODUCT_FIELDS, Page, Shape
from bot.core.readiness import checklist
from bot.flows.product import UNITS
from bot.handlers import products, profile
from bot.handlers.routes import Router
from bot.i18n import LANGUAGES
from bot.i18n.translator import Catalogs, load_catalog
from storage.models import Product

BOT_DIR = Path(__file__).resolve().parents[2] / "bot"
# As `make i18n` extracts them: t(), N_(), Invalid(), a Step's prompt, a Check's key.
KEYWORDS = {"t": None, "N_": None, "Invalid": None, "Step": (2,), "Check": (1,)}


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, str]]:
    return {language: load_catalog(language) for language in LANGUAGES}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def extracted_keys() -> set[str]:
    found = extract_from_dir(str(BOT_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


def dynamic_keys() -> set[str]:
    """Keys the code builds at run time, which no extractor can see."""
    settings = load_settings(environ={})
    keys: set[str] = set()
    for group, subgroups in ocop.GROUPS.items():
        keys.add(ocop.group_key(group))
        keys.update(ocop.subgroup_key(subgroup) for subgroup in subgroups)
    keys.update(ocop.kind_key(kind) for kind in ocop.ENTITY_KINDS)
    keys.update(ocop.cert_key(cert) for cert in ocop.CERTIFICATIONS)
    keys.update(ocop.listing_key(status) for status in ocop.LISTING_STATUSES)
    for flow in Router(settings).flows.values():
        keys.add(flow.title)
        keys.update(step.prompt for step in flow.steps)
    keys.update(label for _step, label in products.EDITABLE)
    keys.update(label for _step, label in profile.EDITABLE)
    empty = Product(name="", group="food", subgroup="tea")
    for marketplace in settings.marketplaces:
        keys.update(check.key for check in checklist(empty, marketplace))
    keys.update(UNITS)
    for field in PRODUCT_FIELDS:  # the keys a described field's name makes
        if field.card and field.shape != Shape.CERTIFICATIONS:
            keys.add(field.card_key)
        if field.page == Page.DETAILS and field.shape != Shape.CERTIFICATIONS:
            keys.add(field.page_key)
        if field.needed is not None:
            keys.add(field.missing_key)
    keys.update({"period.days", "period.months", "period.years"})
    return keys


def test_languages() -> None:
    assert LANGUAGES == ("vi", "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    path = BOT_DIR / "i18n" / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    untranslated = sorted(
        str(message.id)
        for message in catalog
        if message.id and (not str(message.string).strip() or message.fuzzy)
    )
    assert untranslated == []


def test_both_languages_have_the_same_keys(catalogs: dict[str, dict[str, str]]) -> None:
    vi, en = set(catalogs["vi"]), set(catalogs["en"])
    assert sorted(vi - en) == [], "only in vi"
    assert sorted(en - vi) == [], "only in en"


def test_placeholders_match_across_languages(catalogs: dict[str, dict[str, str]]) -> None:
    different = {
        key: (placeholders(text), placeholders(catalogs["en"].get(key, "")))
        for key, text in catalogs["vi"].items()
        if placeholders(text) != placeholders(catalogs["en"].get(key, ""))
    }
    assert different == {}


def test_extractor_finds_the_keys() -> None:
    keys = extracted_keys()
    # sanity: the extractor sees calls through ctx.t, t and Invalid alike
    assert {"stale", "flow.not_optional", "invalid.phone", "photo.not_image"} <= keys
    assert len(keys) > 100


def test_every_key_the_code_uses_exists(catalogs: dict[str, dict[str, str]]) -> None:
    # BUG (bot/flows/engine.py, _read): `Invalid("flow.expected_text" if ... else
    # "flow.use_buttons")` is extracted as one msgid "flow.expected_textflow.use_buttons",
    # so `pybabel update` would drop "flow.expected_text" from the catalogs as obsolete.
    used = extracted_keys() | dynamic_keys()
    for language in LANGUAGES:
        assert sorted(used - set(catalogs[language])) == [], language


def test_dynamic_keys_cover_every_check_and_step() -> None:
    keys = dynamic_keys()
    assert "check.food_safety" in keys  # an empty food product fails every check
    assert {"product.ask_name", "register.ask_ward", "product.ask_cert_details"} <= keys
    assert "group.tourism" in keys and "subgroup.tourism_services" in keys
    assert {"card.gtin", "web.net", "missing.dimensions"} <= keys


def test_vietnamese_text_has_its_diacritics(catalogs: dict[str, dict[str, str]]) -> None:
    vi = catalogs["vi"]
    assert vi["button.cancel"] == "✖️ Hủy"
    assert vi["period.months"] == "{count} tháng"
    assert vi["group.food"] != catalogs["en"]["group.food"]
    marks = set("ăâđêôơưáàảãạéèẻẽẹíìỉĩịóòỏõọúùủũụýỳỷỹỵ")
    plain = sorted(
        key
        for key, text in vi.items()
        if len(text) > 25 and not marks & set(text.lower()) and "{" not in text
    )
    assert plain == [], "long Vietnamese messages written without accents"


def test_translations_are_really_translated(catalogs: dict[str, dict[str, str]]) -> None:
    def words(text: str) -> int:  # letters outside the {placeholders}
        literal = "".join(part for part, _, _, _ in string.Formatter().parse(text))
        return sum(ch.isalpha() for ch in literal)

    same = sorted(
        key
        for key, text in catalogs["vi"].items()
        if text == catalogs["en"][key] and words(text) > 12
    )
    assert same == []


@pytest.mark.parametrize(
    ("language", "live", "expected"),
    [
        ("vi", 0, "✅ Chè — mã ABC234 — chưa bán trên sàn nào"),
        ("vi", 2, "✅ Chè — mã ABC234 — đang bán trên 2 sàn"),
        ("en", 0, "✅ Chè — code ABC234 — not live on any marketplace yet"),
        ("en", 1, "✅ Chè — code ABC234 — live on 1 marketplace"),
        ("en", 3, "✅ Chè — code ABC234 — live on 3 marketplaces"),
    ],
)
def test_product_line_counts_marketplaces(language: str, live: int, expected: str) -> None:
    """/products says "not live anywhere yet" rather than "live on 0", and English
    counts in the singular for one."""
    t = Catalogs().translator(language)
    assert products.product_line(t, "✅", "Chè", "ABC234", live) == expected
