"""Sign-in, presence and bad input on a real hub."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from app.api import messages as api
from app.api.client import HubClient, LoginRefused
from app.config import defaults
from app.hub.embedded import EmbeddedHub
from app.hub.server import HubConfigError
from tests.app.hub.support import PASSWORD, Console, run


def test_login_ok_then_resume_with_token(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        first = HubClient(hub.url)
        ok = await first.login("alice", PASSWORD)
        assert ok.agent.login == "alice" and ok.agent.role is api.Role.AGENT
        assert ok.status is api.AgentState.NOT_READY
        second = Console(HubClient(hub.url, reconnect=False))
        again = await second.client.resume(ok.token)
        assert again.agent == ok.agent
        # The older console is told and closed; the newer one works.
        assert isinstance(await second.client.request(api.Ping()), api.Pong)
        await first.close()
        await second.close()

    run(scenario())


def test_bad_password_is_slowed_with_a_clear_message(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        client = HubClient(hub.url)
        with pytest.raises(LoginRefused) as wrong:
            await client.login("alice", "wrong")
        assert "Wrong login or password" in wrong.value.reason
        assert wrong.value.retry_after_s >= 1
        # Right password, too soon: still refused, with how long to wait.
        with pytest.raises(LoginRefused) as early:
            await client.login("alice", PASSWORD)
        assert "Try again in" in early.value.reason and early.value.retry_after_s > 0
        # Unknown login: the same message (no telling which logins exist).
        with pytest.raises(LoginRefused) as unknown:
            await client.login("nobody", "x")
        assert "Wrong login or password" in unknown.value.reason
        with pytest.raises(LoginRefused):
            await client.resume("forged.1.99999999999.sig")
        await client.close()

    run(scenario())


def test_requests_before_sign_in_are_refused(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        client = HubClient(hub.url)
        await client.connect()
        with pytest.raises(api.ApiError) as refused:
            await client.request(api.SetStatus(status=api.AgentState.READY))
        assert refused.value.code == api.ErrorCode.UNAUTHENTICATED
        await client.close()

    run(scenario())


def test_qa_role_cannot_take_contacts(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        qa = await Console.sign_in(hub.url, "quinn")
        with pytest.raises(api.ApiError) as refused:
            await qa.client.request(api.SetStatus(status=api.AgentState.READY))
        assert refused.value.code == api.ErrorCode.FORBIDDEN
        await qa.close()

    run(scenario())


@pytest.mark.parametrize("payload", [
    "garbage",
    json.dumps({"v": 99, "type": "ping", "request_id": 1, "body": {}}),
    json.dumps({"v": 1, "type": "launch", "request_id": 1, "body": {}}),
    json.dumps({"v": 1, "type": "set_status", "request_id": 1, "body": {"status": "asleep"}}),
    b"\xff\xfe binary junk",
], ids=["not-json", "version", "unknown-type", "bad-field", "binary"])
def test_bad_input_closes_only_that_console(hub: EmbeddedHub, payload: str | bytes) -> None:
    async def scenario() -> None:
        good = await Console.sign_in(hub.url, "alice")
        async with ws_connect(hub.url + "/console", compression=None) as bad:
            await bad.send(payload)
            reply = api.decode(await bad.recv())
            assert isinstance(reply, api.Error) and reply.text
            with pytest.raises(ConnectionClosed) as closed:
                await bad.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert isinstance(await good.client.request(api.Ping()), api.Pong)
        await good.close()

    run(scenario())


def test_oversized_message_closes_only_that_console(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        good = await Console.sign_in(hub.url, "alice")
        async with ws_connect(hub.url + "/console", compression=None,
                              max_size=None) as big:
            await big.send("x" * (300 * 1024))
            with pytest.raises(ConnectionClosed) as closed:
                await big.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert isinstance(await good.client.request(api.Ping()), api.Pong)
        await good.close()

    run(scenario())


def test_unknown_path_is_refused(hub: EmbeddedHub) -> None:
    async def scenario() -> None:
        with pytest.raises(Exception) as refused:
            async with ws_connect(hub.url + "/admin"):
                pass
        assert "404" in str(refused.value)

    run(scenario())


def test_first_start_creates_admin_and_says_where(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    with EmbeddedHub(defaults(data_dir=data, port=0)) as hub:
        password_file = data / "first-admin.txt"
        assert str(password_file) in hub.notice
        text = password_file.read_text()
        assert password_file.stat().st_mode & 0o777 == 0o600
        password = text.split("password: ")[1].split()[0]

        async def scenario() -> api.LoginOk:
            client = HubClient(hub.url)
            ok = await client.login("admin", password)
            await client.close()
            return ok

        assert run(scenario()).agent.role is api.Role.ADMIN


def test_refuses_public_address_without_tls(tmp_path: Path) -> None:
    hub = EmbeddedHub(defaults(data_dir=tmp_path, host="0.0.0.0", port=0))
    with pytest.raises(HubConfigError, match="TLS"):
        hub.start()
    hub.stop()


def test_console_disconnect_sets_agent_offline(hub: EmbeddedHub, db) -> None:
    from app.agents.models import Agent, AgentStatus

    async def scenario() -> None:
        alice = await Console.sign_in(hub.url, "alice")
        await alice.ready()
        await alice.close()
        for _ in range(200):  # the hub notices the close on its own loop
            with db() as s:
                if s.query(Agent).filter_by(login="alice").one().status is AgentStatus.OFFLINE:
                    return
            await asyncio.sleep(0.02)
        raise AssertionError("alice is still online after her console closed")

    run(scenario())
