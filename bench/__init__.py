"""Benchmarks of OCOP Assistant through the loopback fake Bot API.

`python -m bench` runs every benchmark, `python -m bench NAME` one of them
(`python -m bench --list` names them). Each benchmark starts the bot under
test as a separate OS process (`ocop-bot run`) against a `FakeBotAPI` on
127.0.0.1 that lives in the benchmark process together with the simulated
users, and stops by itself. The figures of the latest run are in
BENCHMARKS.md at the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bot/, storage/ and testkit/ of this tree
    sys.path.insert(0, str(ROOT))
