"""``python -m remote.assist``: the same as ``tandem-assist``."""

import sys

from remote.assist.main import main

sys.exit(main())
