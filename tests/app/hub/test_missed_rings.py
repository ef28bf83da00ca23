"""The one-agent desk never strands a customer: missed rings (RONA), declines, restarts.

Real hub on loopback, real SQLite file, real consoles and a scripted Tandem Assist.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api import messages as api
from app.contacts.models import Contact, ContactStatus, Queue
from app.db.base import utcnow
from app.routing.models import OfferStatus, QueueSettings, RoutingOffer, RoutingState
from app.routing.types import MISSED_A_CONTACT
from remote.protocol import messages as pm
from remote.transport import PeerClosed
from tests.app.hub.support import Console, receive_until, request_help, run


def test_missed_ring_sets_not_ready_and_rings_again_when_ready(hub_factory) -> None:
    hub = hub_factory(ring_timeout_s=0.5)

    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        cancelled = await alice.next(api.RingCancelled)
        assert cancelled == api.RingCancelled(offer_id=ring.offer_id, reason="timeout")
        status = await alice.next(api.StatusChanged)  # pushed: the console's status bar
        assert status.status is api.AgentState.NOT_READY and status.reason == MISSED_A_CONTACT
        await alice.ready()
        again = await alice.next(api.Ring, timeout=5.0)  # at once, no cool-down
        assert again.contact_id == ring.contact_id and again.offer_id != ring.offer_id
        accepted = await alice.client.call(api.Accept(offer_id=again.offer_id), api.Accepted)
        assert accepted.contact_id == ring.contact_id
        await assist.close()
        await alice.close()

    run(scenario())


def test_declined_contact_rings_the_only_agent_again_after_the_cooldown(
        hub_factory, db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        queue = Queue(name="default")
        s.add(queue)
        s.flush()
        s.add(QueueSettings(queue_id=queue.id, settings={"decline_cooldown_s": 0.5}))
    hub = hub_factory()

    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        await alice.client.call(api.Decline(offer_id=ring.offer_id), api.Ok)
        again = await alice.next(api.Ring, timeout=10.0)  # the ticker ends the cool-down
        assert again.contact_id == ring.contact_id and again.offer_id != ring.offer_id
        assert not any(isinstance(e, api.StatusChanged) for e in alice.pushed_so_far())
        await assist.close()
        await alice.close()

    run(scenario())
    with db() as s:
        first = s.scalars(select(RoutingOffer).order_by(RoutingOffer.id)).first()
        assert first is not None and first.status == OfferStatus.DECLINED


def test_restart_with_an_expired_offer_rings_the_ready_agent(
        hub_factory, db: sessionmaker[Session]) -> None:
    """The demo: contact queued, its only offer expired, an exclusion stored by the old hub;
    after the restart the Ready agent must get a ring once that exclusion ends, by itself."""
    first = hub_factory(ring_timeout_s=0.5)

    def as_an_older_hub_left_it(contact_id: int) -> None:
        with db() as s, s.begin():
            contact = s.get(Contact, contact_id)
            assert contact is not None and contact.status == ContactStatus.QUEUED
            offer = s.scalars(select(RoutingOffer)
                              .where(RoutingOffer.contact_id == contact_id)).one()
            assert offer.status == OfferStatus.EXPIRED
            # What an older hub stored for the missed ring: alice excluded a while longer.
            state = s.get(RoutingState, contact_id)
            assert state is not None
            state.declined = {str(offer.agent_id): utcnow().timestamp() + 2.0}

    async def scenario() -> None:
        alice = await Console.sign_in(first.url, "alice")
        await alice.ready()
        assist, _ = await request_help(first.url, machine_id="machine-50")
        ring = await alice.next(api.Ring)
        await alice.next(api.RingCancelled)
        await alice.close()
        await asyncio.to_thread(first.stop)  # graceful: the contact stays queued
        with contextlib.suppress(PeerClosed):
            await receive_until(assist, pm.Ping, timeout=5.0)
        as_an_older_hub_left_it(ring.contact_id)
        second = await asyncio.to_thread(hub_factory)
        back, _ = await request_help(second.url, machine_id="machine-50")  # same place
        alice = await Console.sign_in(second.url, "alice")
        await alice.ready()
        again = await alice.next(api.Ring, timeout=15.0)
        assert again.contact_id == ring.contact_id
        accepted = await alice.client.call(api.Accept(offer_id=again.offer_id), api.Accepted)
        assert accepted.contact_id == ring.contact_id
        await back.close()
        await alice.close()

    run(scenario())


def test_after_a_restart_nobody_rings_for_a_customer_who_is_not_back_yet(
        hub_factory, db: sessionmaker[Session]) -> None:
    """A recovered contact whose assist has not reconnected keeps its place but rings no one
    (nobody could answer it, and a missed ring would set the agent Not ready); when the
    customer's assist comes back it rings at once."""
    first = hub_factory()

    async def scenario() -> None:
        assist, _ = await request_help(first.url, machine_id="machine-7")
        with contextlib.suppress(PeerClosed):
            await receive_until(assist, pm.QueueStatus, timeout=5.0)
        await asyncio.to_thread(first.stop)  # graceful: the contact stays queued
        second = await asyncio.to_thread(hub_factory)
        alice = await Console.sign_in(second.url, "alice")
        await alice.ready()  # a ring would be pushed before this reply
        await alice.client.call(api.Ping(), api.Pong)
        assert not any(isinstance(e, api.Ring) for e in alice.pushed_so_far())
        back, _ = await request_help(second.url, machine_id="machine-7")
        ring = await alice.next(api.Ring, timeout=5.0)
        accepted = await alice.client.call(api.Accept(offer_id=ring.offer_id), api.Accepted)
        assert accepted.contact_id == ring.contact_id
        await back.close()
        await alice.close()

    run(scenario())
    with db() as s:
        assert s.scalars(select(Contact).where(Contact.status == ContactStatus.ANSWERED)).one()
