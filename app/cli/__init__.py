"""Command-line entry points of the hub side (``tandem-hub``)."""
