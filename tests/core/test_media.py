"""Product photos: what is accepted, how it is stored (cleaned of metadata), and the thumbnail."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from bot.config import MediaSettings
from bot.core.errors import Invalid
from bot.core.media import MediaStore, atomic_write
from tests.hostile.pictures import gps_jpeg, jpeg_claiming, png_bomb, webp_claiming


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
    info = store.keep(store.prepare(picture(fmt)))
    assert (info.mime, info.width, info.height) == (mime, 400, 300)
    stored = store.path(info.sha256, mime).read_bytes()
    assert (info.size, info.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == (fmt, (400, 300))


def test_phone_camera_multi_picture_jpeg_is_a_jpeg(store: MediaStore) -> None:
    frame = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    out = io.BytesIO()
    frame.save(out, "MPO", save_all=True, append_images=[frame])  # what Pillow calls MPO
    info = store.keep(store.prepare(out.getvalue()))
    assert (info.mime, info.width, info.height) == ("image/jpeg", 400, 300)
    with Image.open(store.path(info.sha256, info.mime)) as kept:
        assert (kept.format, getattr(kept, "n_frames", 1)) == ("JPEG", 1)  # the first frame


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
    assert roomy.inspect(data).width == 400


def test_too_small(store: MediaStore) -> None:
    error = refusal(store, picture("JPEG", (50, 50)))
    assert error.key == "photo.too_small"
    assert error.params == {"min": 200, "width": 50, "height": 50}


def test_too_big_in_pixels(tmp_path: Path) -> None:
    tight = MediaStore(MediaSettings(dir=tmp_path, max_photo_side=399))
    error = refusal(tight, picture("PNG", (400, 300)))
    assert (error.key, error.params) == ("photo.too_big_dimensions", {"max": 399, "megapixels": 50})
    budget = MediaStore(MediaSettings(dir=tmp_path, max_photo_pixels=119_999))
    assert refusal(budget, picture("PNG", (400, 300))).key == "photo.too_big_dimensions"


@pytest.mark.parametrize(
    "data",
    [png_bomb(12000), png_bomb(9000), jpeg_claiming(12000, 12000), webp_claiming(12000, 12000)],
    ids=["png-12000", "png-9000", "jpeg-12000", "webp-12000"],
)
def test_decompression_bomb_is_too_big_not_unreadable(tmp_path: Path, data: bytes) -> None:
    """Refused from the header ("too large"), where it was once "not a picture"."""
    store = MediaStore(MediaSettings(dir=tmp_path))  # config.toml's limits: 10 MB, 50 MP
    assert refusal(store, data).key == "photo.too_big_dimensions"


def test_stored_once_under_its_hash(store: MediaStore) -> None:
    """The same photo sent twice cleans to the same bytes: one file, recognised by its hash."""
    data = gps_jpeg()
    first = store.keep(store.prepare(data))
    second = store.keep(store.prepare(data))
    assert first == second
    path = store.path(first.sha256, first.mime)
    assert path.name == f"{hashlib.sha256(path.read_bytes()).hexdigest()}.jpg"
    files = [p for p in store.root.rglob("*") if p.is_file()]
    assert sorted(files) == sorted([path, store.thumbnail_path(first.sha256)])


def test_different_photos_are_different_files(store: MediaStore) -> None:
    one = store.keep(store.prepare(picture("PNG")))
    two = store.keep(store.prepare(picture("PNG", (300, 400))))
    assert one.sha256 != two.sha256
    assert store.path(one.sha256, one.mime).suffix == ".png"


def test_thumbnail_is_a_square_jpeg(store: MediaStore) -> None:
    info = store.keep(store.prepare(picture("PNG", (400, 300))))
    with Image.open(store.thumbnail_path(info.sha256)) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (320, 320)


async def test_store_async_inspects_and_stores(store: MediaStore) -> None:
    data = picture("WEBP")
    info = await store.store_async(data)
    assert info.mime == "image/webp"
    assert store.path(info.sha256, info.mime).is_file()
    with pytest.raises(Invalid):
        await store.store_async(b"not a photo")


# --- no metadata kept ---------------------------------------------------------


def metadata(data: bytes) -> tuple[dict[int, object], set[str]]:
    """The EXIF tags (GPS included) and the other metadata keys a reader would find."""
    with Image.open(io.BytesIO(data)) as image:
        exif = dict(image.getexif()) | dict(image.getexif().get_ifd(0x8825))
        return exif, set(image.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density"}


def test_phone_photo_is_kept_upright_without_gps_or_camera(store: MediaStore) -> None:
    data = gps_jpeg((900, 600), orientation=6)  # turned a quarter clockwise to be seen
    assert metadata(data)[0]  # the original says where, when and with what
    info = store.keep(store.prepare(data))
    stored = store.path(info.sha256, info.mime).read_bytes()
    assert metadata(stored) == ({}, set())
    assert b"PhoneMaker" not in stored and b"home" not in stored
    assert (info.width, info.height) == (600, 900)
    with Image.open(io.BytesIO(stored)) as upright:
        assert upright.size == (600, 900)
        red, green, _ = upright.convert("RGB").getpixel((590, 10))  # top-left turned top-right
        assert red > 180 and green < 80


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_and_text_are_dropped_from_png_and_webp(store: MediaStore, fmt: str) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (21.0, 35.0, 39.12)})
    extra: dict[str, object] = {"exif": exif}
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "Xóm Hồng Thái 2")
        extra["pnginfo"] = text
    out = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(out, fmt, **extra)
    info = store.keep(store.prepare(out.getvalue()))
    assert metadata(store.path(info.sha256, info.mime).read_bytes())[0] == {}
    assert "Comment" not in metadata(store.path(info.sha256, info.mime).read_bytes())[1]


def test_colour_profile_is_kept(store: MediaStore) -> None:
    """ICC says how to show the colours, not who or where: it stays."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 90, 40)).save(out, "JPEG", icc_profile=profile)
    info = store.keep(store.prepare(out.getvalue()))
    with Image.open(store.path(info.sha256, info.mime)) as kept:
        assert kept.info.get("icc_profile") == profile


async def test_a_photo_stored_before_cleaning_is_cleaned_when_served(store: MediaStore) -> None:
    """Stored with its GPS by an older version: cleaned in place, once, under the same name."""
    data = gps_jpeg(orientation=1)
    path = store.path(hashlib.sha256(data).hexdigest(), "image/jpeg")
    atomic_write(path, data)
    assert await store.servable(path)
    assert metadata(path.read_bytes()) == ({}, set())
    cleaned_at = path.stat().st_mtime_ns
    assert await store.servable(path)  # remembered: not read or written again
    assert path.stat().st_mtime_ns == cleaned_at
    assert not await store.servable(store.path("0" * 64, "image/jpeg"))


async def test_a_stored_file_over_the_limits_is_not_served(store: MediaStore) -> None:
    path = store.path("ab" * 32, "image/png")
    atomic_write(path, png_bomb(9000))
    assert not await store.servable(path)


def test_clean_media_command_cleans_every_old_photo_once(store: MediaStore) -> None:
    """`ocop-bot clean-media`: old photos with GPS rewritten, clean ones left, bombs counted."""
    old = gps_jpeg(orientation=1)
    old_path = store.path(hashlib.sha256(old).hexdigest(), "image/jpeg")
    atomic_write(old_path, old)
    store.keep(store.prepare(picture("PNG")))
    atomic_write(store.path("cd" * 32, "image/png"), png_bomb(9000))
    assert store.clean_all() == {"clean": 1, "cleaned": 1, "refused": 1}
    assert metadata(old_path.read_bytes()) == ({}, set())
    assert store.clean_all() == {"clean": 2, "cleaned": 0, "refused": 1}
