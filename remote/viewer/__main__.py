"""``python -m remote.viewer`` is ``tandem-view``."""

from remote.viewer.cli import main

raise SystemExit(main())
