"""The console API codec, tested with text and bytes alone."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.api import messages as m

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def samples() -> list[m.Message]:
    """One filled-in instance of every registered message type."""
    summary = m.TicketSummary(ticket_id=3, number="T-3", title="Login fails", status="new",
                              priority="high", created_at=NOW)
    rec = m.RecordingSummary(recording_id=9, session_id=4, started_at=NOW, duration_ms=1200)
    return [
        m.Ok(request_id=1), m.Error(code="not_found", text="no such ticket", request_id=2),
        m.Ping(request_id=3), m.Pong(request_id=3),
        m.Login(login="demo", password="pässword", request_id=4),
        m.Resume(token="tok", request_id=5),
        m.LoginOk(token="tok", agent=m.AgentProfile(1, "demo", "Demo Agent", m.Role.AGENT,
                                                    languages=("en", "zh")),
                  expires_at=NOW + timedelta(hours=8), request_id=4),
        m.LoginFailed(reason="wrong login or password", retry_after_s=2.0, request_id=4),
        m.Logout(request_id=6),
        m.SetStatus(status=m.AgentState.NOT_READY, reason="lunch", request_id=7),
        m.StatusChanged(status=m.AgentState.READY, since=NOW),
        m.QueueStats(waiting=3, longest_wait_s=12.5, agents_ready=1),
        m.Ring(offer_id="o-1", contact_id=5, caller="李雷", company="华夏软件", tier="SVIP",
               channel=m.Channel.ASSIST, problem="打印失败", queued_at=NOW,
               expires_at=NOW + timedelta(seconds=20),
               profile={"customer": {"code": "C1", "tiers": [1, 2]}, "known": True}),
        m.RingCancelled(offer_id="o-1", reason="timeout"),
        m.Accept(offer_id="o-1", request_id=8),
        m.Accepted(offer_id="o-1", contact_id=5, session_id="s-1", viewer_path="/viewer",
                   viewer_token="vt", request_id=8),
        m.AcceptFailed(offer_id="o-1", reason="taken by another agent", request_id=8),
        m.Decline(offer_id="o-1", request_id=9),
        m.SessionCodeRequest(problem="x", request_id=10),
        m.SessionCode(code="123456", expires_at=NOW, request_id=10),
        m.CodeRedeemed(code="123456", contact_id=5, session_id="s-2", viewer_path="/viewer",
                       viewer_token="vt2"),
        m.SessionEnded(session_id="s-1", contact_id=5, reason="customer_ended"),
        m.EndSession(session_id="s-1", request_id=11),
        m.ScreenPopRequest(contact_id=5, request_id=12),
        m.ScreenPop(contact_id=5, profile={"unknown": True}, request_id=12),
        m.WrapUp(contact_id=5, session_id="s-1",
                 fields=m.WrapUpFields(classification=m.Classification.HOW_TO, product="ERP",
                                       solved=True, notes="explained"), request_id=13),
        m.WrapUpDone(ticket_id=3, number="T-3", request_id=13),
        m.TicketsQuery(filters=m.TicketFilters(mine=True, status=("new", "assigned")),
                       request_id=14),
        m.TicketsResult(tickets=(summary,), total=1, request_id=14),
        m.TicketDetailRequest(ticket_id=3, request_id=15),
        m.SlaAlert(ticket_id=3, number="T-3", target="resolution", fraction=0.75,
                   threshold_at=NOW),
        m.TicketDetail(ticket=summary, events=(m.TicketEventItem(at=NOW, kind="created",
                                                                 details={"by": "demo"}),),
                       sessions=(m.SessionItem(session_id=4, started_at=NOW),),
                       recordings=(rec,), request_id=15),
        m.RecordingListQuery(filters=m.RecordingFilters(unscored=True, since=NOW),
                             request_id=16),
        m.RecordingList(recordings=(rec,), total=1, request_id=16),
        m.RecordingOpen(recording_id=9, request_id=17),
        m.RecordingOpened(recording=rec, size_bytes=1000, path="/tmp/x.tndrec", request_id=17),
        m.RecordingChunkRequest(recording_id=9, offset=0, request_id=18),
        m.RecordingChunk(recording_id=9, offset=0, data_b64="AAEC", eof=True, request_id=18),
        m.ScorecardRequest(request_id=19),
        m.Scorecard(criteria=(m.ScoreCriterion("greeting", "Greeting"),), request_id=19),
        m.SaveReview(recording_id=9, scores={"greeting": 4}, comment="ok", request_id=20),
        m.ReviewSaved(review_id=1, request_id=20),
        m.ReviewsQuery(recording_id=9, request_id=21),
        m.ReviewsResult(reviews=(m.ReviewItem(1, 9, "qa", {"greeting": 4}, "ok", NOW),),
                        request_id=21),
    ]


def test_every_registered_type_has_a_sample() -> None:
    assert {type(s).TYPE for s in samples()} == set(m.REGISTRY)


@pytest.mark.parametrize("msg", samples(), ids=lambda s: type(s).TYPE)
def test_round_trip(msg: m.Message) -> None:
    text = m.encode(msg)
    assert m.decode(text) == msg
    assert m.decode(text.encode("utf-8")) == msg
    envelope = json.loads(text)
    assert envelope["v"] == m.API_VERSION and envelope["type"] == type(msg).TYPE


def test_password_and_token_never_in_repr() -> None:
    assert "secret" not in repr(m.Login(login="a", password="secret"))
    assert "secret" not in repr(m.Resume(token="secret"))


def envelope(**overrides: object) -> str:
    base: dict[str, object] = {"v": m.API_VERSION, "type": "accept", "request_id": 1,
                               "body": {"offer_id": "o"}}
    base.update(overrides)
    return json.dumps(base)


BAD = {
    "not json": ("{nope", m.ErrorCode.MALFORMED),
    "not an object": ("[1, 2]", m.ErrorCode.MALFORMED),
    "not utf-8": (b"\xff\xfe{}", m.ErrorCode.MALFORMED),
    "wrong version": (envelope(v=99), m.ErrorCode.VERSION),
    "no version": (json.dumps({"type": "ok", "body": {}}), m.ErrorCode.VERSION),
    "unknown type": (envelope(type="launch_missiles"), m.ErrorCode.UNKNOWN_TYPE),
    "type not a string": (envelope(type=5), m.ErrorCode.MALFORMED),
    "negative request id": (envelope(request_id=-1), m.ErrorCode.MALFORMED),
    "bool request id": (envelope(request_id=True), m.ErrorCode.MALFORMED),
    "extra envelope key": (envelope(extra=1), m.ErrorCode.MALFORMED),
    "body not object": (envelope(body=[1]), m.ErrorCode.MALFORMED),
    "missing field": (envelope(body={}), m.ErrorCode.BAD_FIELD),
    "unknown field": (envelope(body={"offer_id": "o", "x": 1}), m.ErrorCode.BAD_FIELD),
    "wrong field type": (envelope(body={"offer_id": 5}), m.ErrorCode.BAD_FIELD),
    "bad enum": (envelope(type="set_status", body={"status": "asleep"}), m.ErrorCode.BAD_FIELD),
    "naive time": (envelope(type="status_changed",
                            body={"status": "ready", "since": "2026-01-01T00:00:00"}),
                   m.ErrorCode.BAD_FIELD),
    "not a time": (envelope(type="status_changed", body={"status": "ready", "since": "soon"}),
                   m.ErrorCode.BAD_FIELD),
    "nan number": ('{"v":1,"type":"queue_stats","request_id":0,'
                   '"body":{"waiting":1,"longest_wait_s":NaN}}', m.ErrorCode.BAD_FIELD),
    "nested bad": (envelope(type="wrap_up", body={"contact_id": 1,
                                                  "fields": {"classification": "rant"}}),
                   m.ErrorCode.BAD_FIELD),
    "list item bad": (envelope(type="tickets_result", body={"tickets": [1], "total": 1}),
                      m.ErrorCode.BAD_FIELD),
    "deep nesting": ("[" * 100_000 + "]" * 100_000, m.ErrorCode.MALFORMED),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_raises_api_error_with_code(name: str) -> None:
    text, code = BAD[name]
    with pytest.raises(m.ApiError) as info:
        m.decode(text)
    assert info.value.code == code
    assert info.value.text


def test_oversized_rejected_before_parsing() -> None:
    text = envelope(body={"offer_id": "x" * 2000})
    with pytest.raises(m.ApiError) as info:
        m.decode(text, max_chars=1000)
    assert info.value.code == m.ErrorCode.TOO_LARGE
    with pytest.raises(m.ApiError):
        m.decode(text.encode(), max_chars=1000)


def test_field_error_names_the_field() -> None:
    with pytest.raises(m.ApiError) as info:
        m.decode(envelope(type="wrap_up", body={"contact_id": 1,
                                                 "fields": {"classification": "rant"}}))
    assert "fields.classification" in info.value.text


def test_encode_refuses_naive_time_and_unregistered_class() -> None:
    with pytest.raises(ValueError):
        m.encode(m.StatusChanged(status=m.AgentState.READY, since=datetime(2026, 1, 1)))

    @dataclasses.dataclass(frozen=True)
    class Stray(m.Message):
        pass

    with pytest.raises(TypeError):
        m.encode(Stray())


def test_reply_to_copies_request_id() -> None:
    reply = m.reply_to(m.Accept(offer_id="o", request_id=42), m.Ok())
    assert reply.request_id == 42
    assert m.error_for(m.ApiError("not_found", "gone"), 7) == m.Error(code="not_found",
                                                                      text="gone", request_id=7)


def test_kinds_are_declared() -> None:
    assert m.Login.KIND is m.Kind.REQUEST
    assert m.Ring.KIND is m.Kind.EVENT
    assert m.WrapUpDone.KIND is m.Kind.REPLY
