"""Helpers for label tests: decode QR codes in images and in rasterised PDF pages."""

from __future__ import annotations

import io

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from PIL import Image

from bot.labels.label import LabelContent
from bot.labels.urls import product_url

PUBLIC_URL = "https://ocop.thainguyen.gov.vn"
LONG_NAME = "Chè búp Tân Cương đặc biệt loại một thượng hạng"


def decode(image: Image.Image) -> list[str]:
    """The text of every QR code zxing-cpp finds in the image."""
    return [
        barcode.text
        for barcode in zxingcpp.read_barcodes(image)
        if barcode.format == zxingcpp.BarcodeFormat.QRCode
    ]


def png_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def pdf_pages(data: bytes, dpi: int = 200) -> list[Image.Image]:
    """Each page of the PDF as an image, as a scanner or a print would see it."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


@pytest.fixture
def long_label() -> LabelContent:
    return LabelContent(LONG_NAME, "7K3M9P", 4, product_url(PUBLIC_URL, "7K3M9P"))
