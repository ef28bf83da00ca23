"""The server side of the whole loop, with a scripted assist speaking PROTO's protocol:
HelpRequest → Ring → Accept → viewer joins with its token → consent → frames and input →
end → wrap-up → a ticket with the session and its recording linked."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from app.api import messages as api
from app.contacts.models import ConsentLevel, Contact, ContactStatus
from app.contacts.models import Session as SessionRow
from app.hub.embedded import EmbeddedHub
from app.recordings.models import Recording, RecordingStatus
from app.tickets.models import Ticket, TicketSession, TicketStatus
from remote.protocol import messages as pm
from remote.recording.reader import RecordingReader
from remote.transport import PeerClosed, connect
from tests.app.hub.support import LAYOUT, Console, frame, receive_until, request_help, run


def test_whole_server_side_loop(hub: EmbeddedHub, db) -> None:
    async def scenario() -> tuple[api.Accepted, api.WrapUpDone]:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        assert (await alice.next(api.StatusChanged)).status is api.AgentState.BUSY

        viewer = await connect(alice.client.url_for(accepted.viewer_path), pm.Role.VIEWER)
        await viewer.send(pm.ViewerJoin(accepted.viewer_token))
        assert isinstance(await viewer.receive(), pm.Admitted)
        assert (await receive_until(assist, pm.AgentJoined)).agent_name == "Alice"

        await viewer.send(pm.ConsentRequest(pm.ConsentLevel.CONTROL))
        assert (await receive_until(assist, pm.ConsentRequest)).level is pm.ConsentLevel.CONTROL
        await assist.send(pm.Consent(pm.ConsentLevel.CONTROL))
        await assist.send(LAYOUT)
        await assist.send(frame(1))
        assert await receive_until(viewer, pm.ScreenLayout) == LAYOUT
        assert await receive_until(viewer, pm.FrameUpdate) == frame(1)
        await viewer.send(pm.FrameAck(1))
        await viewer.send(pm.PointerEvent(10, 20, pm.Buttons.LEFT))
        assert await receive_until(assist, pm.PointerEvent) == pm.PointerEvent(
            10, 20, pm.Buttons.LEFT)
        await viewer.send(pm.ChatLine("Alice", "I can see your screen"))
        assert (await receive_until(assist, pm.ChatLine)).text == "I can see your screen"

        await alice.client.call(api.EndSession(session_id=accepted.session_id), api.Ok)
        ended = await alice.next(api.SessionEnded)
        assert ended.session_id == accepted.session_id and ended.reason == "agent_ended"
        assert (await alice.next(api.StatusChanged)).status is api.AgentState.WRAP_UP
        for sock in (assist, viewer):
            try:
                await receive_until(sock, pm.Ping, timeout=5)
            except PeerClosed as closed:
                assert closed.bye is not None
                assert closed.bye.reason is pm.ByeReason.ENDED_BY_AGENT

        done = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id, session_id=accepted.session_id,
            fields=api.WrapUpFields(classification=api.Classification.HOW_TO,
                                    title="Invoice printing", notes="Printer driver reset",
                                    resolution="Reinstalled the driver", solved=True)),
            api.WrapUpDone)
        assert done.number
        back = await alice.next(api.StatusChanged)
        assert back.status is api.AgentState.READY
        # A repeated wrap-up (say the reply was lost) updates the same ticket.
        again = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id, session_id=accepted.session_id,
            fields=api.WrapUpFields(classification=api.Classification.HOW_TO,
                                    title="Invoice printing", solved=True,
                                    resolution="Reinstalled the driver")), api.WrapUpDone)
        assert (again.ticket_id, again.number) == (done.ticket_id, done.number)
        # Nobody else wraps up Alice's contact.
        bob = await Console.sign_in(hub.url, "bob")
        with pytest.raises(api.ApiError) as refused:
            await bob.client.call(api.WrapUp(
                contact_id=accepted.contact_id,
                fields=api.WrapUpFields(classification=api.Classification.OTHER)),
                api.WrapUpDone)
        assert refused.value.code == api.ErrorCode.FORBIDDEN
        await bob.close()

        detail = await alice.client.call(api.TicketDetailRequest(ticket_id=done.ticket_id),
                                         api.TicketDetail)
        assert detail.ticket.number == done.number and detail.ticket.status == "solved"
        assert detail.resolution == "Reinstalled the driver"
        assert [s.agent for s in detail.sessions] == ["Alice"]
        assert len(detail.recordings) == 1
        mine = await alice.client.call(api.TicketsQuery(filters=api.TicketFilters(mine=True)),
                                       api.TicketsResult)
        assert [t.ticket_id for t in mine.tickets] == [done.ticket_id]
        assert mine.tickets[0].customer_code == "ACME"
        found = await alice.client.call(api.TicketsQuery(filters=api.TicketFilters(
            text="invoice", status=("solved",))), api.TicketsResult)
        assert [t.number for t in found.tickets] == [done.number]
        with pytest.raises(api.ApiError) as no_queue:
            await alice.client.call(api.TicketsQuery(filters=api.TicketFilters(queue="nope")),
                                    api.TicketsResult)
        assert no_queue.value.code == api.ErrorCode.NOT_FOUND

        recording_id = detail.recordings[0].recording_id
        opened = await alice.client.call(api.RecordingOpen(recording_id=recording_id),
                                         api.RecordingOpened)
        assert opened.path  # the embedded hub shares its file system with the console
        chunks, offset = [], 0
        while True:
            chunk = await alice.client.call(api.RecordingChunkRequest(
                recording_id=recording_id, offset=offset, length=4096), api.RecordingChunk)
            data = base64.b64decode(chunk.data_b64)
            chunks.append(data)
            offset += len(data)
            if chunk.eof:
                break
        with open(opened.path, "rb") as fh:
            assert b"".join(chunks) == fh.read()

        # Another agent may not replay Alice's session; QA may, and scores it.
        bob = await Console.sign_in(hub.url, "bob")
        with pytest.raises(api.ApiError) as denied:
            await bob.client.call(api.RecordingOpen(recording_id=recording_id),
                                  api.RecordingOpened)
        assert denied.value.code == api.ErrorCode.FORBIDDEN
        assert (await bob.client.call(api.RecordingListQuery(), api.RecordingList)).total == 0
        await bob.close()
        quinn = await Console.sign_in(hub.url, "quinn")
        listed = await quinn.client.call(api.RecordingListQuery(
            filters=api.RecordingFilters(unscored=True, customer_code="ACME")), api.RecordingList)
        assert [r.recording_id for r in listed.recordings] == [recording_id]
        card = await quinn.client.call(api.ScorecardRequest(), api.Scorecard)
        scores = {c.key: c.max_score for c in card.criteria}
        await quinn.client.call(api.SaveReview(recording_id=recording_id, scores=scores,
                                               comment="textbook"), api.ReviewSaved)
        reviews = await quinn.client.call(api.ReviewsQuery(recording_id=recording_id),
                                          api.ReviewsResult)
        assert [r.comment for r in reviews.reviews] == ["textbook"]
        with pytest.raises(api.ApiError) as bad_score:
            await quinn.client.call(api.SaveReview(recording_id=recording_id,
                                                   scores={"nonsense": 1}), api.ReviewSaved)
        assert bad_score.value.code == api.ErrorCode.BAD_FIELD
        with pytest.raises(api.ApiError) as not_qa:
            await alice.client.call(api.SaveReview(recording_id=recording_id, scores=scores),
                                    api.ReviewSaved)
        assert not_qa.value.code == api.ErrorCode.FORBIDDEN
        await quinn.close()
        await alice.close()
        return accepted, done

    accepted, done = run(scenario())

    with db() as s:
        contact = s.get(Contact, accepted.contact_id)
        assert contact.status is ContactStatus.ENDED and contact.ticket_id == done.ticket_id
        session = s.scalars(select(SessionRow).where(
            SessionRow.contact_id == accepted.contact_id)).one()
        assert session.consent is ConsentLevel.CONTROL and session.ended_at is not None
        assert session.end_reason == "agent_ended"
        ticket = s.get(Ticket, done.ticket_id)
        assert ticket.status is TicketStatus.SOLVED and ticket.customer_id == contact.customer_id
        assert s.get(TicketSession, (done.ticket_id, session.id)) is not None
        recording = s.scalars(select(Recording).where(Recording.session_id == session.id)).one()
        assert recording.ticket_id == done.ticket_id
        assert recording.status is RecordingStatus.COMPLETE and recording.record_count > 0
    with RecordingReader(recording.path) as reader:
        assert reader.complete and reader.chain_head.hex() == recording.chain_head
