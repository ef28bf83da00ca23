"""One or more valid instances of every message type, shared by the protocol tests."""

from __future__ import annotations

from remote.protocol import messages as m
from remote.protocol.codec import MESSAGE_TYPES
from remote.protocol.encodings import EncodedRect, Encoding

LAYOUT = m.ScreenLayout(
    monitors=(m.Monitor(0, 0, 1280, 800, True, "Xvfb"), m.Monitor(1280, 0, 1024, 768)),
    index=0, width=1280, height=800,
)

FRAME = m.FrameUpdate(seq=7, rects=(
    EncodedRect(0, 0, 16, 16, Encoding.SOLID, b"\x10\x20\x30"),
    EncodedRect(16, 0, 32, 8, Encoding.ZLIB, b"x\x9c\x03\x00\x00\x00\x00\x01"),
    EncodedRect(100, 100, 64, 64, Encoding.JPEG, b"\xff\xd8jpeg-bytes\xff\xd9"),
    EncodedRect(0, 200, 50, 50, Encoding.COPY, b"\x00\x10\x00\x20"),
), full=False)

SAMPLES: tuple[object, ...] = (
    m.Hello(m.Role.ASSIST, capabilities=("enc:webp", "copy"), software="tandem-assist 0.1"),
    m.Hello(m.Role.VIEWER, version=3, min_version=1),
    m.HelpRequest("Printer does not print. 打印机不工作", {"os": {"name": "Linux"}, "cpus": 2},
                  "m-1", "ACME"),
    m.SessionCode("123456", environment={"hostname": "pc-1"}),
    m.ViewerJoin("tok.en"),
    m.Resume("r" * 43),
    m.Admitted("s-1", "resume", "Alice"),
    m.QueueStatus(3, 120),
    m.AgentJoined("Alice Chen"),
    m.PeerStatus(m.Role.ASSIST, False),
    m.ConsentRequest(m.ConsentLevel.CONTROL),
    m.Consent(m.ConsentLevel.VIEW),
    LAYOUT,
    m.MonitorSelect(1),
    m.RefreshRequest(),
    FRAME,
    m.FrameUpdate(seq=0, rects=(), full=True),
    m.FrameUpdate(seq=2**32 - 1, rects=(EncodedRect(0, 0, 1280, 800, Encoding.WEBP, b"W"),),
                  full=True),
    m.FrameAck(7),
    m.CursorShape(1, 2, 4, 3, bytes(range(48))),
    m.CursorShape(0, 0, 0, 0, b""),
    m.CursorPos(-5, 900),
    m.PointerEvent(10, 20, m.Buttons.LEFT | m.Buttons.WHEEL_UP),
    m.KeyEvent(0xFF0D, True),
    m.KeyEvent(0x61, False),
    m.ClipboardText("copied ✂ text"),
    m.ChatLine("Alice", "Hello! 你好"),
    m.RatingRequest("How did we do?"),
    m.Rating(5, "great"),
    m.Ping(1),
    m.Pong(2**32 - 1),
    m.Error(m.ErrorCode.MALFORMED, "bad"),
    m.Bye(m.ByeReason.ENDED_BY_CUSTOMER, "bye"),
)

assert {type(s) for s in SAMPLES} == set(MESSAGE_TYPES.values()), "a message type has no sample"
