"""One Tandem Assist session over the hub's relay (asyncio side).

Connects to ``ws(s)://hub/assist``, asks for help (or joins with a session code), then
reacts to what the relay forwards through a handler table. The customer's consent is
enforced here, independently of the relay: the screen streamer sends nothing before
consent allows viewing, and input is injected only while consent is ``control`` (checked
at every event, so a withdrawal takes effect with the next event). The UI talks to the
session only through the thread-safe command methods (``set_consent``, ``stop``, ...).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from remote.assist.consent import ConsentGate
from remote.assist.flow import FlowControl
from remote.protocol import messages as m
from remote.protocol.messages import ByeReason, ConsentLevel, Role

log = logging.getLogger(__name__)

SOFTWARE = "tandem-assist/0.1"
CAPABILITIES = ("jpeg", "webp", "zlib", "copy", "cursor")


@dataclass(frozen=True, slots=True)
class AssistOptions:
    hub: str
    problem: str = ""
    code: str | None = None
    monitor: int = 0
    auto_consent: ConsentLevel | None = None
    display: str | None = None
    allow_insecure: bool = False
    reconnect_s: float = 30.0
    max_fps: float = 60.0
    window: int = 4


class AssistUI(Protocol):
    """What the session tells the customer. Called on the session's thread; must not block.

    ``consent_requested`` asks the customer; the answer comes back through
    ``AssistSession.set_consent``.
    """

    def status(self, text: str) -> None: ...
    def queue_status(self, position: int, eta_s: int) -> None: ...
    def agent_joined(self, name: str) -> None: ...
    def consent_requested(self, agent: str, level: ConsentLevel) -> None: ...
    def consent_changed(self, level: ConsentLevel) -> None: ...
    def peer_status(self, role: Role, connected: bool) -> None: ...
    def chat(self, sender: str, text: str) -> None: ...
    def clipboard(self, text: str) -> None: ...
    def rating_requested(self, prompt: str) -> None: ...
    def ended(self, text: str) -> None: ...


@dataclass
class SessionStats:
    injected: int = 0
    refused_input: int = 0
    frames: int = 0


class AssistSession:
    """Runs one session; ``run()`` returns the sentence that says how it ended."""

    def __init__(self, options: AssistOptions, ui: AssistUI,
                 report: Callable[[], tuple[Mapping[str, Any], str, str]]) -> None:
        self.options = options
        self.ui = ui
        self._report = report  # -> (environment, machine_id, customer_code)
        self.gate = ConsentGate()
        self.flow = FlowControl(window=options.window)
        self.stats = SessionStats()
        self.agent = ""
        self.session_id: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sock: Any = None
        self._streamer: Any = None
        self._injector: Any = None
        self._stopping = False
        self._ended_text = ""
        self._handlers: dict[type, Callable[[Any], None]] = {
            m.Admitted: self._on_admitted,
            m.QueueStatus: self._on_queue,
            m.AgentJoined: self._on_agent_joined,
            m.ConsentRequest: self._on_consent_request,
            m.PeerStatus: self._on_peer_status,
            m.FrameAck: self._on_ack,
            m.RefreshRequest: self._on_refresh,
            m.MonitorSelect: self._on_monitor,
            m.PointerEvent: self._on_pointer,
            m.KeyEvent: self._on_key,
            m.ClipboardText: self._on_clipboard,
            m.ChatLine: self._on_chat,
            m.RatingRequest: self._on_rating_request,
            m.Pong: lambda msg: None,
        }

    # -- commands from the UI (any thread) ----------------------------------------------

    def set_consent(self, level: ConsentLevel) -> None:
        self._call(self._apply_consent, level)

    def stop(self) -> None:
        """The customer ends the session."""
        self._call(self._stop)

    def send_chat(self, text: str) -> None:
        self._call(self._send, m.ChatLine("customer", text[:m.MAX_TEXT]))

    def send_rating(self, score: int, comment: str = "") -> None:
        self._call(self._send, m.Rating(score, comment[:m.MAX_TEXT]))

    def send_clipboard(self, text: str) -> None:
        """Customer's clipboard to the agent: only while the agent may see the screen."""
        if self.gate.allows_view:
            self._call(self._send, m.ClipboardText(text[:m.MAX_CLIPBOARD]))

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    # -- the session ---------------------------------------------------------------------

    async def run(self) -> str:
        from remote import transport

        self._loop = asyncio.get_running_loop()
        environment, machine_id, customer_code = self._report()
        request: Any
        if self.options.code:
            request = m.SessionCode(self.options.code, self.options.problem, environment,
                                    machine_id, customer_code)
        else:
            request = m.HelpRequest(self.options.problem, environment, machine_id,
                                    customer_code)
        resume_token: str | None = None
        deadline = 0.0
        try:
            while not self._stopping:
                self.ui.status("Connecting to the support desk…")
                try:
                    self._sock = await transport.connect(
                        self.options.hub, Role.ASSIST, allow_insecure=self.options.allow_insecure,
                        capabilities=CAPABILITIES, software=SOFTWARE)
                    await self._sock.send(m.Resume(resume_token) if resume_token else request)
                    self.ui.status("Waiting for an agent…" if not resume_token
                                   else "Reconnected.")
                    await self._receive_loop()
                    break  # the peer said Bye: the session is over
                except transport.PeerClosed as exc:
                    if self._stopping:
                        break
                    if exc.bye is not None or exc.error is not None:
                        self._ended_text = exc.text if exc.error else _bye_text(exc.bye)
                        break
                    resume_token = self._sock.conn.resume_token if self._sock else None
                except transport.ProtocolFailure as exc:
                    self._ended_text = f"Protocol error: {exc.text}"
                    break
                except transport.TransportError as exc:
                    if resume_token is None:
                        self._ended_text = exc.text
                        break
                # The connection dropped: resume within the grace period.
                if not resume_token:
                    self._ended_text = self._ended_text or "The connection was lost."
                    break
                deadline = deadline or time.monotonic() + self.options.reconnect_s
                if time.monotonic() > deadline:
                    self._ended_text = "The connection was lost."
                    break
                self.ui.status("Connection lost; reconnecting…")
                self.flow.reset_in_flight()
                await asyncio.sleep(0.5)
        finally:
            await self._shutdown()
        text = self._ended_text or "The session has ended."
        self.ui.ended(text)
        return text

    async def _receive_loop(self) -> None:
        while True:
            msg = await self._sock.receive()
            handler = self._handlers.get(type(msg))
            if handler is None:
                log.debug("ignoring %s", type(msg).__name__)
                continue
            try:
                handler(msg)
            except Exception:  # one odd event from the agent must not end the session
                log.exception("handling %s failed", type(msg).__name__)

    async def _shutdown(self) -> None:
        self.gate.set(ConsentLevel.NONE)
        streamer, self._streamer = self._streamer, None
        if streamer is not None:
            await asyncio.get_running_loop().run_in_executor(None, streamer.stop)
        injector, self._injector = self._injector, None
        if injector is not None:
            injector.close()
        if self._sock is not None and not self._sock.closed:
            await self._sock.close(ByeReason.NORMAL)

    # -- sending -----------------------------------------------------------------------

    def _send(self, msg: Any) -> None:
        sock = self._sock
        if sock is None or sock.closed:
            return
        try:
            sock.conn.send(msg)
        except Exception as exc:  # not allowed in this phase (e.g. before Admitted)
            log.debug("not sent: %s (%s)", type(msg).__name__, exc)
            return
        asyncio.ensure_future(sock.flush())

    def _send_screen(self, msg: Any) -> None:
        """Screen messages from the capture thread; consent is checked again right here.

        After a reconnect, pixels made for the old connection are dropped until the
        streamer has sent this connection its ScreenLayout (then a full frame follows).
        """
        if not self.gate.allows_view:
            return
        sock = self._sock
        if not isinstance(msg, m.ScreenLayout) and (sock is None or sock.conn.layout is None):
            return
        if isinstance(msg, m.FrameUpdate):
            self.stats.frames += 1
        self._send(msg)

    def _screen_sink(self, msg: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._send_screen, msg)

    # -- consent -----------------------------------------------------------------------

    def _apply_consent(self, level: ConsentLevel) -> None:
        previous = self.gate.set(level)
        if previous.allows_control and not level.allows_control and self._injector is not None:
            self._injector.release_all()
        if level.allows_control and self._injector is None:
            self._injector = self._make_injector()
        self._send(m.Consent(level))
        self.ui.consent_changed(level)
        if level.allows_view:
            if self._streamer is None:
                self._start_streamer()
            elif not previous.allows_view:
                self.flow.reset_in_flight()
                self._streamer.request_full()
        if level is not previous:
            log.info("consent %s -> %s", previous.value, level.value)

    def _make_injector(self) -> Any:
        try:
            from remote.inject.x11 import X11Injector

            return X11Injector(self.options.display)
        except Exception as exc:
            log.warning("remote control is not available here: %s", exc)
            self.ui.status(f"Remote control is not available on this computer: {exc}")
            return None

    def _start_streamer(self) -> None:
        from remote.assist.streamer import ScreenStreamer

        self._streamer = ScreenStreamer(self.gate, self.flow, self._screen_sink,
                                        monitor=self.options.monitor,
                                        display=self.options.display,
                                        max_fps=self.options.max_fps,
                                        on_error=self._capture_failed)
        self._streamer.start()

    def _capture_failed(self, exc: Exception) -> None:  # capture thread
        text = f"Screen sharing stopped: {exc}"
        self._call(self.ui.status, text)
        self._call(self._send, m.ChatLine("Tandem Assist", text[:m.MAX_TEXT]))

    def _stop(self) -> None:
        self._stopping = True
        self.gate.set(ConsentLevel.NONE)
        if self._injector is not None:
            self._injector.release_all()
        sock = self._sock
        if sock is not None and not sock.closed:
            asyncio.ensure_future(sock.close(ByeReason.ENDED_BY_CUSTOMER,
                                             "The customer ended the session."))
        self._ended_text = "You ended the session."

    # -- handlers ----------------------------------------------------------------------

    def _on_admitted(self, msg: m.Admitted) -> None:
        self.session_id = msg.session_id
        if msg.agent_name:
            self.agent = msg.agent_name
        level = self.gate.level
        if level is not ConsentLevel.NONE:  # resumed: tell the relay where we stand
            self._send(m.Consent(level))
            self.flow.reset_in_flight()
            if self._streamer is not None:
                self._streamer.select_monitor(self._streamer_monitor())

    def _streamer_monitor(self) -> int:
        mon = getattr(self._streamer, "monitor", None)
        return mon.index if mon is not None else self.options.monitor

    def _on_queue(self, msg: m.QueueStatus) -> None:
        self.ui.queue_status(msg.position, msg.eta_s)

    def _on_agent_joined(self, msg: m.AgentJoined) -> None:
        self.agent = msg.agent_name
        self.ui.agent_joined(msg.agent_name)
        if self.gate.level is ConsentLevel.NONE:
            self._ask_consent(ConsentLevel.CONTROL)

    def _on_consent_request(self, msg: m.ConsentRequest) -> None:
        if msg.level is not self.gate.level:
            self._ask_consent(msg.level)

    def _ask_consent(self, level: ConsentLevel) -> None:
        auto = self.options.auto_consent
        if auto is not None:
            log.warning("AUTO-CONSENT: granting %r to %s without asking the customer "
                        "(demo/test/benchmark mode)", auto.value, self.agent or "the agent")
            self._apply_consent(auto)
            return
        self.ui.consent_requested(self.agent, level)

    def _on_peer_status(self, msg: m.PeerStatus) -> None:
        self.ui.peer_status(msg.role, msg.connected)

    def _on_ack(self, msg: m.FrameAck) -> None:
        self.flow.on_ack(msg.seq)
        if self._streamer is not None:
            self._streamer.wake()

    def _on_refresh(self, msg: m.RefreshRequest) -> None:
        self.flow.reset_in_flight()
        if self._streamer is not None:
            self._streamer.request_full()

    def _on_monitor(self, msg: m.MonitorSelect) -> None:
        if self._streamer is not None and self.gate.allows_view:
            self._streamer.select_monitor(msg.index)

    def _may_inject(self) -> bool:
        if self.gate.allows_control and self._injector is not None:
            return True
        self.stats.refused_input += 1
        return False

    def _on_pointer(self, msg: m.PointerEvent) -> None:
        if self._may_inject():
            mon = getattr(self._streamer, "monitor", None)
            x, y = msg.x, msg.y
            if mon is not None:  # stay on the shared monitor whatever the agent sends
                x = mon.x + min(x, mon.width - 1)
                y = mon.y + min(y, mon.height - 1)
            self._injector.pointer(x, y, msg.buttons)
            self.stats.injected += 1

    def _on_key(self, msg: m.KeyEvent) -> None:
        if self._may_inject():
            try:
                self._injector.key(msg.keysym, msg.down)
                self.stats.injected += 1
            except Exception as exc:  # e.g. no spare keycode: drop this key, keep the session
                log.warning("key 0x%x not typed: %s", msg.keysym, exc)

    def _on_clipboard(self, msg: m.ClipboardText) -> None:
        if self.gate.allows_control:
            self.ui.clipboard(msg.text)
        else:
            self.stats.refused_input += 1

    def _on_chat(self, msg: m.ChatLine) -> None:
        self.ui.chat(msg.sender, msg.text)

    def _on_rating_request(self, msg: m.RatingRequest) -> None:
        self.ui.rating_requested(msg.prompt)


def _bye_text(bye: m.Bye | None) -> str:
    texts = {
        ByeReason.ENDED_BY_AGENT: "The agent ended the session.",
        ByeReason.ENDED_BY_CUSTOMER: "You ended the session.",
        ByeReason.VERSION_MISMATCH: "This Tandem Assist is too old or too new for the hub.",
        ByeReason.SHUTDOWN: "The support desk is shutting down.",
        ByeReason.PEER_LOST: "The agent's connection was lost.",
    }
    if bye is None:
        return "The session has ended."
    return bye.text or texts.get(bye.reason, "The session has ended.")
