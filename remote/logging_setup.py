"""One logging format for every Tandem program (hub, console, assist).

It lives in ``remote/`` because Tandem Assist may not import ``app/``; the hub and
console import it from here.
"""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Libraries that narrate routine steps at INFO (every websocket opened, every Alembic
# plugin loaded). Below DEBUG they only speak up for warnings; our own loggers are not
# affected.
CHATTY_LIBRARIES = ("websockets", "alembic.runtime.plugins")


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record.

    A handler that kept the stream it was created with would write to a closed file once
    that stream is replaced (test runners capture stderr per test; embedding apps redirect).
    """

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Configure the root logger once; later calls only change the level."""
    root = logging.getLogger()
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    if not any(getattr(h, "_tandem", False) for h in root.handlers):
        handler = _CurrentStderrHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._tandem = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if numeric <= logging.DEBUG
                                         else logging.WARNING)
