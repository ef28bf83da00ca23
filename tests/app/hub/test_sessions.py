"""Session life beyond the happy path: customer ends, session codes, hub restarts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from app.api import messages as api
from app.api.client import ConnectionLost, ConnectionRestored, HubClient
from app.contacts.models import Contact, ContactStatus
from remote.protocol import messages as pm
from remote.transport import PeerClosed, connect
from tests.app.hub.support import PASSWORD, Console, receive_until, request_help, run


def test_customer_ends_the_session(hub) -> None:
    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        await assist.close(pm.ByeReason.ENDED_BY_CUSTOMER, "thanks, fixed")
        ended = await alice.next(api.SessionEnded)
        assert ended.session_id == accepted.session_id and ended.reason == "customer_ended"
        assert (await alice.next(api.StatusChanged)).status is api.AgentState.WRAP_UP
        with pytest.raises(api.ApiError, match="unknown product") as bad:
            await alice.client.call(api.WrapUp(
                contact_id=accepted.contact_id, session_id=accepted.session_id,
                fields=api.WrapUpFields(classification=api.Classification.CONFIGURATION,
                                        product="no such product")), api.WrapUpDone)
        assert bad.value.code == api.ErrorCode.BAD_FIELD
        done = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id, session_id=accepted.session_id,
            fields=api.WrapUpFields(classification=api.Classification.CONFIGURATION)),
            api.WrapUpDone)
        assert done.ticket_id > 0
        await alice.close()

    run(scenario())


def test_session_code_joins_the_agent_who_issued_it(hub) -> None:
    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        code = await alice.client.call(api.SessionCodeRequest(problem="by phone"),
                                       api.SessionCode)
        assert len(code.code) == 6 and code.code.isdigit()

        wrong = await connect(hub.url + "/assist", pm.Role.ASSIST)
        await wrong.send(pm.SessionCode("000000" if code.code != "000000" else "111111"))
        with pytest.raises(PeerClosed) as refused:
            await wrong.receive()
        assert refused.value.error is not None
        assert refused.value.error.code is pm.ErrorCode.BAD_CODE

        assist = await connect(hub.url + "/assist", pm.Role.ASSIST)
        await assist.send(pm.SessionCode(code.code, "", {"hostname": "pc-9"}, "machine-9",
                                         "ACME"))
        assert isinstance(await assist.receive(), pm.Admitted)
        redeemed = await alice.next(api.CodeRedeemed)
        assert redeemed.code == code.code and redeemed.viewer_token
        assert redeemed.profile.get("known") is True

        viewer = await connect(alice.client.url_for(redeemed.viewer_path), pm.Role.VIEWER)
        await viewer.send(pm.ViewerJoin(redeemed.viewer_token))
        assert isinstance(await viewer.receive(), pm.Admitted)
        assert (await receive_until(assist, pm.AgentJoined)).agent_name == "Alice"

        # Single use: the same code again is refused.
        again = await connect(hub.url + "/assist", pm.Role.ASSIST)
        await again.send(pm.SessionCode(code.code))
        with pytest.raises(PeerClosed):
            await again.receive()
        for sock in (assist, viewer):
            await sock.close()
        await alice.close()

    run(scenario())


def test_viewer_with_a_wrong_token_is_refused(hub) -> None:
    async def scenario() -> None:
        viewer = await connect(hub.url + "/viewer", pm.Role.VIEWER)
        await viewer.send(pm.ViewerJoin("not-a-token"))
        with pytest.raises(PeerClosed) as refused:
            await viewer.receive()
        assert refused.value.error is not None
        assert refused.value.error.code is pm.ErrorCode.REFUSED

    run(scenario())


def test_customer_leaving_before_a_restart_abandons_the_contact(hub_factory, db) -> None:
    first = hub_factory()

    async def scenario() -> None:
        assist, _ = await request_help(first.url, machine_id="machine-left")
        await receive_until(assist, pm.QueueStatus)
        await assist.close(pm.ByeReason.ENDED_BY_CUSTOMER)
        await wait_for_status(db, ContactStatus.ABANDONED)

    run(scenario())
    first.stop()
    second = hub_factory()  # recovery does not bring an abandoned contact back
    with db() as s:
        contact = s.scalars(select(Contact)).one()
        assert contact.status is ContactStatus.ABANDONED and contact.abandoned_at is not None
    assert second.url


async def wait_for_status(db, status: ContactStatus) -> None:
    """Bounded wait until the hub (on its own thread) has written the contact's status."""
    for _ in range(250):
        with db() as s:
            if s.scalars(select(Contact.status)).one() is status:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the contact never became {status}")


def test_hub_restart_keeps_a_waiting_customer_in_the_queue(hub_factory, db) -> None:
    first = hub_factory()

    async def before() -> None:
        assist, _ = await request_help(first.url, machine_id="machine-restart")
        await receive_until(assist, pm.QueueStatus)
        await asyncio.to_thread(first.stop)  # the hub goes down under a waiting customer
        with pytest.raises(PeerClosed) as closed:
            await receive_until(assist, pm.Ping)
        assert closed.value.bye is not None and closed.value.bye.reason is pm.ByeReason.SHUTDOWN

    run(before())
    with db() as s:
        waiting = s.scalars(select(Contact).where(Contact.status == ContactStatus.QUEUED)).one()
        contact_id, queued_at = waiting.id, waiting.queued_at
    second = hub_factory()

    async def after() -> None:
        assist, _ = await request_help(second.url, machine_id="machine-restart")
        alice = await Console.sign_in(second.url, "alice")
        await alice.ready()
        ring = await alice.next(api.Ring)
        assert ring.contact_id == contact_id and ring.queued_at == queued_at
        await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        await assist.close()
        await alice.close()

    run(after())


def test_console_reconnects_and_resumes_after_the_hub_restarts(hub_factory) -> None:
    first = hub_factory()
    port = int(first.url.rsplit(":", 1)[1])

    async def scenario() -> None:
        client = HubClient(first.url, backoff_initial_s=0.05, backoff_max_s=0.5)
        events: asyncio.Queue[object] = asyncio.Queue()
        client.add_listener(events.put_nowait)
        await client.login("alice", PASSWORD)
        await asyncio.to_thread(first.stop)
        lost = await asyncio.wait_for(_next(events, ConnectionLost), 10)
        assert lost.reason
        with pytest.raises(ConnectionError):
            await client.request(api.Ping())
        await asyncio.to_thread(hub_factory, port=port)
        restored = await asyncio.wait_for(_next(events, ConnectionRestored), 20)
        assert restored.login is not None and restored.login.agent.login == "alice"
        assert isinstance(await client.request(api.Ping()), api.Pong)
        await client.close()

    run(scenario())


async def _next(events: asyncio.Queue[object], cls: type) -> object:
    while True:
        event = await events.get()
        if isinstance(event, cls):
            return event


def test_solved_ticket_asks_the_customer_for_a_rating(hub_factory, db,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import app.hub.upkeep as upkeep
    from app.tickets.models import SatisfactionRating

    monkeypatch.setattr(upkeep, "NOTICES_EVERY_S", 0.1)
    hub = hub_factory()

    async def scenario() -> int:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        await alice.client.call(api.EndSession(session_id=accepted.session_id), api.Ok)
        done = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id, session_id=accepted.session_id,
            fields=api.WrapUpFields(classification=api.Classification.HOW_TO, solved=True,
                                    resolution="Explained the report filter")),
            api.WrapUpDone)
        # The customer's next assist gets the invitation and answers it.
        again, _ = await request_help(hub.url, problem="")
        request = await receive_until(again, pm.RatingRequest)
        assert request.prompt
        await again.send(pm.Rating(5, "quick and friendly"))
        await again.close(pm.ByeReason.ENDED_BY_CUSTOMER)
        for _ in range(250):
            with db() as s:
                if s.scalars(select(SatisfactionRating).where(
                        SatisfactionRating.ticket_id == done.ticket_id)).first():
                    break
            await asyncio.sleep(0.02)
        await assist.close()
        await alice.close()
        return done.ticket_id

    ticket_id = run(scenario())
    with db() as s:
        rating = s.scalars(select(SatisfactionRating).where(
            SatisfactionRating.ticket_id == ticket_id)).one()
        assert rating.score == 5 and rating.comment == "quick and friendly"


def test_unknown_caller_is_wrapped_up_under_the_customer_the_agent_names(hub, db) -> None:
    from app.tickets.models import Ticket

    async def scenario() -> int:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url, machine_id="stranger", customer_code="")
        ring = await alice.next(api.Ring)
        assert ring.profile.get("known") is False and ring.company == ""
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        await assist.close(pm.ByeReason.ENDED_BY_CUSTOMER)
        await alice.next(api.SessionEnded)
        fields = api.WrapUpFields(classification=api.Classification.OTHER)
        with pytest.raises(api.ApiError, match="customer's code"):
            await alice.client.call(api.WrapUp(contact_id=accepted.contact_id,
                                               fields=fields), api.WrapUpDone)
        with pytest.raises(api.ApiError, match="unknown customer code"):
            await alice.client.call(api.WrapUp(
                contact_id=accepted.contact_id,
                fields=api.WrapUpFields(classification=api.Classification.OTHER,
                                        customer_code="NOPE")), api.WrapUpDone)
        done = await alice.client.call(api.WrapUp(
            contact_id=accepted.contact_id,
            fields=api.WrapUpFields(classification=api.Classification.OTHER,
                                    customer_code="ACME")), api.WrapUpDone)
        await alice.close()
        return done.ticket_id

    ticket_id = run(scenario())
    with db() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.customer_id is not None
