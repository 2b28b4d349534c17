"""Photos by content hash: long-lived caching, no metadata, nothing outside the media store."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.core.media import atomic_write
from tests.hostile.pictures import gps_jpeg
from tests.web.conftest import Site, seed


async def test_photo_and_thumbnail_are_cached_for_a_year(site: Site) -> None:
    await seed(site.runtime, photos=1)
    data = await (await site.client.get("/api/v1/products/7K3M9P")).json()
    for url in (data["photos"][0]["url"], data["photos"][0]["thumbnail_url"]):
        response = await site.client.get(url.removeprefix(site.url))
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        etag = response.headers["ETag"]
        assert etag.startswith('"')
        body = await response.read()
        assert body[:2] == b"\xff\xd8"
        again = await site.client.get(url.removeprefix(site.url), headers={"If-None-Match": etag})
        assert again.status == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/" + "a" * 64 + ".jpg",  # well-formed, not stored
        "/media/" + "A" * 64 + ".jpg",  # upper-case hex is not how names are written
        "/media/" + "a" * 63 + ".jpg",
        "/media/" + "a" * 64 + ".gif",
        "/media/" + "a" * 64 + ".jpg.exe",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/thumbs/..%2F..%2F..%2Fconfig.toml",
        "/media/thumbs/" + "a" * 64 + ".png",
        "/media/thumbs/%2E%2E%2Fsecret.jpg",
    ],
)
async def test_anything_but_a_stored_hash_is_404(site: Site, path: str) -> None:
    response = await site.client.get(path)
    assert response.status == 404
    assert response.content_type == "text/html"
    assert "Cache-Control" not in response.headers or "immutable" not in response.headers.get(
        "Cache-Control", ""
    )


async def test_photo_stored_with_its_gps_is_served_without(site: Site) -> None:
    """A photo kept by an older version, EXIF and all: served clean and upright."""
    await seed(site.runtime, photos=1)
    data = await (await site.client.get("/api/v1/products/7K3M9P")).json()
    path = data["photos"][0]["url"].removeprefix(site.url)
    sha256 = path.rsplit("/", 1)[-1].removesuffix(".jpg")
    stored = site.runtime.app.media.path(sha256, "image/jpeg")
    atomic_write(stored, gps_jpeg((900, 600), orientation=6))  # as it was once kept
    for _ in range(2):  # cleaned once, then served as it now is
        response = await site.client.get(path)
        assert response.status == 200
        with Image.open(io.BytesIO(await response.read())) as served:
            exif = served.getexif()
            assert dict(exif) == {} and dict(exif.get_ifd(0x8825)) == {}
            assert "comment" not in served.info
            assert served.size == (600, 900)
    assert stored.read_bytes() == await (await site.client.get(path)).read()
