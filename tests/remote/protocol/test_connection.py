"""The sans-I/O state machine, driven with bytes alone: two Connections talk to each other."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remote.protocol import messages as m
from remote.protocol.codec import decode, encode
from remote.protocol.connection import Connection, ErrorEvent, ProtocolUsageError, State
from remote.protocol.encodings import EncodedRect, Encoding
from remote.protocol.messages import ByeReason, ErrorCode, Role
from tests.remote.protocol.samples import FRAME, LAYOUT, SAMPLES


def pump(src: Connection, dst: Connection) -> list[object]:
    events: list[object] = []
    for data in src.data_to_send():
        events.extend(dst.feed(data))
    return events


def joined(role: Role = Role.ASSIST) -> tuple[Connection, Connection]:
    """A client and the relay, past Hello and Admitted."""
    client, relay = Connection(role), Connection(Role.RELAY)
    client.start()
    assert pump(client, relay) == [m.Hello(role)]
    assert pump(relay, client) == [m.Hello(Role.RELAY)]
    assert client.state is relay.state is State.JOINING
    client.send(m.HelpRequest("x") if role is Role.ASSIST else m.ViewerJoin("t"))
    pump(client, relay)
    relay.send(m.Admitted("s1", "resume-1"))
    assert pump(relay, client) == [m.Admitted("s1", "resume-1")]
    assert client.state is relay.state is State.OPEN
    assert client.session_id == "s1" and client.resume_token == "resume-1"
    return client, relay


def assert_rejected(conn: Connection, data: bytes, code: ErrorCode) -> None:
    events = conn.feed(data)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent), events
    assert events[0].code is code
    assert conn.state is State.CLOSED and conn.close_expected()
    error, bye = (decode(d) for d in conn.data_to_send())
    assert isinstance(error, m.Error) and error.code is code
    assert isinstance(bye, m.Bye)
    assert conn.feed(encode(m.Ping(1))) == []  # closed: later input is ignored


def test_assist_session_flows_both_ways() -> None:
    assist, relay = joined(Role.ASSIST)
    assist.send(LAYOUT)
    assist.send(FRAME)
    assist.send(m.Consent(m.ConsentLevel.CONTROL))
    assert pump(assist, relay) == [LAYOUT, FRAME, m.Consent(m.ConsentLevel.CONTROL)]
    relay.send(m.PointerEvent(1, 2, 1))  # forwarded from the viewer
    relay.send(m.QueueStatus(0, 0))
    assert pump(relay, assist) == [m.PointerEvent(1, 2, 1), m.QueueStatus(0, 0)]
    assist.close(ByeReason.ENDED_BY_CUSTOMER)
    assert pump(assist, relay) == [m.Bye(ByeReason.ENDED_BY_CUSTOMER)]
    assert assist.state is relay.state is State.CLOSED


def test_viewer_session_flows_both_ways() -> None:
    viewer, relay = joined(Role.VIEWER)
    relay.send(LAYOUT)
    relay.send(FRAME)
    assert pump(relay, viewer) == [LAYOUT, FRAME]
    viewer.send(m.FrameAck(FRAME.seq))
    viewer.send(m.KeyEvent(0x61, True))
    assert pump(viewer, relay) == [m.FrameAck(7), m.KeyEvent(0x61, True)]


def hello(role: Role) -> bytes:
    return encode(m.Hello(role))


# (what the relay has seen so far, the offending message, the error it must produce)
RELAY_REJECTS = [
    ([], encode(m.Ping(1)), ErrorCode.UNEXPECTED),  # nothing before Hello
    ([], encode(m.HelpRequest()), ErrorCode.UNEXPECTED),
    ([], hello(Role.RELAY), ErrorCode.UNEXPECTED),  # a relay does not talk to a relay
    ([hello(Role.ASSIST)], hello(Role.ASSIST), ErrorCode.UNEXPECTED),  # Hello twice
    ([hello(Role.ASSIST)], encode(LAYOUT), ErrorCode.UNEXPECTED),  # before Admitted
    ([hello(Role.ASSIST)], encode(m.Admitted("s", "r")), ErrorCode.UNEXPECTED),  # wrong way
    ([hello(Role.ASSIST)], encode(m.ViewerJoin("t")), ErrorCode.UNEXPECTED),  # wrong role
    ([hello(Role.VIEWER)], encode(m.HelpRequest()), ErrorCode.UNEXPECTED),
    ([hello(Role.ASSIST)], b"\x7f", ErrorCode.UNKNOWN_TYPE),
    ([hello(Role.ASSIST)], b"\x02not json", ErrorCode.MALFORMED),
    ([hello(Role.ASSIST)], b"\x02" + b" " * 300_000, ErrorCode.TOO_LARGE),
    ([], encode(m.Hello(Role.ASSIST, version=9, min_version=5)), ErrorCode.UNSUPPORTED_VERSION),
]


@pytest.mark.parametrize(("before", "data", "code"), RELAY_REJECTS)
def test_relay_rejects_out_of_order_and_bad_input(before: list[bytes], data: bytes,
                                                  code: ErrorCode) -> None:
    relay = Connection(Role.RELAY)
    for item in before:
        assert not any(isinstance(e, ErrorEvent) for e in relay.feed(item))
    relay.data_to_send()
    assert_rejected(relay, data, code)


@pytest.mark.parametrize(("role", "msg"), [
    (Role.ASSIST, FRAME),  # the assist may not receive its own kind of message
    (Role.ASSIST, m.Consent(m.ConsentLevel.VIEW)),
    (Role.VIEWER, m.PointerEvent(0, 0)),
    (Role.VIEWER, m.Admitted("s", "r")),  # join phase is over
    (Role.VIEWER, FRAME),  # before any ScreenLayout
])
def test_client_rejects_wrong_direction_and_order(role: Role, msg: object) -> None:
    client, _ = joined(role)
    assert_rejected(client, encode(msg), ErrorCode.UNEXPECTED)


def test_frame_outside_the_screen_is_malformed() -> None:
    viewer, relay = joined(Role.VIEWER)
    relay.send(LAYOUT)
    pump(relay, viewer)
    outside = m.FrameUpdate(1, (EncodedRect(1270, 0, 20, 20, Encoding.SOLID, b"abc"),))
    assert_rejected(viewer, encode(outside), ErrorCode.MALFORMED)


def test_connection_size_limit() -> None:
    viewer = Connection(Role.VIEWER, max_message_bytes=1024)
    viewer.start()
    viewer.data_to_send()
    assert_rejected(viewer, encode(m.Hello(Role.RELAY)) + b" " * 2000, ErrorCode.TOO_LARGE)


def test_version_mismatch_is_explained_to_both_sides() -> None:
    new_assist = Connection(Role.ASSIST, min_version=2, version=3)
    relay = Connection(Role.RELAY)  # speaks 1 only
    new_assist.start()
    [event] = pump(new_assist, relay)
    assert isinstance(event, ErrorEvent) and event.code is ErrorCode.UNSUPPORTED_VERSION
    assert "2-3" in event.text and "speaks 1" in event.text
    error, bye = pump(relay, new_assist)
    assert isinstance(error, m.Error) and error.code is ErrorCode.UNSUPPORTED_VERSION
    assert error.text == event.text
    assert bye == m.Bye(ByeReason.VERSION_MISMATCH)
    assert new_assist.state is State.CLOSED and new_assist.bye_received == bye


def test_version_negotiation_picks_highest_common() -> None:
    viewer = Connection(Role.VIEWER, min_version=1, version=4)
    relay = Connection(Role.RELAY, min_version=1, version=2)
    viewer.start()
    pump(viewer, relay)
    assert pump(relay, viewer) == [m.Hello(Role.RELAY, 2, 2)]
    assert viewer.version == relay.version == 2


def test_client_rejects_relay_hello_outside_its_range() -> None:
    viewer = Connection(Role.VIEWER, min_version=2, version=2)
    viewer.start()
    viewer.data_to_send()
    assert_rejected(viewer, encode(m.Hello(Role.RELAY, 1, 1)), ErrorCode.UNSUPPORTED_VERSION)


def test_sending_out_of_order_is_our_bug() -> None:
    assist = Connection(Role.ASSIST)
    with pytest.raises(ProtocolUsageError):
        assist.send(m.HelpRequest())  # before Hello
    assist.start()
    with pytest.raises(ProtocolUsageError):
        assist.start()
    with pytest.raises(ProtocolUsageError):
        assist.send(m.PointerEvent(0, 0))  # a viewer's message
    relay = Connection(Role.RELAY)
    with pytest.raises(ProtocolUsageError):
        relay.start()


def test_fail_is_idempotent_and_bye_ends_the_connection() -> None:
    assist, relay = joined()
    relay.fail(ErrorCode.STALLED, "stopped reading")
    relay.fail(ErrorCode.MALFORMED, "ignored")
    error, bye = pump(relay, assist)
    assert error == m.Error(ErrorCode.STALLED, "stopped reading")
    assert bye == m.Bye(ByeReason.STALLED)
    with pytest.raises(ProtocolUsageError):
        relay.send(m.Ping(1))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=64), st.sampled_from([encode(s) for s in SAMPLES])),
                max_size=12),
       st.sampled_from([Role.ASSIST, Role.VIEWER]))
def test_fuzzed_input_never_raises(chunks: list[bytes], role: Role) -> None:
    """Any sequence of valid and random messages: events or one ErrorEvent, never a crash."""
    for side in ("relay", "client"):
        if side == "relay":
            conn = Connection(Role.RELAY)
            conn.feed(hello(role))
        else:
            conn, _ = joined(role)
        conn.data_to_send()
        for data in chunks:
            events = conn.feed(data)
            if any(isinstance(e, ErrorEvent) for e in events):
                assert conn.state is State.CLOSED
                assert isinstance(decode(conn.data_to_send()[-1]), m.Bye)
