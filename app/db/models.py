"""Import every model module so that ``Base.metadata`` is complete (Alembic, tests).

Other areas' model modules listed in ``OPTIONAL_MODEL_MODULES`` join the metadata when
they exist, so they need no edit here when they add tables (with their own migration).
"""

from __future__ import annotations

import importlib
import importlib.util

from app.agents import models as agents  # noqa: F401
from app.contacts import models as contacts  # noqa: F401
from app.customers import models as customers  # noqa: F401
from app.db.base import Base
from app.recordings import models as recordings  # noqa: F401
from app.tickets import models as tickets  # noqa: F401

OPTIONAL_MODEL_MODULES = (
    "app.routing.models",
    "app.sla.models",
    "app.notify.models",
    "app.hub.models",
    "app.auth.models",
)


def _import_optional() -> None:
    for name in OPTIONAL_MODEL_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(name)


_import_optional()

metadata = Base.metadata
__all__ = ["Base", "metadata"]
