"""Documents Zalo's upload refuses (XLSX, CSV) reach OA users as the web app's expiring links,
in interactive replies and in outbox notices, counted against the reply window."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from urllib.parse import urlsplit

from openpyxl import load_workbook
from sqlalchemy import select

from storage import outbox
from storage.models import OutboxMessage, User
from storage.users import get_or_create_user
from testkit.fake_zalo_oa import Sent
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A
from tests.zalo_oa.conftest import OA, assert_within_limits
from tests.zalo_oa.test_journeys import choose, joined

LINK = re.compile(r"📄 (\S+)\n(\S+/f/(\S+))")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def officer(oa: OA, user: str) -> None:
    await oa.send("follow", user)
    async with oa.runtime.db.transaction() as session:
        await dataset.build(session)
        account = await session.scalar(select(User).where(User.external_id == user))
        assert account is not None
        account.role, account.province_code = "officer", PROVINCE_A


async def fetch(oa: OA, url: str) -> tuple[int, bytes]:
    """GETs a link from the running web app (the path: the public URL is not this port)."""
    response = await oa.client.get(urlsplit(url).path)
    return response.status, await response.read()


def no_file_messages(screen: list[Sent]) -> bool:
    return all(sent.message.get("attachment", {}).get("type") != "file" for sent in screen)


async def test_an_officers_excel_export_arrives_as_a_link_that_serves_the_same_file(
    oa: OA,
) -> None:
    t = oa.runtime.app.catalogs.translator("vi")
    await officer(oa, "lan")
    screen = await oa.text("lan", "/export")
    screen = await choose(oa, "lan", screen, t("export.button.products", format="Excel"))
    found = LINK.search(joined(screen))
    assert found, joined(screen)
    name, url, token = found[1], found[2], found[3]
    assert name.startswith("ocop-thai-nguyen-products-") and name.endswith(".xlsx")
    assert screen[0].text.startswith("📎 ") and "5 dòng" in screen[0].text
    assert no_file_messages(screen)  # Zalo's upload was never asked to take an XLSX
    status, body = await fetch(oa, url)
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == token.split(".")[0]
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None and sheet.max_row == 6  # the header and the area's 5 products
    assert_within_limits(oa.fake)

    oa.clock.advance(hours=oa.settings.file_link_hours, seconds=1)
    status, body = await fetch(oa, url)
    assert status == 410
    assert "hết hạn" in body.decode()


async def test_a_csv_export_goes_as_a_link_too(oa: OA) -> None:
    t = oa.runtime.app.catalogs.translator("vi")
    await officer(oa, "lan")
    screen = await oa.text("lan", "/export")
    screen = await choose(oa, "lan", screen, t("export.button.producers", format="CSV"))
    found = LINK.search(joined(screen))
    assert found and found[1].endswith(".csv"), joined(screen)
    status, body = await fetch(oa, found[2])
    assert status == 200 and body.decode("utf-8-sig").count("\n") >= 2


async def queue_document(oa: OA, user: str, text: str, data: bytes, name: str, mime: str) -> None:
    attachments = oa.running.worker.sender.attachments  # type: ignore[attr-defined]
    stored = await attachments.store_document(data, name, mime)
    async with oa.runtime.db.transaction() as session:
        person = await get_or_create_user(session, "zalo_oa", user, "")
        await outbox.enqueue(session, person, outbox.payload(text, attachment=stored.to_json()))


async def send_queued(oa: OA) -> None:
    """Runs the OA's outbox until nothing is open (a chat just answered waits its turn)."""
    for _ in range(50):
        await oa.running.worker.run_once()
        if not {"pending", "leased", "sending"} & set(await statuses(oa)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not empty")


async def statuses(oa: OA) -> list[str]:
    async with oa.runtime.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [row.status for row in rows]


async def test_a_notice_with_a_spreadsheet_sends_the_text_with_a_link(oa: OA) -> None:
    await oa.text("u", "/help")
    oa.new("u")
    sheet = b"PK\x03\x04 a spreadsheet the officer attached"
    await queue_document(oa, "u", "Số liệu quý 4", sheet, "bao-cao.xlsx", XLSX)
    await send_queued(oa)
    [sent] = oa.new("u")  # one message: the text, the link under it
    assert sent.text.startswith("Số liệu quý 4\n\n📄 bao-cao.xlsx\n")
    found = LINK.search(sent.text)
    assert found
    status, body = await fetch(oa, found[2])
    assert status == 200 and body == sheet
    assert await statuses(oa) == ["sent"]
    oa.clock.advance(hours=oa.settings.file_link_hours + 1)
    status, _ = await fetch(oa, found[2])
    assert status == 410


async def test_a_linked_document_is_counted_against_the_reply_window(oa: OA) -> None:
    await oa.text("u", "/help")
    left = oa.settings.zalo_oa.replies_per_window - len(oa.fake.to("u"))
    for index in range(left - 1):
        async with oa.runtime.db.transaction() as session:
            person = await get_or_create_user(session, "zalo_oa", "u", "")
            await outbox.enqueue(session, person, outbox.payload(f"Tin {index}"))
    await queue_document(oa, "u", "Bảng kê", b"ma,ten\n1,Che\n", "bang-ke.csv", "text/csv")
    await queue_document(oa, "u", "Bảng kê 2", b"ma,ten\n2,Mien\n", "bang-ke-2.csv", "text/csv")
    await send_queued(oa)  # one chat's messages go one after another
    # The last message the window held was the first CSV's (text and link as one);
    # the second did not fit and was not sent.
    assert len(oa.fake.to("u")) == oa.settings.zalo_oa.replies_per_window
    assert "bang-ke.csv" in oa.fake.to("u")[-1].text
    assert (await statuses(oa))[-2:] == ["sent", "out_window"]
    assert oa.fake.refused == []
