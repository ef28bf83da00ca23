"""Rings from a scripted Tandem Assist to real consoles through a real hub."""

from __future__ import annotations

import asyncio
from typing import Any

from app.api import messages as api
from app.hub.embedded import EmbeddedHub
from remote.protocol import messages as pm
from tests.app.hub.support import Console, receive_until, request_help, run


def test_ring_reaches_a_ready_agent_with_the_profile(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        assist, _ = await request_help(hub.url)
        ring = await alice.next(api.Ring)
        assert ring.problem == "The invoice print fails"
        assert ring.company == "Acme Trading Ltd" and ring.tier == "vip"
        assert ring.channel is api.Channel.ASSIST and ring.caller == "acct-pc-7"
        assert ring.expires_at > ring.queued_at
        assert ring.profile  # the screen pop arrives with the ring
        pop = await alice.client.call(api.ScreenPopRequest(contact_id=ring.contact_id),
                                      api.ScreenPop)
        assert pop.profile == ring.profile
        status = await receive_until(assist, pm.QueueStatus)
        assert status.position >= 0
        await assist.close(pm.ByeReason.ENDED_BY_CUSTOMER)
        cancelled = await alice.next(api.RingCancelled)
        assert cancelled.offer_id == ring.offer_id and cancelled.reason == "abandoned"
        await alice.close()

    run(scenario())


def test_not_ready_agent_is_not_rung_until_ready(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        assist, _ = await request_help(hub.url)
        await receive_until(assist, pm.QueueStatus)
        stats = await alice.next(api.QueueStats)
        while stats.waiting != 1:
            stats = await alice.next(api.QueueStats)
        assert stats.agents_ready == 0
        assert not any(isinstance(e, api.Ring) for e in alice.pushed_so_far())
        await alice.ready()  # the waiting backlog rings at once
        ring = await alice.next(api.Ring)
        assert ring.problem == "The invoice print fails"
        await assist.close()
        await alice.close()

    run(scenario())


def test_decline_rings_the_next_agent(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        alice, bob, assist, first, second, ring = await _two_agents_one_ring(hub.url)
        await first.client.call(api.Decline(offer_id=ring.offer_id), api.Ok)
        again = await second.next(api.Ring)
        assert again.contact_id == ring.contact_id and again.offer_id != ring.offer_id
        await assist.close()
        await alice.close()
        await bob.close()

    run(scenario())


def test_ring_timeout_cancels_and_offers_the_next_agent(hub_factory) -> None:
    hub = hub_factory(ring_timeout_s=0.5)

    async def scenario() -> None:
        alice, bob, assist, first, _second, ring = await _two_agents_one_ring(hub.url)
        cancelled = await first.next(api.RingCancelled)
        assert cancelled == api.RingCancelled(offer_id=ring.offer_id, reason="timeout")
        second = bob if first is alice else alice
        again = await second.next(api.Ring)
        assert again.contact_id == ring.contact_id
        # A late accept of the expired ring fails cleanly.
        late = await first.client.request(api.Accept(offer_id=ring.offer_id))
        assert isinstance(late, api.AcceptFailed)
        await assist.close()
        await alice.close()
        await bob.close()

    run(scenario())


def test_accept_race_one_wins(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        alice, bob, assist, first, second, ring = await _two_agents_one_ring(hub.url)
        replies = await asyncio.gather(
            first.client.request(api.Accept(offer_id=ring.offer_id)),
            second.client.request(api.Accept(offer_id=ring.offer_id)),
            first.client.request(api.Accept(offer_id=ring.offer_id)))
        won = [r for r in replies if isinstance(r, api.Accepted)]
        lost = [r for r in replies if isinstance(r, api.AcceptFailed)]
        assert len(won) == 1 and len(lost) == 2
        assert won[0].contact_id == ring.contact_id and won[0].viewer_token
        await assist.close()
        await alice.close()
        await bob.close()

    run(scenario())


def test_disconnected_console_gives_its_ring_back(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        alice, bob, assist, first, second, ring = await _two_agents_one_ring(hub.url)
        await first.close()
        again = await second.next(api.Ring)
        assert again.contact_id == ring.contact_id
        await assist.close()
        await second.close()

    run(scenario())


async def _two_agents_one_ring(
    url: str,
) -> tuple[Console, Console, Any, Console, Console, api.Ring]:
    """alice and bob Ready, a customer asking for help: (alice, bob, assist, first, second,
    ring), where ``first`` is whichever console the routing rang."""
    alice = await Console.sign_in(url, "alice")
    bob = await Console.sign_in(url, "bob")
    await alice.ready()
    await bob.ready()
    assist, _ = await request_help(url)
    first, ring = await _first_ring(alice, bob)
    return alice, bob, assist, first, (bob if first is alice else alice), ring


async def _first_ring(*consoles: Console) -> tuple[Console, api.Ring]:
    """Whichever console rings first (routing picks the agent)."""
    tasks = {asyncio.ensure_future(c.next(api.Ring)): c for c in consoles}
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    task = done.pop()
    return tasks[task], task.result()
