"""The addresses QR codes encode, all built from the one configured public URL."""

from __future__ import annotations


def product_url(public_url: str, code: str) -> str:
    """The product-origin page: `{public_url}/p/{code}`."""
    return f"{public_url.rstrip('/')}/p/{code}"


def stamp_url(public_url: str, serial: str) -> str:
    """The stamp check page: `{public_url}/s/{serial}`."""
    return f"{public_url.rstrip('/')}/s/{serial}"
