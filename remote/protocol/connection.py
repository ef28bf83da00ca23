"""The sans-I/O protocol state machine: bytes in, events out; messages in, bytes out.

No sockets, no awaits, no timers (modelled on python-websockets' ``protocol.py``). The
transport feeds each received websocket message to ``receive_data`` and sends every item of
``data_to_send()`` as one websocket message. Bad input never raises: it becomes an
``ErrorEvent``, the connection queues ``Error`` + ``Bye`` for the peer and closes; the
transport then closes the socket (``close_expected()``).

States::

    HANDSHAKE --Hello both ways--> JOINING --Admitted--> OPEN --Bye/error--> CLOSED

The relay side answers a valid client Hello itself (version negotiation). Clients call
``start()`` to queue their Hello.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from remote.protocol import messages as m
from remote.protocol.codec import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DecodeError,
    Phase,
    decode,
    encode,
    spec_for,
)
from remote.protocol.messages import ByeReason, ErrorCode, Role

log = logging.getLogger(__name__)


class State(Enum):
    HANDSHAKE = "handshake"
    JOINING = "joining"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """Bad input from the peer (or the peer's Hello could not be agreed with).

    ``code`` was sent to the peer in an ``Error``; the connection is now closed.
    """

    code: ErrorCode
    text: str


Event = Any  # a decoded message, or an ErrorEvent

#: Which peer each role talks to (clients only ever talk to the relay).
_PEERS: dict[Role, frozenset[Role]] = {
    Role.ASSIST: frozenset({Role.RELAY}),
    Role.VIEWER: frozenset({Role.RELAY}),
    Role.RELAY: frozenset({Role.ASSIST, Role.VIEWER}),
}

_BYE_FOR_ERROR: dict[ErrorCode, ByeReason] = {
    ErrorCode.UNSUPPORTED_VERSION: ByeReason.VERSION_MISMATCH,
    ErrorCode.REFUSED: ByeReason.REFUSED,
    ErrorCode.BAD_CODE: ByeReason.REFUSED,
    ErrorCode.RATE_LIMITED: ByeReason.REFUSED,
    ErrorCode.STALLED: ByeReason.STALLED,
    ErrorCode.TIMEOUT: ByeReason.TIMEOUT,
}


class ProtocolUsageError(RuntimeError):
    """Our own code tried to send something the protocol forbids now: a bug, not bad input."""


class Connection:
    """One side of one websocket connection speaking the Tandem protocol."""

    def __init__(
        self,
        role: Role,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        capabilities: Iterable[str] = (),
        software: str = "",
        min_version: int = m.MIN_PROTOCOL_VERSION,
        version: int = m.PROTOCOL_VERSION,
    ) -> None:
        self.role = role
        self.max_message_bytes = max_message_bytes
        self.capabilities = tuple(capabilities)
        self.software = software
        self.min_version = min_version
        self.max_version = version
        self.state = State.HANDSHAKE
        self.peer_hello: m.Hello | None = None
        self.version: int | None = None  # the agreed version, once both Hellos are through
        self.session_id: str | None = None
        self.resume_token: str | None = None
        self.layout: m.ScreenLayout | None = None  # last layout seen either way
        self.error: ErrorEvent | None = None
        self.bye_received: m.Bye | None = None
        self._sent_hello = False
        self._events: list[Event] = []
        self._outgoing: list[bytes] = []

    # --- public API ----------------------------------------------------------------------

    @property
    def peer_role(self) -> Role | None:
        return self.peer_hello.role if self.peer_hello else None

    def start(self) -> None:
        """Client side: queue our Hello offering ``min_version..version``."""
        if self.role is Role.RELAY:
            raise ProtocolUsageError("the relay answers Hello, it does not start")
        self.send(m.Hello(self.role, self.max_version, self.min_version, self.capabilities,
                          self.software))

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed the bytes of one websocket message. Never raises for any input."""
        if self.state is State.CLOSED:
            return
        try:
            msg = decode(data, self.max_message_bytes)
        except DecodeError as exc:
            self.fail(exc.code, exc.text)
            return
        try:
            self._accept(msg)
        except _Reject as exc:
            self.fail(exc.code, exc.text)
        except Exception:  # the last net: a bug here must not take down the hub
            log.exception("protocol state machine failed on %s", type(msg).__name__)
            self.fail(ErrorCode.INTERNAL, "internal error")

    def feed(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """``receive_data`` then ``events_received``: the one-call form."""
        self.receive_data(data)
        return self.events_received()

    def events_received(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Each item is one websocket message to send, in order."""
        out, self._outgoing = self._outgoing, []
        return out

    def close_expected(self) -> bool:
        """True once the transport should close the socket (after sending data_to_send())."""
        return self.state is State.CLOSED

    def send(self, msg: Any, raw: bytes | None = None) -> bytes:
        """Queue a message for the peer and return its bytes.

        ``raw``: the message's bytes when they are already at hand (the relay forwards what
        it received without encoding again). Raises ``ProtocolUsageError`` if the protocol
        forbids sending ``msg`` now.
        """
        self.check_send(msg)
        data = raw if raw is not None else encode(msg)
        self._outgoing.append(data)
        self._after_send(msg)
        return data

    def check_send(self, msg: Any) -> None:
        """Raise ``ProtocolUsageError`` unless ``msg`` may be sent now (``send`` checks too)."""
        spec = spec_for(msg)
        if self.state is State.CLOSED:
            raise ProtocolUsageError(f"connection closed; cannot send {spec.cls.__name__}")
        if self.role not in spec.senders and not (
            self.role is Role.RELAY and spec.senders - {self.peer_role}
        ):
            raise ProtocolUsageError(f"{self.role} may not send {spec.cls.__name__}")
        self._check_phase(spec.phase, spec.cls.__name__, outgoing=True, error=ProtocolUsageError)

    def fail(self, code: ErrorCode, text: str, *, bye_text: str = "") -> None:
        """Reject the peer: record an ErrorEvent, tell the peer (Error + Bye), close."""
        if self.state is State.CLOSED:
            return
        event = ErrorEvent(code, text)
        self.error = event
        self._events.append(event)
        self._outgoing.append(encode(m.Error(code, text[:1000])))
        reason = _BYE_FOR_ERROR.get(code, ByeReason.PROTOCOL_ERROR)
        self._outgoing.append(encode(m.Bye(reason, bye_text[:1000])))
        self.state = State.CLOSED

    def close(self, reason: ByeReason = ByeReason.NORMAL, text: str = "") -> None:
        """Say Bye and close (no-op when already closed)."""
        if self.state is not State.CLOSED:
            self.send(m.Bye(reason, text[:1000]))

    # --- internals -----------------------------------------------------------------------

    def _check_phase(self, phase: Phase, name: str, *, outgoing: bool,
                     error: type[Exception]) -> None:
        state = self.state
        if phase is Phase.ALWAYS:
            return
        if phase is Phase.HANDSHAKE:
            done = self._sent_hello if outgoing else self.peer_hello is not None
            if done or state is not State.HANDSHAKE:
                raise _usage_or_reject(error, f"{name} already sent" if outgoing
                                       else "Hello received twice")
            return
        if not self._handshake_complete(outgoing):
            raise _usage_or_reject(error, f"{name} before Hello")
        if phase is Phase.JOIN and state is not State.JOINING:
            raise _usage_or_reject(error, f"{name} after the session was joined")
        if phase is Phase.SESSION and state is not State.OPEN:
            raise _usage_or_reject(error, f"{name} before the session was joined")

    def _handshake_complete(self, outgoing: bool) -> bool:
        # Our own messages may follow our Hello; the peer's must follow its Hello.
        return self._sent_hello if outgoing else self.peer_hello is not None

    def _accept(self, msg: Any) -> None:
        spec = spec_for(msg)
        peer = self.peer_role
        if peer is not None and not self._may_receive_from(spec.senders, peer):
            raise _Reject(ErrorCode.UNEXPECTED, f"{peer} may not send {spec.cls.__name__}")
        self._check_phase(spec.phase, spec.cls.__name__, outgoing=False, error=_Reject)
        handler = self._RECEIVE_HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, msg)
        self._events.append(msg)

    def _may_receive_from(self, senders: frozenset[Role], peer: Role) -> bool:
        # The relay forwards what the other party originated, so a client accepts from the
        # relay anything a party other than itself may originate.
        if peer in senders:
            return True
        return peer is Role.RELAY and bool(senders - {self.role})

    def _on_hello(self, hello: m.Hello) -> None:
        if hello.role not in _PEERS[self.role]:
            raise _Reject(ErrorCode.UNEXPECTED, f"a {self.role} does not talk to a {hello.role}")
        if self.role is Role.RELAY:
            chosen = min(hello.version, self.max_version)
            if chosen < max(hello.min_version, self.min_version):
                raise _Reject(ErrorCode.UNSUPPORTED_VERSION, _mismatch_text(
                    hello, self.min_version, self.max_version))
            self.peer_hello = hello
            self.version = chosen
            self.send(m.Hello(Role.RELAY, chosen, chosen, self.capabilities, self.software))
        else:
            if not self.min_version <= hello.version <= self.max_version:
                raise _Reject(ErrorCode.UNSUPPORTED_VERSION, _mismatch_text(
                    hello, self.min_version, self.max_version))
            self.peer_hello = hello
            self.version = hello.version
        if self._sent_hello:
            self.state = State.JOINING

    def _on_admitted(self, msg: m.Admitted) -> None:
        self.session_id = msg.session_id
        self.resume_token = msg.resume_token
        self.state = State.OPEN

    def _on_layout(self, msg: m.ScreenLayout) -> None:
        self.layout = msg

    def _on_frame(self, msg: m.FrameUpdate) -> None:
        layout = self.layout
        if layout is None:
            raise _Reject(ErrorCode.UNEXPECTED, "FrameUpdate before ScreenLayout")
        for r in msg.rects:
            if r.x + r.w > layout.width or r.y + r.h > layout.height:
                raise _Reject(ErrorCode.MALFORMED, f"rectangle {r.x},{r.y} {r.w}x{r.h} outside "
                              f"the {layout.width}x{layout.height} screen")

    def _on_bye(self, msg: m.Bye) -> None:
        self.bye_received = msg
        self.state = State.CLOSED

    _RECEIVE_HANDLERS: dict[type, Any] = {
        m.Hello: _on_hello,
        m.Admitted: _on_admitted,
        m.ScreenLayout: _on_layout,
        m.FrameUpdate: _on_frame,
        m.Bye: _on_bye,
    }

    def _after_send(self, msg: Any) -> None:
        handler = self._SEND_HANDLERS.get(type(msg))
        if handler is not None:
            handler(self, msg)

    def _sent_hello_done(self, msg: m.Hello) -> None:
        self._sent_hello = True
        if self.peer_hello is not None:
            self.state = State.JOINING

    def _sent_admitted(self, msg: m.Admitted) -> None:
        self.session_id = msg.session_id
        self.resume_token = msg.resume_token
        self.state = State.OPEN

    def _sent_layout(self, msg: m.ScreenLayout) -> None:
        self.layout = msg

    def _sent_bye(self, msg: m.Bye) -> None:
        self.state = State.CLOSED

    _SEND_HANDLERS: dict[type, Any] = {
        m.Hello: _sent_hello_done,
        m.Admitted: _sent_admitted,
        m.ScreenLayout: _sent_layout,
        m.Bye: _sent_bye,
    }


class _Reject(Exception):
    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _usage_or_reject(error: type[Exception], text: str) -> Exception:
    if error is _Reject:
        return _Reject(ErrorCode.UNEXPECTED, text)
    return error(text)


def _mismatch_text(hello: m.Hello, low: int, high: int) -> str:
    theirs = (f"{hello.min_version}" if hello.min_version == hello.version
              else f"{hello.min_version}-{hello.version}")
    ours = f"{low}" if low == high else f"{low}-{high}"
    return (f"protocol version mismatch: the {hello.role} speaks version {theirs}, this side "
            f"speaks {ours}; update the older program")
