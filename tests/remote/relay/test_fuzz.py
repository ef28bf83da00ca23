"""Random and truncated bytes thrown at a live relay never kill it or another session."""

from __future__ import annotations

import random

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from remote.protocol import messages as m
from remote.protocol.codec import encode
from remote.protocol.messages import Role
from remote.relay.standalone import serve
from tests.remote.protocol.samples import SAMPLES
from tests.remote.relay.support import frame, paired, receive_until, run


def junk_sequences(seed: int, count: int) -> list[list[bytes]]:
    """Connections' worth of messages: a valid Hello (or not), then random, truncated,
    bit-flipped and valid-but-out-of-order messages."""
    rng = random.Random(seed)
    valid = [encode(s) for s in SAMPLES]
    sequences = []
    for _ in range(count):
        seq: list[bytes] = []
        if rng.random() < 0.7:
            seq.append(encode(m.Hello(rng.choice([Role.ASSIST, Role.VIEWER]))))
        for _ in range(rng.randint(1, 6)):
            kind = rng.randrange(4)
            if kind == 0:
                seq.append(rng.randbytes(rng.randint(0, 64)))
            elif kind == 1:
                data = rng.choice(valid)
                seq.append(data[: rng.randint(0, len(data))])
            elif kind == 2:
                data = bytearray(rng.choice(valid))
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
                seq.append(bytes(data))
            else:
                seq.append(rng.choice(valid))
        sequences.append(seq)
    return sequences


def test_relay_survives_fuzzed_peers() -> None:
    async def scenario() -> None:
        async with serve() as server:
            assist, viewer, _ = await paired(server)
            for i, sequence in enumerate(junk_sequences(seed=4, count=120)):
                url = server.assist_url if i % 2 else server.viewer_url
                async with ws_connect(url, compression=None) as raw:
                    try:
                        for data in sequence:
                            await raw.send(data)
                        await raw.send(b"\xff")  # unknown type: always rejected
                        while True:
                            await raw.recv()
                    except ConnectionClosed:
                        pass
                if i % 20 == 0:  # the good session keeps flowing throughout
                    await assist.send(frame(i + 1))
                    assert (await receive_until(viewer, m.FrameUpdate)).seq == i + 1
            assert len(server.relay.sessions) >= 1
            await assist.send(frame(1000))
            assert (await receive_until(viewer, m.FrameUpdate)).seq == 1000

    run(scenario(), timeout=90)
