"""``EmbeddedHub``: a hub on its own thread and asyncio loop inside another program.

The console starts one on loopback when no team hub is given: ``start()`` blocks until
the hub listens and returns its URL (port 0 becomes the real port), ``stop()`` closes
everything and joins the thread. The hub's loop never shares a thread with Qt.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future

from app.config import Config
from app.hub.server import Hub

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0


class EmbeddedHub:
    def __init__(self, config: Config, **hub_options: object) -> None:
        self.config = config
        self.hub = Hub(config, share_recording_paths=True, **hub_options)  # type: ignore[arg-type]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.url: str | None = None

    @property
    def notice(self) -> str:
        """What to tell the person at the console (e.g. where the first admin's password is)."""
        return self.hub.notice

    def start(self) -> str:
        if self._thread is not None:
            raise RuntimeError("embedded hub already started")
        started: Future[str] = Future()
        self._thread = threading.Thread(target=self._run, args=(started,),
                                        name="tandem-embedded-hub", daemon=True)
        self._thread.start()
        self.url = started.result(START_TIMEOUT_S)
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopped.set)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("embedded hub did not stop within %.0f s", timeout)
            self._thread = None

    def __enter__(self) -> EmbeddedHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, started: Future[str]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main(started))
        except BaseException as exc:  # start failed: report it to start()'s caller
            if not started.done():
                started.set_exception(exc)
            else:
                log.exception("embedded hub crashed")
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, started: Future[str]) -> None:
        self._stopped = asyncio.Event()
        try:
            url = await self.hub.start()
        except BaseException:
            await self.hub.stop()
            raise
        started.set_result(url)
        try:
            await self._stopped.wait()
        finally:
            await self.hub.stop()
