"""Serial stamps: batches are checked first; every stamp on every page decodes to its serial."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from bot.labels.serials import is_well_formed_serial
from bot.labels.sizes import DEFAULT_SHEET_LAYOUTS, SheetLayout
from bot.labels.stamps import (
    MAX_STAMPS,
    BatchRefused,
    StampCaptions,
    StampContent,
    check_batch_size,
    render_stamps_pdf,
    stamp_batch,
)
from tests.labels.conftest import LONG_NAME, PUBLIC_URL, decode, pdf_pages

LAYOUTS = {layout.id: layout for layout in DEFAULT_SHEET_LAYOUTS}


def batch(count: int, **changes: object) -> list[StampContent]:
    fields: dict[str, object] = {
        "product_name": LONG_NAME,
        "code": "7K3M9P",
        "lot": "L2025-11-A",
        "production_date": date(2025, 11, 1),
        "expiry_date": date(2026, 11, 1),
        "public_url": PUBLIC_URL,
    }
    fields.update(changes)
    return stamp_batch(count, **fields)  # type: ignore[arg-type]


def test_batch_has_distinct_serials_and_stamp_urls() -> None:
    stamps = batch(500)
    serials = [stamp.serial for stamp in stamps]
    assert len(set(serials)) == 500
    assert all(is_well_formed_serial(serial) for serial in serials)
    assert all(stamp.url == f"{PUBLIC_URL}/s/{stamp.serial}" for stamp in stamps)
    assert {stamp.lot for stamp in stamps} == {"L2025-11-A"}


@pytest.mark.parametrize(("count", "reason"), [(0, "too_few"), (-5, "too_few")])
def test_empty_batch_is_refused(count: int, reason: str) -> None:
    with pytest.raises(BatchRefused) as refused:
        batch(count)
    assert refused.value.reason == reason
    assert "at least 1" in str(refused.value)


def test_a_million_stamps_are_refused_before_any_work() -> None:
    with pytest.raises(ValueError, match="at most 10,000") as refused:
        batch(1_000_000)
    assert isinstance(refused.value, BatchRefused)
    assert refused.value.reason == "too_many"
    assert refused.value.params == {"count": 1_000_000, "max": MAX_STAMPS}


def test_ten_thousand_is_the_limit() -> None:
    check_batch_size(MAX_STAMPS)
    with pytest.raises(BatchRefused, match="at most"):
        check_batch_size(MAX_STAMPS + 1)
    with pytest.raises(BatchRefused, match="at most 20"):
        check_batch_size(21, max_stamps=20)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"lot": "   "}, "lot_missing"),
        ({"lot": "L" * 41}, "lot_too_long"),
        ({"lot": "L1\x00"}, "lot_invalid"),
        ({"expiry_date": date(2025, 10, 1)}, "expiry_before_production"),
        ({"expiry_date": date(2025, 11, 1)}, "expiry_before_production"),
    ],
)
def test_bad_batch_details_are_refused(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(BatchRefused) as refused:
        batch(10, **changes)
    assert refused.value.reason == reason


@pytest.mark.parametrize("layout_id", ["3x8", "4x10"])
def test_every_stamp_on_every_page_decodes_to_its_own_serial(layout_id: str) -> None:
    layout = LAYOUTS[layout_id]
    stamps = batch(layout.per_page * 2 + 3)
    pages = pdf_pages(render_stamps_pdf(stamps, layout))
    assert len(pages) == 3
    decoded = [url for page in pages for url in decode(page)]
    assert sorted(decoded) == sorted(stamp.url for stamp in stamps)
    assert [len(decode(page)) for page in pages] == [layout.per_page, layout.per_page, 3]


def test_stamps_without_expiry_and_with_other_captions() -> None:
    stamps = batch(4, expiry_date=None)
    pdf = render_stamps_pdf(stamps, LAYOUTS["3x8"], captions=StampCaptions("Lot", "MFG", "EXP"))
    (page,) = pdf_pages(pdf)
    assert sorted(decode(page)) == sorted(stamp.url for stamp in stamps)


def test_stamps_stream_from_a_generator() -> None:
    stamps = batch(30)

    def one_by_one() -> Iterator[StampContent]:
        yield from stamps

    pdf = render_stamps_pdf(one_by_one(), LAYOUTS["4x10"])
    (page,) = pdf_pages(pdf)
    assert sorted(decode(page)) == sorted(stamp.url for stamp in stamps)


def test_rendering_refuses_an_empty_or_oversized_batch() -> None:
    with pytest.raises(BatchRefused, match="at least 1"):
        render_stamps_pdf([], LAYOUTS["3x8"])
    with pytest.raises(BatchRefused, match="at most 5"):
        render_stamps_pdf(iter(batch(6)), LAYOUTS["3x8"], max_stamps=5)


def test_square_stamps_put_the_text_under_the_code() -> None:
    layout = SheetLayout("4x5", 4, 5, 10, 10, 5, 5, 2, 2)  # 48 × 53.4 mm cells
    stamps = batch(20)
    (page,) = pdf_pages(render_stamps_pdf(stamps, layout))
    assert sorted(decode(page)) == sorted(stamp.url for stamp in stamps)
