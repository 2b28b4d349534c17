"""Hostile images, sent through the real Telegram path (issue 15, items 1 and 3).

Decompression bombs are answered "too large" without the process growing by
the hundreds of megabytes they claim; a flood of scans is slowed down; a
phone photo's GPS position never reaches the disk or the web.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.web import create_app
from tests.e2e.conftest import E2E, Chat, Screen, bot, picture  # noqa: F401  (bot: the e2e fixture)
from tests.hostile.pictures import gps_jpeg, jpeg_claiming, png_bomb, webp_claiming

GROWTH_BOUND = 200 * 2**20  # a safety check, not a target: a bomb took 720 MB to 1.3 GB
SCAN_TOO_LARGE = "The photo is too large to read. Please send a smaller one."
PHOTO_TOO_LARGE = (
    "The picture is too large to handle (at most 10,000 pixels a side and 50 megapixels). "
    "Please send a smaller one."
)
WAIT = "That is a lot of photos in a short time. Please wait a minute, then send it again."
NO_CODE = (
    "No QR code or barcode could be read in the photo. "
    "Please take it again, closer and in good light."
)
BOMBS = {
    "png-12000": lambda: png_bomb(12000),  # 420 KB
    "png-9000": lambda: png_bomb(9000),  # 236 KB
    "jpeg-12000": lambda: jpeg_claiming(12000, 12000),
    "webp-16000": lambda: webp_claiming(16000, 16000),
}


class PeakRss:
    """The most this process's resident memory grew above where it started."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.start


@contextmanager
def peak_rss() -> Iterator[PeakRss]:
    peak = PeakRss()
    peak._sampler.start()
    try:
        yield peak
    finally:
        peak._done.set()
        peak._sampler.join()
        peak.peak = max(peak.peak, peak.process.memory_info().rss)


async def bounded(send: Awaitable[Screen]) -> Screen:
    with peak_rss() as peak:
        screen = await send
    assert peak.growth < GROWTH_BOUND, f"memory grew by {peak.growth / 2**20:.0f} MiB"
    return screen


@pytest.mark.parametrize("bomb", list(BOMBS))
async def test_bomb_sent_as_a_label_scan_is_too_large(bot: E2E, bomb: str) -> None:  # noqa: F811
    minh = bot.chat(8101, "Minh", "en")
    await minh.start_in_english()
    data = BOMBS[bomb]()
    assert (await bounded(minh.photo(data))).texts == [SCAN_TOO_LARGE]
    as_file = await bounded(minh.document(data, "label.png", "image/png"))
    assert as_file.texts == [SCAN_TOO_LARGE]


async def start_adding_photos(bot: E2E, user_id: int) -> tuple[Chat, str]:  # noqa: F811
    producer = await bot.producer(user_id)
    code = await producer.add_product()
    screen = await producer.press("📷 Add photos")
    assert "Send photos of" in screen.text, screen
    return producer, code


@pytest.mark.parametrize("bomb", ["png-12000", "png-9000"])
async def test_bomb_sent_as_a_product_photo_is_too_large(bot: E2E, bomb: str) -> None:  # noqa: F811
    producer, code = await start_adding_photos(bot, 8201)
    for send in (producer.photo, lambda data: producer.document(data, "a.png", "image/png")):
        screen = await bounded(send(BOMBS[bomb]()))
        # One message: what is wrong, then the same step asked again.
        [text] = screen.texts
        assert text.startswith(PHOTO_TOO_LARGE + "\n\n"), text
        assert "Send photos of" in text
    saved = await producer.photo(picture(1))
    assert "Photo 1 saved" in saved.text, saved  # nothing lost: the flow goes on
    assert len((await bot.product(code)).photos) == 1


async def test_scans_per_minute_are_limited(bot: E2E) -> None:  # noqa: F811
    limit = 20  # config.toml: [media] images_per_minute
    minh = bot.chat(8301, "Minh", "en")
    await minh.start_in_english()
    plain = picture(5, (300, 240))
    for _ in range(limit):
        assert (await minh.photo(plain)).texts == [NO_CODE]
    assert (await minh.photo(plain)).texts == [WAIT]
    # One user's limit is not another's.
    lan = bot.chat(8302, "Lan", "en")
    await lan.start_in_english()
    assert (await lan.photo(plain)).texts == [NO_CODE]


def gps_and_camera(data: bytes) -> dict[int, Any]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return {**dict(exif), **dict(exif.get_ifd(0x8825))}


async def test_product_photo_keeps_no_location_on_disk_or_on_the_web(bot: E2E) -> None:  # noqa: F811
    producer, code = await start_adding_photos(bot, 8401)
    original = gps_jpeg((900, 600), orientation=6)
    assert gps_and_camera(original)[2] == (21.0, 35.0, 39.12)  # latitude, as the phone wrote it
    screen = await producer.document(original, "IMG_2041.jpg", "image/jpeg")  # "send as file"
    assert "Photo 1 saved" in screen.text, screen
    [photo] = (await bot.product(code)).photos
    assert (photo.width, photo.height) == (600, 900)  # upright
    stored = bot.runtime.app.media.path(photo.sha256, photo.mime).read_bytes()
    served = await served_by_the_web(bot, f"/media/{photo.sha256}.jpg")
    assert served == stored
    for data in (stored, served):
        assert gps_and_camera(data) == {}
        assert b"PhoneMaker" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (600, 900)
    # Sent again, the same photo is recognised although its bytes were rewritten.
    again = await producer.document(original, "IMG_2041.jpg", "image/jpeg")
    assert "already" in again.text.lower(), again


async def served_by_the_web(bot: E2E, path: str) -> bytes:  # noqa: F811
    runtime = bot.runtime
    settings = dataclasses.replace(runtime.settings)
    app = create_app(settings, runtime.db, runtime.app.catalogs, runtime.app.media, bot.clock)
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        response = await client.get(path)
        assert response.status == 200
        return await response.read()
    finally:
        await client.close()
