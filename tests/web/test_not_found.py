"""Unknown, malformed, over-long and path-traversal addresses: a localized 404, never a 500."""

from __future__ import annotations

import pytest

from tests.web.conftest import Site, seed

BAD_CODES = [
    "ZZZZZZ",  # well-formed, unknown
    "7K3M9",  # too short
    "0O1IL5",  # look-alike letters are not in the alphabet
    "7K3M9P7K3M9P",  # too long
    "X" * 5000,  # over-long
    "..%2F..%2Fetc%2Fpasswd",
    "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "..",
    "%00",
    "ch%C3%A8",  # "chè"
    "7K3M9P%0D%0ASet-Cookie:x=1",
]


@pytest.mark.parametrize("code", BAD_CODES)
async def test_bad_product_codes_get_the_localized_404(site: Site, code: str) -> None:
    await seed(site.runtime)
    before = await site.stored()
    status, html, response = await site.get(f"/p/{code}")
    assert status == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Không tìm thấy sản phẩm" in html
    status, html, _ = await site.get(f"/p/{code}?lang=en")
    assert status == 404 and "Product not found" in html
    status, _body, response = await site.get(f"/api/v1/products/{code}")
    assert status == 404 and response.content_type == "application/json"
    assert await response.json() == {"error": "not_found"}
    assert await site.stored() == before


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/p/",
        "/p/../../etc/passwd",
        "/p/..%2F..%2Fetc%2Fpasswd/x",
        "/nothing-here",
        "/media/../../etc/passwd",
        "/static/../config.toml",
    ],
)
async def test_unrouted_paths_get_the_404_page(site: Site, path: str) -> None:
    status, html, _ = await site.get(path, headers={"Accept-Language": "en"})
    assert status == 404
    assert "Product not found" in html
    assert "root:" not in html


async def test_unknown_api_path_answers_json(site: Site) -> None:
    response = await site.client.get("/api/v1/nothing")
    assert response.status == 404
    assert await response.json() == {"error": "not_found"}


async def test_unexpected_error_is_a_localized_500(site: Site) -> None:
    await seed(site.runtime)
    await site.runtime.db.dispose()

    def broken() -> None:
        raise RuntimeError("database gone")

    site.runtime.db.transaction = broken  # type: ignore[assignment,method-assign]
    site.runtime.db.read = broken  # type: ignore[assignment,method-assign]
    status, html, _ = await site.get("/p/7K3M9P?lang=en")
    assert status == 500
    assert "Something went wrong" in html and "database gone" not in html
    response = await site.client.get("/api/v1/products/7K3M9P")
    assert response.status == 500 and await response.json() == {"error": "internal_error"}
    response = await site.client.get("/healthz")
    assert response.status == 503


async def test_health(site: Site) -> None:
    response = await site.client.get("/healthz")
    assert response.status == 200 and await response.text() == "ok\n"
