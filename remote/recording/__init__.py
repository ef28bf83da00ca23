"""Session recordings: an append-only, hash-chained, seekable file format (docs/recording-format.md)."""
