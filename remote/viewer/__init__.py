"""The headless viewer (``ViewerClient``) and the ``tandem-view`` command."""

from remote.viewer.client import (
    Closed,
    Disconnected,
    FrameApplied,
    Quality,
    Resumed,
    Stats,
    ViewerClient,
    ViewerError,
    viewer_url,
)

__all__ = ["Closed", "Disconnected", "FrameApplied", "Quality", "Resumed", "Stats", "ViewerClient",
           "ViewerError", "viewer_url"]
