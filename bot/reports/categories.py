"""Which category each marketplace files an OCOP product under: a table to edit.

Keys are OCOP subgroups (bot.core.ocop.GROUPS) or, as a fallback, groups;
values are the marketplace's own category path as its upload sheet names
it. Marketplaces rename and split categories from time to time, so these
are a starting point, checked by hand against each platform's category
tree when it was written: when an upload is refused for its category,
change the line here. A marketplace or product missing from the table gets
the OCOP group and subgroup names instead, for the officer to fill in.
"""

from __future__ import annotations

_SHOPEE = {
    "fresh": "Thực phẩm và đồ uống > Thực phẩm tươi sống và thực phẩm đông lạnh",
    "raw_processed": "Thực phẩm và đồ uống > Nhu yếu phẩm",
    "processed": "Thực phẩm và đồ uống > Đồ ăn vặt",
    "condiments": "Thực phẩm và đồ uống > Nguyên liệu nấu ăn",
    "tea": "Thực phẩm và đồ uống > Đồ uống > Trà & Trà túi lọc",
    "coffee_cocoa": "Thực phẩm và đồ uống > Đồ uống > Cà phê",
    "alcoholic": "Thực phẩm và đồ uống > Đồ uống có cồn",
    "non_alcoholic": "Thực phẩm và đồ uống > Đồ uống",
    "herbal_medicine": "Sức khỏe > Thực phẩm chức năng",
    "herbal_cosmetics": "Sắc đẹp > Chăm sóc da mặt",
    "essential_oils": "Sức khỏe > Tinh dầu",
    "crafts_household": "Nhà cửa & Đời sống > Trang trí nhà cửa",
    "textiles": "Thời trang nữ > Vải",
    "flowers": "Nhà cửa & Đời sống > Làm vườn > Hoa",
    "plants": "Nhà cửa & Đời sống > Làm vườn > Cây cảnh",
    "animals": "Chăm sóc thú cưng",
    "tourism": "Voucher & Dịch vụ",
}

_LAZADA = {
    "fresh": "Bách Hóa Online > Thực phẩm tươi sống",
    "raw_processed": "Bách Hóa Online > Thực phẩm khô",
    "processed": "Bách Hóa Online > Đồ ăn vặt",
    "condiments": "Bách Hóa Online > Gia vị & Nguyên liệu nấu ăn",
    "tea": "Bách Hóa Online > Đồ uống > Trà",
    "coffee_cocoa": "Bách Hóa Online > Đồ uống > Cà phê",
    "alcoholic": "Bách Hóa Online > Đồ uống có cồn",
    "non_alcoholic": "Bách Hóa Online > Đồ uống",
    "herbal_medicine": "Sức khỏe & Làm đẹp > Thực phẩm bổ sung",
    "herbal_cosmetics": "Sức khỏe & Làm đẹp > Chăm sóc da",
    "essential_oils": "Sức khỏe & Làm đẹp > Tinh dầu",
    "crafts_household": "Nhà cửa & Đời sống > Trang trí nhà cửa",
    "textiles": "Nhà cửa & Đời sống > Vải",
    "flowers": "Nhà cửa & Đời sống > Dụng cụ làm vườn > Hoa & cây",
    "plants": "Nhà cửa & Đời sống > Dụng cụ làm vườn > Hoa & cây",
    "animals": "Thú cưng",
    "tourism": "Voucher & Dịch vụ",
}

# Postmart and Voso (Vietnam Post, Viettel Post) keep OCOP and regional
# specialities in categories of their own.
_POSTMART = {
    "food": "Đặc sản vùng miền",
    "fresh": "Nông sản tươi",
    "tea": "Chè, cà phê",
    "coffee_cocoa": "Chè, cà phê",
    "beverages": "Đồ uống",
    "herbal": "Dược liệu, thảo dược",
    "handicrafts": "Thủ công mỹ nghệ",
    "ornamental": "Cây cảnh, sinh vật cảnh",
    "tourism": "Dịch vụ du lịch",
}

_VOSO = {
    "food": "Đặc sản địa phương",
    "fresh": "Thực phẩm tươi sống",
    "tea": "Trà, cà phê",
    "coffee_cocoa": "Trà, cà phê",
    "beverages": "Đồ uống",
    "herbal": "Sức khỏe, làm đẹp",
    "handicrafts": "Thủ công mỹ nghệ",
    "ornamental": "Nhà cửa, đời sống",
    "tourism": "Dịch vụ",
}

CATEGORIES: dict[str, dict[str, str]] = {
    "shopee": _SHOPEE,
    "lazada": _LAZADA,
    "postmart": _POSTMART,
    "voso": _VOSO,
}


def category(marketplace: str, group: str, subgroup: str) -> str | None:
    """The marketplace's category for a product, or None when the table has none."""
    table = CATEGORIES.get(marketplace, {})
    return table.get(subgroup) or table.get(group)
