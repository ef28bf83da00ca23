from tests.app.routing.dbsupport import (  # noqa: F401
    backend_session_factory,
    db_file,
    engine,
    migrated_template,
    session_factory,
)
