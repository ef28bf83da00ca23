"""The same hub on PostgreSQL (a team hub): sign-in, ring, accept race, wrap-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.api import messages as api
from app.config import defaults
from app.hub.embedded import EmbeddedHub
from tests.app.hub.support import Console, request_help, run
from tests.support.postgres import fresh_database

pytestmark = pytest.mark.postgres


def test_hub_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    config = defaults(data_dir=tmp_path, port=0, database_url=fresh_database(postgres_url, "hub"))
    with EmbeddedHub(config) as hub:
        password = (tmp_path / "first-admin.txt").read_text().split("password: ")[1].split()[0]

        async def scenario() -> None:
            admin = await Console.sign_in(hub.url, "admin", password)
            await admin.ready()
            assist, _ = await request_help(hub.url, customer_code="")
            ring = await admin.next(api.Ring)
            assert ring.company == "" and ring.profile.get("known") is False
            replies = await asyncio.gather(
                *(admin.client.request(api.Accept(offer_id=ring.offer_id)) for _ in range(3)))
            assert sum(isinstance(r, api.Accepted) for r in replies) == 1
            accepted = next(r for r in replies if isinstance(r, api.Accepted))
            await assist.close()
            await admin.next(api.SessionEnded)
            # No customer is known for this machine: wrap-up says so instead of failing badly.
            with pytest.raises(api.ApiError, match="customer") as refused:
                await admin.client.call(api.WrapUp(
                    contact_id=accepted.contact_id, session_id=accepted.session_id,
                    fields=api.WrapUpFields(classification=api.Classification.OTHER)),
                    api.WrapUpDone)
            assert refused.value.code == api.ErrorCode.CONFLICT
            assert "customer's code" in refused.value.text
            await admin.close()

        run(scenario())
