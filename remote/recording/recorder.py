"""The relay's ``SessionRecorder``: every message a session passes becomes a record.

Frames are stored as the exact bytes the relay forwarded (no re-encoding, no decoding:
only the rectangle headers feed the tile map); control and input messages become small
JSON records. ``on_message`` runs on the relay's asyncio loop and only buffers; the
writer's thread does the disk work. A recording failure is logged, never raised into the
relay: the session goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remote.protocol import messages as m
from remote.recording.format import FILE_SUFFIX, RecordType
from remote.recording.wire import FRAME_FORMAT
from remote.recording.writer import RecordingWriter, WriterSettings, WriterSummary

log = logging.getLogger(__name__)


def recording_path(directory: Path | str, session_id: str,
                   started: datetime | None = None) -> Path:
    """Where a session's recording goes: ``<dir>/<YYYY-MM>/<YYYYmmdd-HHMMSS>-<session>.trec``."""
    started = started or datetime.now(UTC)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in session_id)[:80]
    return (Path(directory) / started.strftime("%Y-%m")
            / f"{started.strftime('%Y%m%d-%H%M%S')}-{safe}{FILE_SUFFIX}")


class Recorder:
    """Implements ``remote.relay.interfaces.SessionRecorder`` for one session."""

    def __init__(self, path: Path | str, meta: dict[str, Any] | None = None, *,
                 settings: WriterSettings | None = None,
                 on_closed: Callable[[WriterSummary], None] | None = None,
                 background: bool = True) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # recordings are private
        meta = {"started_at": datetime.now(UTC).isoformat(), **(meta or {})}
        self.writer = RecordingWriter(path, meta, frame_format=FRAME_FORMAT, settings=settings,
                                      background=background)
        self.path = path
        self.summary: WriterSummary | None = None
        self._on_closed = on_closed
        self._control = False
        self._failed = False
        self.writer.append_json(RecordType.START, 0, meta)
        self._handlers: dict[type, Callable[[int, Any, Any, bytes], None]] = {
            m.FrameUpdate: self._frame,
            m.ScreenLayout: self._layout,
            m.CursorShape: self._cursor_shape,
            m.CursorPos: self._cursor_pos,
            m.PointerEvent: self._pointer,
            m.KeyEvent: self._key,
            m.Consent: self._consent,
            m.ConsentRequest: self._consent_request,
            m.ChatLine: self._chat,
            m.AgentJoined: self._agent_joined,
            m.MonitorSelect: self._monitor_select,
            m.ClipboardText: self._clipboard,
            m.Rating: self._rating,
            m.Bye: self._bye,
            m.PeerStatus: self._peer_status,
            m.HelpRequest: self._help_request,
        }

    @classmethod
    def create(cls, directory: Path | str, session_id: str, **meta: Any) -> Recorder:
        return cls(recording_path(directory, session_id), {"session_id": session_id, **meta})

    # ---- SessionRecorder --------------------------------------------------------------------

    def on_message(self, t_ms: int, origin: Any, message: Any, raw: bytes) -> None:
        handler = self._handlers.get(type(message))
        if handler is None or self.writer.closed:
            return
        try:
            handler(t_ms, origin, message, raw)
        except Exception:
            if not self._failed:
                log.exception("recording %s: could not record %s", self.path,
                              type(message).__name__)
            self._failed = True

    def close(self, reason: str) -> None:
        if self.summary is not None:
            return
        self.summary = self.writer.close(str(reason))
        log.info("recording %s closed (%s): %d records, %.1f s, %d bytes", self.path, reason,
                 self.summary.record_count, self.summary.duration_ms / 1000,
                 self.summary.size_bytes)
        if self._on_closed is not None:
            self._on_closed(self.summary)

    # ---- handlers ---------------------------------------------------------------------------

    def _frame(self, t: int, origin: Any, msg: m.FrameUpdate, raw: bytes) -> None:
        self.writer.append_frame(t, raw, msg.rects)

    def _layout(self, t: int, origin: Any, msg: m.ScreenLayout, raw: bytes) -> None:
        monitors = [{"x": mo.x, "y": mo.y, "width": mo.width, "height": mo.height,
                     "primary": mo.primary, "name": mo.name} for mo in msg.monitors]
        self.writer.append_layout(t, msg.width, msg.height, index=msg.index, monitors=monitors)

    def _cursor_shape(self, t: int, origin: Any, msg: m.CursorShape, raw: bytes) -> None:
        self.writer.append(RecordType.CURSOR_SHAPE, t, raw)

    def _cursor_pos(self, t: int, origin: Any, msg: m.CursorPos, raw: bytes) -> None:
        self.writer.append_cursor(RecordType.CURSOR_POS, t, msg.x, msg.y)

    def _pointer(self, t: int, origin: Any, msg: m.PointerEvent, raw: bytes) -> None:
        self.writer.append_cursor(RecordType.POINTER, t, msg.x, msg.y, buttons=msg.buttons)

    def _key(self, t: int, origin: Any, msg: m.KeyEvent, raw: bytes) -> None:
        self.writer.append_json(RecordType.KEY, t, {"keysym": msg.keysym, "down": msg.down})

    def _consent(self, t: int, origin: Any, msg: m.Consent, raw: bytes) -> None:
        level = m.ConsentLevel(msg.level)
        self.writer.append_json(RecordType.CONSENT, t, {"level": level.value})
        if level.allows_control != self._control:
            self._control = level.allows_control
            self.writer.append_json(RecordType.CONTROL, t, {"on": self._control})

    def _consent_request(self, t: int, origin: Any, msg: m.ConsentRequest, raw: bytes) -> None:
        self._event(t, "consent_requested", f"Agent asked for {msg.level} consent",
                    level=str(msg.level))

    def _chat(self, t: int, origin: Any, msg: m.ChatLine, raw: bytes) -> None:
        self.writer.append_json(RecordType.CHAT, t, {"sender": msg.sender, "text": msg.text,
                                                     "origin": _origin_name(origin)})

    def _agent_joined(self, t: int, origin: Any, msg: m.AgentJoined, raw: bytes) -> None:
        self._event(t, "agent_joined", f"{msg.agent_name} joined", agent=msg.agent_name)

    def _monitor_select(self, t: int, origin: Any, msg: m.MonitorSelect, raw: bytes) -> None:
        self._event(t, "monitor_select", f"Monitor {msg.index + 1} selected", index=msg.index)

    def _clipboard(self, t: int, origin: Any, msg: m.ClipboardText, raw: bytes) -> None:
        # The clipboard may hold secrets: record that it happened, not what it held.
        self._event(t, "clipboard", f"Clipboard sent ({len(msg.text)} characters)",
                    origin=_origin_name(origin))

    def _rating(self, t: int, origin: Any, msg: m.Rating, raw: bytes) -> None:
        self._event(t, "rating", f"Customer rated {msg.score}/5", score=msg.score,
                    comment=msg.comment)

    def _bye(self, t: int, origin: Any, msg: m.Bye, raw: bytes) -> None:
        self._event(t, "bye", f"{_origin_name(origin)} left ({m.ByeReason(msg.reason).name})",
                    origin=_origin_name(origin), reason_text=msg.text)

    def _peer_status(self, t: int, origin: Any, msg: m.PeerStatus, raw: bytes) -> None:
        state = "connected" if msg.connected else "disconnected"
        self._event(t, "peer_status", f"{msg.role} {state}", role=str(msg.role),
                    connected=msg.connected)

    def _help_request(self, t: int, origin: Any, msg: m.HelpRequest, raw: bytes) -> None:
        self._event(t, "help_requested", f"Customer asked for help: {msg.problem}"[:300],
                    problem=msg.problem)

    def _event(self, t: int, kind: str, text: str, **details: Any) -> None:
        self.writer.append_json(RecordType.EVENT, t, {"kind": kind, "text": text, **details})


def _origin_name(origin: Any) -> str:
    name = getattr(origin, "name", None)
    return str(name).lower() if name else str(origin)
