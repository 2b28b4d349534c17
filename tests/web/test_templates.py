"""The per-language compiled templates print exactly what the plain templates print."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.core import formatting
from bot.i18n import Catalogs
from bot.web.facts import (
    CertificationFacts,
    ListingFacts,
    PhotoFacts,
    ProducerFacts,
    ProductFacts,
    details,
)
from bot.web.templates import STYLE, Templates

FACTS = ProductFacts(
    code="7K3M9P",
    url="https://ocop.example/p/7K3M9P",
    chat_url="https://t.me/ocop_assistant_bot?start=p_7K3M9P",
    name='Chè <búp> & "Tân Cương"',
    group="food",
    subgroup="tea",
    stars=1,
    cert_number="1234/QĐ-UBND",
    cert_date=dt.date(2022, 3, 15),
    cert_expiry=dt.date(2025, 3, 15),
    cert_expired=True,
    reviewed=False,
    description="Chè búp {{ một tôm }} hai lá.",
    story="Ba thế hệ.",
    price_vnd=125_000,
    unit="hộp",
    gtin="8930000000019",
    digital_link="https://ocop.example/01/08930000000019",
    photos=(
        PhotoFacts("https://ocop.example/media/a.jpg", "https://ocop.example/t/a.jpg", 800, 600),
        PhotoFacts("https://ocop.example/media/b.jpg", "https://ocop.example/t/b.jpg", 600, 800),
    ),
    certifications=(
        CertificationFacts("vietgap", "VG-001", dt.date(2027, 1, 1), False),
        CertificationFacts("haccp", "H-9", None, False),
    ),
    listings=(
        ListingFacts("shopee", "Shopee", "https://shopee.vn/x?a=1&b=2"),
        ListingFacts("voso", "Voso", None),
    ),
    producer=ProducerFacts(
        name="HTX <Xanh>",
        kind="cooperative",
        province="Thái Nguyên",
        ward="Xã Tân Cương",
        address="Xóm 2",
        phone="+84912345678",
        latitude=21.5,
        longitude=105.7,
        map_url="https://www.openstreetmap.org/?mlat=21.5",
    ),
    details=details(
        SimpleNamespace(
            ingredients="100% búp chè",
            net_amount=200,
            net_unit="g",
            shelf_life="P12M",
            growing_area_code="VN-TNTC-0012",
            gtin="8930000000019",
        )
    ),
)


def _plain(catalogs: Catalogs, language: str, name: str, **context: Any) -> bytes:
    """The templates as written, rendered the straightforward way."""
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    t = catalogs.translator(language)
    return (
        env.get_template(name)
        .render(
            t=t,
            lang=language,
            money=t.money,
            date=t.date,
            quantity=lambda amount, unit: formatting.quantity(t, amount, unit),
            shelf_life=lambda period: formatting.shelf_life(t, period),
            **context,
        )
        .encode()
    )


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "facts",
    [
        FACTS,
        dataclasses.replace(
            FACTS, photos=(), stars=None, listings=(), story=None, reviewed=True, gtin=None
        ),
    ],
)
def test_pages_match_the_plain_templates(language: str, facts: ProductFacts) -> None:
    catalogs = Catalogs()
    templates = Templates((catalogs.translator("vi"), catalogs.translator("en")))
    t = catalogs.translator(language)
    context = {"f": facts, "switch_url": f"{facts.url}?lang=x", "other_lang": "x"}
    expected = _plain(catalogs, language, "product.html", **context)
    assert templates.render("product.html", t, **context) == expected
    before, after = templates.render_parts("product.html", t, **context)
    assert before + STYLE + after == expected
    assert STYLE not in before + after and b"<style>" in before
    assert b"Ch\xc3\xa8 &lt;b\xc3\xbap&gt; &amp; &#34;T\xc3\xa2n C\xc6\xb0\xc6\xa1ng&#34;" in before


@pytest.mark.parametrize("language", ["vi", "en"])
def test_message_and_stamp_pages_match_the_plain_templates(language: str) -> None:
    catalogs = Catalogs()
    templates = Templates()
    t = catalogs.translator(language)
    message = {
        "title": "<b>Not</b> found",
        "lines": ["a & b"],
        "verdict": "unknown",
        "icon": "!",
        "chat_url": "https://t.me/x",
        "switch_url": "/p/x?lang=en",
        "other_lang": "en",
    }
    assert templates.render("message.html", t, **message) == _plain(
        catalogs, language, "message.html", **message
    )
    stamp = {
        **message,
        "serial": "ABCD-EFGH",
        "batch": None,
        "f": FACTS,
        "switch_url": None,
    }
    assert templates.render("stamp.html", t, **stamp) == _plain(
        catalogs, language, "stamp.html", **stamp
    )
