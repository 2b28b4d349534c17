"""Text cards for a product and a producer (display only: they never write)."""

from __future__ import annotations

from bot.core import formatting, places, product_fields
from bot.core.context import Context
from bot.core.ocop import cert_key, group_key, kind_key, subgroup_key
from bot.core.product_fields import Shape, answer, shown
from storage.models import Producer, Product


def product_card(ctx: Context, product: Product) -> str:
    t = ctx.t
    if product.code:
        lines = [t("card.product_title", name=product.name, code=product.code)]
    else:  # not saved yet: the confirmation summary
        lines = [t("card.product_title_new", name=product.name)]
    if product.stars:
        lines.append(
            t(
                "card.stars",
                stars=formatting.stars(product.stars),
                count=product.stars,
                number=product.cert_number or "—",
                date=formatting.iso_date(t, product.cert_date),
                expiry=formatting.iso_date(t, product.cert_expiry),
            )
        )
        if product.cert_expiry and product.cert_expiry < ctx.today():
            lines.append(t("card.certificate_expired"))
    else:
        lines.append(t("card.not_rated"))
    lines.append(
        t(
            "card.group",
            group=t(group_key(product.group)),
            subgroup=t(subgroup_key(product.subgroup)),
        )
    )
    if product.price_vnd is not None:
        lines.append(t("card.price", price=t.money(product.price_vnd), unit=product.unit or "—"))
    if product.net_amount is not None and product.net_unit:
        lines.append(
            t("card.net", net=formatting.quantity(t, product.net_amount, product.net_unit))
        )
    if product.package_weight_g is not None or product.length_mm is not None:
        weight = (
            formatting.quantity(t, product.package_weight_g, "g")
            if product.package_weight_g is not None
            else "—"
        )
        sides = [product.length_mm, product.width_mm, product.height_mm]
        size = formatting.dimensions(t, [s or 0 for s in sides]) if product.length_mm else "—"
        lines.append(t("card.package", weight=weight, size=size))
    # The plain lines: each field described with one, in order, long texts last.
    plain = [field for field in product_fields.PRODUCT_FIELDS if field.card]
    for field in sorted(plain, key=lambda field: field.shape == Shape.LONG_TEXT):
        if field.shape == Shape.CERTIFICATIONS:
            lines.extend(_certifications(ctx, product))
            continue
        value = answer(field, product)
        if value is not None and value != "":
            lines.append(t(field.card_key, value=shown(t, field, value)))
    return "\n".join(lines)


def _certifications(ctx: Context, product: Product) -> list[str]:
    t = ctx.t
    return [
        t(
            "card.certification",
            name=t(cert_key(cert.kind)),
            number=cert.number,
            expiry=formatting.iso_date(t, cert.expiry) or "—",
        )
        for cert in product.certifications
    ]


def producer_card(ctx: Context, producer: Producer) -> str:
    t = ctx.t
    province = places.province(producer.province_code)
    ward = places.ward(producer.ward_code)
    lines = [
        t("card.producer_title", name=producer.name),
        t("card.kind", kind=t(kind_key(producer.kind))),
        t("card.representative", value=producer.representative),
        t("card.phone", value=producer.phone),
        t(
            "card.place",
            ward=ward.name if ward else "—",
            province=province.name if province else "—",
        ),
    ]
    if producer.address:
        lines.append(t("card.address", value=producer.address))
    if producer.latitude is not None and producer.longitude is not None:
        lines.append(t("card.location", lat=producer.latitude, lon=producer.longitude))
    if producer.tax_code:
        lines.append(t("card.tax_code", value=producer.tax_code))
    shown = t("card.show_phone_yes") if producer.show_phone else t("card.show_phone_no")
    lines.append(shown)
    if producer.story:
        lines.append(t("card.story", value=producer.story))
    return "\n".join(lines)
