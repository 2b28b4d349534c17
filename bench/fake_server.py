"""The fake Bot API in a process of its own, for benchmarks whose bot processes must not
share one fake's CPU (bench/webhook_bench.py gives each worker its own, as Telegram's
servers are never the bottleneck).

    python -m bench.fake_server --users FIRST:COUNT

Prints "port N" once listening, then "getMe" each time a bot asks who it is; serves
until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from testkit.fake_bot_api import FakeBotAPI


class AnnouncingAPI(FakeBotAPI):
    async def _get_me(self, params: Any, uploads: Any) -> Any:
        print("getMe", flush=True)
        return await super()._get_me(params, uploads)


async def serve(first: int, count: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with AnnouncingAPI() as api:
        for user_id in range(first, first + count):
            api.user(user_id, "Lan", "vi")
        print(f"port {api.port}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", required=True, metavar="FIRST:COUNT")
    first, count = (int(part) for part in parser.parse_args().users.split(":"))
    asyncio.run(serve(first, count))


if __name__ == "__main__":
    main()
