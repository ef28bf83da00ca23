"""``Hub(config)``: the server agents' consoles and customers' assists connect to.

One websockets server, three endpoints by path:

- ``/console``: the console API (``app.api.messages``, JSON text frames), one
  ``ConsoleConnection`` per console, handlers in ``app.hub.console_api``;
- ``/assist`` and ``/viewer``: PROTO's ``Relay`` with this hub's ``HubBroker``.

Start-up migrates the database, creates the first administrator (or the demo data),
repairs recordings a crash left open, rebuilds the queues (``Dispatcher.recover``) and
starts a ticker for ring timeouts, the upkeep (SLA, notices) and, with ``smtp_host``, the
e-mail outbox's delivery (``app.hub.mail``). Everything runs on one asyncio loop; password
hashing, screen pops and ticket queries go to worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from app.agents.models import Agent
from app.auth.bootstrap import ensure_first_admin
from app.auth.service import AuthService
from app.auth.throttle import LoginThrottle, ThrottlePolicy
from app.auth.tokens import TokenIssuer, load_or_create_secret
from app.config import Config
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade
from app.hub.broker import HubBroker
from app.hub.console import ConsoleConnection
from app.hub.console_api import ConsoleApi
from app.hub.desk import Desk
from app.hub.mail import Mailer, smtp_settings
from app.hub.presence import ConsoleRegistry
from app.hub.recordings_api import RecordingsApi
from app.hub.services import Services
from app.hub.upkeep import Upkeep
from app.recordings.service import RecordingService
from app.routing.dispatcher import Dispatcher
from remote.recording.verify import recover_recordings
from remote.relay.relay import Relay, RelaySettings
from remote.transport import is_loopback, server_ssl_context, websocket_options

log = logging.getLogger(__name__)

TICK_S = 0.25
CONSOLE_PATH, ASSIST_PATH, VIEWER_PATH = "/console", "/assist", "/viewer"


class HubConfigError(ValueError):
    """The configuration cannot be served safely (e.g. no TLS on a public address)."""


def check_listen(config: Config) -> None:
    """Refuse a non-loopback address without TLS: agents' passwords and customers'
    screens never cross a network in clear."""
    if not is_loopback(config.host) and not (config.tls_cert and config.tls_key):
        raise HubConfigError(
            f"refusing to listen on {config.host} without TLS: set tls_cert and tls_key "
            "(--tls-cert/--tls-key or TANDEM_TLS_CERT/TANDEM_TLS_KEY), or listen on 127.0.0.1")
    try:
        smtp_settings(config)
    except ValueError as exc:  # e.g. mail or an SMTP password in clear off loopback
        raise HubConfigError(f"smtp settings: {exc}") from None


class Hub:
    """See the module docstring. ``start()`` returns the ``ws://``/``wss://`` base URL."""

    def __init__(self, config: Config, *, share_recording_paths: bool = False,
                 throttle_policy: ThrottlePolicy | None = None) -> None:
        self.config = config
        self.share_recording_paths = share_recording_paths
        self.throttle_policy = throttle_policy or ThrottlePolicy()
        self.url: str | None = None
        self.notice = ""
        self.engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.desk: Desk | None = None
        self.relay: Relay | None = None
        self.registry = ConsoleRegistry()
        self._api: ConsoleApi | None = None
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._upkeep: asyncio.Task[None] | None = None
        self.mailer: Mailer | None = None
        self._consoles: set[asyncio.Task[Any]] = set()
        self._routes: dict[str, Any] = {}

    # ------------------------------------------------------------ life

    async def start(self) -> str:
        cfg = self.config
        check_listen(cfg)
        data_dir: Path = cfg.resolved_data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        url = cfg.resolved_database_url
        log.info("hub database %s", _safe_url(url))
        await asyncio.to_thread(upgrade, url)
        self.engine = make_engine(url)
        sf = self.session_factory = make_session_factory(self.engine)
        self.notice = await asyncio.to_thread(self._bootstrap, sf, data_dir)

        recordings = RecordingService(sf)
        recordings_dir = cfg.resolved_recordings_dir
        reports = await asyncio.to_thread(recover_recordings, recordings_dir)
        if reports:
            await asyncio.to_thread(recordings.recovered, reports)
            log.warning("repaired %d recording(s) left open by a previous run: %s",
                        len(reports), ", ".join(f"{r.path.name} ({r.action})" for r in reports))

        services = Services(sf, recordings, None, self.notice)
        services.recordings_api = RecordingsApi(recordings, self.share_recording_paths,
                                                services.customer_id_of)
        issuer = TokenIssuer(load_or_create_secret(data_dir))
        auth = AuthService(sf, issuer, LoginThrottle(self.throttle_policy))
        dispatcher = Dispatcher(sf, cfg)
        desk = self.desk = Desk(cfg, sf, self.registry, dispatcher, services)
        self._api = ConsoleApi(auth, self.registry, desk)
        await desk.recover()
        broker = HubBroker(desk, recordings, recordings_dir)
        self.relay = desk.relay = Relay(
            broker, RelaySettings(max_message_bytes=cfg.max_message_bytes))
        self._routes = {CONSOLE_PATH: self._serve_console,
                        ASSIST_PATH: self.relay.handle_assist,
                        VIEWER_PATH: self.relay.handle_viewer}

        ssl = server_ssl_context(cfg.tls_cert, cfg.tls_key) if cfg.tls_cert else None
        options = websocket_options(cfg.max_message_bytes)
        self._server = await serve(self._handle, cfg.host, cfg.port, ssl=ssl,
                                   process_request=self._check_path, **options)
        port = self._server.sockets[0].getsockname()[1]
        host = cfg.host if ":" not in cfg.host else f"[{cfg.host}]"
        self.url = f"{'wss' if ssl else 'ws'}://{host}:{port}"
        self._ticker = asyncio.create_task(self._tick_forever(), name="hub-ticker")
        self._upkeep = asyncio.create_task(Upkeep(sf, desk).run(), name="hub-upkeep")
        self.mailer = Mailer(sf, smtp_settings(cfg))
        self.mailer.start()
        log.info("hub serving at %s (console %s, assist %s, viewer %s)", self.url,
                 CONSOLE_PATH, ASSIST_PATH, VIEWER_PATH)
        return self.url

    async def stop(self) -> None:
        """Close consoles and sessions cleanly, stop listening, release the database."""
        for task in (self._ticker, self._upkeep):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._ticker = self._upkeep = None
        if self.mailer is not None:
            await self.mailer.stop()
        self.registry.close_all(1001, "hub stopping")
        if self.relay is not None:
            await self.relay.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self.desk is not None:
            await self.desk.close()
        if self.engine is not None:
            self.engine.dispose()
        log.info("hub stopped")

    async def serve_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Future()
        finally:
            await self.stop()

    # ------------------------------------------------------------ internals

    def _bootstrap(self, sf: sessionmaker[Session], data_dir: Path) -> str:
        """First start on an empty database: demo data (demo mode) or a first admin."""
        with sf() as db:
            has_agents = bool(db.scalar(select(func.count()).select_from(Agent)))
        if has_agents:
            return ""
        if self.config.demo:
            from app.sample_data import generate_preset
            assert self.engine is not None
            generate_preset(self.engine, "demo")
            log.info("demo data created (sign in as demo / demo)")
            return "Demo data: sign in as demo / demo."
        path = ensure_first_admin(sf, data_dir)
        return (f"First start: an administrator 'admin' was created; its password is in "
                f"{path}.") if path else ""

    def _check_path(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0].rstrip("/") or "/"
        if path not in self._routes:
            return connection.respond(http.HTTPStatus.NOT_FOUND,
                                      f"no endpoint {path[:80]}; use {CONSOLE_PATH}, "
                                      f"{ASSIST_PATH} or {VIEWER_PATH}\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0].rstrip("/") if ws.request else ""
        await self._routes[path](ws)

    async def _serve_console(self, ws: ServerConnection) -> None:
        assert self._api is not None
        console = ConsoleConnection(ws, self.config.max_message_bytes)
        try:
            await console.run(self._api.handle)
        finally:
            await self._api.disconnected(console)

    async def _tick_forever(self) -> None:
        assert self.desk is not None
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.desk.tick()
            except Exception:
                log.exception("hub tick failed")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"
