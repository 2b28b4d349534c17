"""A console chat for trying the assistant without Telegram.

Menus are numbered (type the number), /back /skip /later /cancel navigate,
and `/photo PATH` sends an image file as if it were a photo from a phone.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Callable
from pathlib import Path

from bot.core.dispatcher import Dispatcher
from bot.core.types import Capabilities, FileRef, Incoming, Location, Reply

CAPABILITIES = Capabilities(
    inline_buttons=False,
    contact_request=False,
    location_request=False,
    file_upload=True,
    max_text=100_000,
)


class ConsoleChannel:
    name = "console"

    def __init__(self, dispatcher: Dispatcher, user_id: str = "local", user_name: str = "") -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.user_name = user_name

    def incoming(self, line: str) -> Incoming:
        """One typed line → an update; /photo PATH and /location LAT LON stand in for a phone."""
        text = line.rstrip("\n")
        incoming = Incoming(
            channel=self.name, chat_id=self.user_id, user_id=self.user_id, user_name=self.user_name
        )
        if text.startswith("/photo "):
            path = Path(text.removeprefix("/photo ").strip()).expanduser()
            data = path.read_bytes() if path.is_file() else b""
            mime = mimetypes.guess_type(path.name)[0]
            incoming.photo = FileRef(str(path), size=len(data), mime=mime, name=path.name)
            incoming.file_bytes = data
        elif text.startswith("/location "):
            parts = text.split()
            try:
                incoming.location = Location(float(parts[1]), float(parts[2]))
            except (IndexError, ValueError):
                incoming.text = text
        else:
            incoming.text = text
        return incoming

    async def send(self, line: str) -> list[Reply]:
        return await self.dispatcher.handle(self.incoming(line), CAPABILITIES)

    async def run(
        self,
        read: Callable[[], str] = input,
        write: Callable[[str], None] = print,
    ) -> None:
        """Reads lines until end of input; /quit or Ctrl-D leaves."""
        for reply in await self.send("/start"):
            write(render(reply))
        while True:
            try:
                line = await asyncio.to_thread(read)
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip() in ("/quit", "/exit"):
                break
            if not line.strip():
                continue
            for reply in await self.send(line):
                write(render(reply))


def render(reply: Reply) -> str:
    parts = []
    if reply.photo is not None:
        where = reply.photo if isinstance(reply.photo, Path) else f"{len(reply.photo)} bytes"
        parts.append(f"[photo: {where}]")
    if reply.document is not None:
        parts.append(f"[file: {reply.document_name or 'document'}, {len(reply.document)} bytes]")
    if reply.text:
        parts.append(reply.text)
    return "\n".join(parts) + "\n" + "─" * 40
