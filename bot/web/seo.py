"""What link previews and search engines read: JSON-LD, sitemap.xml, robots.txt.

Zalo, Facebook and search engines read Open Graph tags (in the templates)
and schema.org JSON-LD. JSON-LD sits inside <script>, where HTML escaping
does not apply: `json_ld` writes <, > and & as \\u escapes, so a name
holding "</script>" stays text inside the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from markupsafe import Markup

from bot.web.catalogue import ProducerEntry
from bot.web.facts import ProductFacts

_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block that no text can leave."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_SAFE))


def product_ld(facts: ProductFacts) -> dict[str, Any]:
    """schema.org Product: name, photo, producer, OCOP stars, where it is sold."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": facts.name,
        "url": facts.url,
        "sku": facts.code,
        "category": facts.group,
        "brand": {"@type": "Organization", "name": facts.producer.name},
        "manufacturer": organization_ld(facts.producer.name, None, facts.producer.province),
    }
    if facts.description:
        data["description"] = facts.description
    if facts.cover:
        data["image"] = facts.cover.url
    if facts.gtin:
        data["gtin13"] = facts.gtin
    if facts.stars:
        # The OCOP rating is an official rating, not customers' reviews: a
        # PropertyValue, not an AggregateRating (which search engines check).
        data["additionalProperty"] = {
            "@type": "PropertyValue",
            "name": "OCOP",
            "value": facts.stars,
            "maxValue": 5,
        }
    offers = [
        {
            "@type": "Offer",
            "url": listing.url,
            "seller": {"@type": "Organization", "name": listing.name},
        }
        for listing in facts.listings
        if listing.url
    ]
    if offers:
        data["offers"] = offers
    return data


def organization_ld(name: str, url: str | None, province: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "Organization", "name": name}
    if url:
        data["url"] = url
    if province:
        data["address"] = {
            "@type": "PostalAddress",
            "addressRegion": province,
            "addressCountry": "VN",
        }
    return data


def producer_ld(entry: ProducerEntry, url: str) -> dict[str, Any]:
    producer = entry.facts
    data = {
        "@context": "https://schema.org",
        **organization_ld(producer.name, url, producer.province),
    }
    if producer.ward:
        data["address"]["addressLocality"] = producer.ward
    if producer.address:
        data["address"]["streetAddress"] = producer.address
    if producer.latitude is not None and producer.longitude is not None:
        data["location"] = {
            "@type": "Place",
            "geo": {
                "@type": "GeoCoordinates",
                "latitude": producer.latitude,
                "longitude": producer.longitude,
            },
        }
    if producer.phone:
        data["telephone"] = producer.phone
    if producer.story:
        data["description"] = producer.story
    data["makesOffer"] = [
        {"@type": "Offer", "itemOffered": {"@type": "Product", "name": p.name, "url": p.url}}
        for p in entry.products[:50]
    ]
    return data


def item_list_ld(products: Iterable[ProductFacts], url: str, name: str) -> dict[str, Any]:
    """A catalogue page: an ItemList of its products."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": name,
        "url": url,
        "itemListElement": [
            {"@type": "ListItem", "position": n, "url": p.url, "name": p.name}
            for n, p in enumerate(products, start=1)
        ],
    }


def sitemap(urls: Iterable[str]) -> bytes:
    """sitemap.xml (at most 50,000 URLs, which the national programme stays under)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    lines.extend(f"<url><loc>{xml_escape(url)}</loc></url>" for url in urls)
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def robots(public_url: str) -> bytes:
    """Everything public may be crawled but stamp checks (a crawl would count as scans)
    and the JSON API."""
    return (
        "User-agent: *\n"
        "Disallow: /s/\n"
        "Disallow: /01/*/21/\n"
        "Disallow: /api/\n"
        "Allow: /\n"
        f"Sitemap: {public_url}/sitemap.xml\n"
    ).encode()
