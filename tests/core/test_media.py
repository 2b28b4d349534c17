"""Product photos: what is accepted, how it is stored, and the thumbnail."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from bot.config import MediaSettings
from bot.core.errors import Invalid
from bot.core.media import MediaStore


def picture(fmt: str, size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    """A picture with some detail, so it compresses like a photo rather than a flat colour."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(MediaSettings(dir=tmp_path / "media", max_photo_bytes=200_000))


def refusal(store: MediaStore, data: bytes) -> Invalid:
    with pytest.raises(Invalid) as caught:
        store.inspect(data)
    return caught.value


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_accepted_formats(store: MediaStore, fmt: str, mime: str) -> None:
    data = picture(fmt)
    info = store.inspect(data)
    assert (info.mime, info.width, info.height, info.size) == (mime, 400, 300, len(data))
    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_phone_camera_multi_picture_jpeg_is_a_jpeg(store: MediaStore) -> None:
    frame = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    out = io.BytesIO()
    frame.save(out, "MPO", save_all=True, append_images=[frame])  # what Pillow calls MPO
    info = store.inspect(out.getvalue())
    assert (info.mime, info.width, info.height) == ("image/jpeg", 400, 300)
    assert store.store(out.getvalue(), info).suffix == ".jpg"


@pytest.mark.parametrize(
    "data",
    [
        b"this is a text file, not a photo",
        b"",
        picture("GIF", mode="L"),
        picture("JPEG")[:1500],  # truncated in the middle of the image data
        picture("PNG")[:-12],  # the end chunk cut off
    ],
    ids=["text", "empty", "gif", "truncated-jpeg", "truncated-png"],
)
def test_not_an_image(store: MediaStore, data: bytes) -> None:
    assert refusal(store, data).key == "photo.not_image"


def test_too_large_in_bytes(tmp_path: Path) -> None:
    data = picture("PNG")
    small = MediaStore(MediaSettings(dir=tmp_path, max_photo_bytes=len(data) - 1))
    error = refusal(small, data)
    assert error.key == "photo.too_large"
    assert error.params == {"max_mb": 0}
    roomy = MediaStore(MediaSettings(dir=tmp_path, max_photo_bytes=len(data)))
    assert roomy.inspect(data).size == len(data)


def test_too_small(store: MediaStore) -> None:
    error = refusal(store, picture("JPEG", (50, 50)))
    assert error.key == "photo.too_small"
    assert error.params == {"min": 200, "width": 50, "height": 50}


def test_too_big_in_pixels(tmp_path: Path) -> None:
    tight = MediaStore(MediaSettings(dir=tmp_path, max_photo_side=399))
    error = refusal(tight, picture("PNG", (400, 300)))
    assert (error.key, error.params) == ("photo.too_big_dimensions", {"max": 399})


def test_stored_once_under_its_hash(store: MediaStore) -> None:
    data = picture("JPEG")
    info = store.inspect(data)
    first = store.store(data, info)
    second = store.store(data, store.inspect(data))
    assert first == second
    assert first.name == f"{info.sha256}.jpg"
    assert first.read_bytes() == data
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert sorted(files) == sorted([first, store.thumbnail_path(info.sha256)])


def test_different_photos_are_different_files(store: MediaStore) -> None:
    one, two = picture("PNG"), picture("PNG", (300, 400))
    path_one = store.store(one, store.inspect(one))
    path_two = store.store(two, store.inspect(two))
    assert path_one != path_two
    assert path_one.suffix == path_two.suffix == ".png"


def test_thumbnail_is_a_square_jpeg(store: MediaStore) -> None:
    data = picture("PNG", (400, 300))
    info = store.inspect(data)
    store.store(data, info)
    with Image.open(store.thumbnail_path(info.sha256)) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 320)


async def test_store_async_inspects_and_stores(store: MediaStore) -> None:
    data = picture("WEBP")
    info = await store.store_async(data)
    assert info.mime == "image/webp"
    assert store.path(info.sha256, info.mime).read_bytes() == data
    with pytest.raises(Invalid):
        await store.store_async(b"not a photo")
