"""wss:// when the hub has a certificate; a public address is served only with TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.api.client import HubClient
from app.hub.server import HubConfigError, check_listen
from tests.app.hub.conftest import hub_config
from tests.app.hub.support import PASSWORD, run


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "hub.pem", directory / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_hub_serves_wss_with_a_certificate(hub_factory, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    hub = hub_factory(tls_cert=cert, tls_key=key)
    assert hub.url.startswith("wss://127.0.0.1:")
    trust = ssl.create_default_context(cafile=str(cert))

    async def scenario() -> None:
        client = HubClient(hub.url, ssl=trust, reconnect=False)
        ok = await client.login("alice", PASSWORD)
        assert ok.agent.login == "alice"
        await client.close()

    run(scenario())


def test_public_address_needs_both_cert_and_key(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    check_listen(hub_config(tmp_path, host="0.0.0.0", tls_cert=cert, tls_key=key))
    with pytest.raises(HubConfigError):
        check_listen(hub_config(tmp_path, host="0.0.0.0", tls_cert=cert))
    check_listen(hub_config(tmp_path, host="::1"))  # loopback needs no TLS
