"""The hub: console API, relay mounting, routing loop, recording, persistence."""
