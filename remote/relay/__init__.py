"""The relay: pairs assists and viewers by session and forwards between them.

``Relay`` lives in ``remote.relay.relay``; the broker/recorder contracts in
``remote.relay.interfaces``; an in-memory broker and server in ``remote.relay.standalone``.
"""
