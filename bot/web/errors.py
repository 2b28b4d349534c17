"""Pages for what went wrong, in the reader's language; the API answers in JSON.

Unknown, malformed, over-long and path-traversal addresses all end here as
a 404, and an unexpected error as a logged 500 with a reference, never a
stack trace. A request too malformed to reach the app (a bad request line,
oversized headers, TLS sent to the HTTP port) is answered 400 by aiohttp,
and logged as one INFO line without the client's address (`BadRequestLog`).
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler

from bot.web.responses import fresh_page
from bot.web.state import other_language, state_of

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


def message_page(
    request: web.Request,
    status: int,
    title_key: str,
    text_key: str,
    *,
    verdict: str = "unknown",
    icon: str = "!",
    extra_keys: tuple[str, ...] = (),
) -> web.Response:
    state = state_of(request)
    language = state.language(request)
    t = state.translator(language)
    body = state.templates.render(
        "message.html",
        t,
        title=t(title_key),
        lines=[t(text_key), *(t(key) for key in extra_keys)],
        verdict=verdict,
        icon=icon,
        chat_url=f"https://t.me/{state.settings.telegram_bot_username}",
        switch_url=_switch_url(request, language),
        other_lang=other_language(language),
    )
    return fresh_page(body, language, state.headers, status)


def not_found(request: web.Request) -> web.StreamResponse:
    if request.path.startswith(API_PREFIX):
        return json_error(404, "not_found")
    return message_page(request, 404, "web.not_found_title", "web.not_found_text")


def json_error(status: int, error: str) -> web.Response:
    return web.json_response({"error": error}, status=status, headers={"Cache-Control": "no-store"})


def _switch_url(request: web.Request, language: str) -> str:
    return str(request.rel_url.update_query(lang=other_language(language)))


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return not_found(request)
    except web.HTTPException:
        raise  # 405 and the like: aiohttp's own plain answers are right
    except Exception:
        reference = secrets.token_hex(4)
        log.exception("web error %s on %s %s", reference, request.method, request.path[:200])
        if request.path.startswith(API_PREFIX):
            return json_error(500, "internal_error")
        return message_page(request, 500, "web.error_title", "web.error_text")


# aiohttp's server logger writes this, with request.remote as its argument.
_AIOHTTP_REQUEST_ERROR = "Error handling request from %s"


class BadRequestLog(logging.Filter):
    """aiohttp's log of a failed request, without the client's IP address.

    aiohttp logs every malformed request as an ERROR with a traceback and
    the client's address. The app promises not to keep visitors' addresses,
    and a malformed request is the client's fault, not ours: it becomes one
    INFO line naming the error (a client's first request that is not HTTP
    at all, such as TLS, stays at DEBUG, as aiohttp has it). Any other
    error keeps its level and traceback, without the address.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != _AIOHTTP_REQUEST_ERROR:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            record.msg, record.args = "web: error handling a request", None
            return True
        level = logging.DEBUG if record.levelno <= logging.DEBUG else logging.INFO
        record.levelno, record.levelname = level, logging.getLevelName(level)
        record.msg = "web: refused a malformed request (%s %s)"
        record.args = (error.code, type(error).__name__)
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(level)


BAD_REQUEST_LOG = BadRequestLog()


def quiet_bad_requests() -> None:
    """Puts BadRequestLog on aiohttp's server logger (once, however many apps start)."""
    logging.getLogger("aiohttp.server").addFilter(BAD_REQUEST_LOG)
