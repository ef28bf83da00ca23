"""Transport rules: wss required off loopback, TLS end to end, clean connect errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from remote.protocol import messages as m
from remote.protocol.messages import Role
from remote.relay.standalone import serve
from remote.transport import (
    InsecureTransport,
    TransportError,
    check_url,
    client_ssl_context,
    connect,
    is_loopback,
    server_ssl_context,
)
from tests.remote.relay.support import receive_until, run


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.5.5.5", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("10.0.0.1", False), ("example.com", False), ("", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_ws_only_on_loopback_unless_allowed() -> None:
    check_url("ws://127.0.0.1:8765/viewer")
    check_url("wss://hub.example.com/viewer")
    with pytest.raises(InsecureTransport, match="use wss://"):
        check_url("ws://hub.example.com/viewer")
    check_url("ws://hub.example.com/viewer", allow_insecure=True)
    with pytest.raises(ValueError):
        check_url("http://127.0.0.1/viewer")


def test_serve_refuses_plain_ws_off_loopback() -> None:
    async def scenario() -> None:
        with pytest.raises(InsecureTransport):
            async with serve("0.0.0.0", 0):
                pass

    run(scenario())


def test_connect_to_nothing_is_a_transport_error(free_port: int) -> None:
    async def scenario() -> None:
        with pytest.raises(TransportError, match="cannot connect"):
            await connect(f"ws://127.0.0.1:{free_port}/viewer", Role.VIEWER, open_timeout=2)

    run(scenario())


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_session_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate

    async def scenario() -> None:
        async with serve(ssl_context=server_ssl_context(cert, key)) as server:
            assert server.url.startswith("wss://")
            # An unverifiable certificate is refused by default...
            with pytest.raises(TransportError):
                await connect(server.viewer_url, Role.VIEWER, open_timeout=5)
            # ... and trusted when its CA is given.
            context = client_ssl_context(cert)
            assist = await connect(server.assist_url, Role.ASSIST, ssl_context=context)
            await assist.send(m.HelpRequest("over TLS"))
            assert isinstance(await assist.receive(), m.Admitted)
            ticket = await server.broker.next_session(5)
            viewer = await connect(server.viewer_url, Role.VIEWER, ssl_context=context)
            await viewer.send(m.ViewerJoin(ticket.viewer_code))
            assert isinstance(await viewer.receive(), m.Admitted)
            await assist.send(m.ChatLine("c", "secret"))
            assert await receive_until(viewer, m.ChatLine) == m.ChatLine("c", "secret")

    run(scenario())
