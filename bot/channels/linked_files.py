"""Files a channel cannot carry, offered as expiring links under the text.

The Zalo Bot Platform takes no files at all; a Zalo OA takes PDF, DOC and
DOCX up to 5 MB. What a channel cannot send is kept by the web app
(bot/core/file_links.py, served at GET /f/...) and its link goes under the
message's text. One place for the name and the line, so every channel offers
a file the same way.
"""

from __future__ import annotations

from bot.core.file_links import FileLinks


def file_name(data: bytes, fallback: str = "photo") -> str:
    """A name with the right extension for the bytes of a picture or PDF we made."""
    if data.startswith(b"\x89PNG"):
        return f"{fallback}.png"
    if data.startswith(b"\xff\xd8"):
        return f"{fallback}.jpg"
    if data.startswith(b"%PDF"):
        return f"{fallback}.pdf"
    return f"{fallback}.bin"


def file_line(name: str, url: str) -> str:
    """A file offered as a link, below the text it comes with (no words: any language)."""
    return f"📄 {name}\n{url}"


def below(text: str, line: str) -> str:
    """The text with a file's line under it."""
    return f"{text}\n\n{line}" if text else line


async def with_link(links: FileLinks, text: str, data: bytes, name: str | None) -> str:
    """Publishes the file and returns the text with its link under it."""
    shown = name or file_name(data, "file")
    return below(text, file_line(shown, await links.publish(data, shown)))
