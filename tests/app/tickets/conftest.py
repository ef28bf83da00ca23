from tests.app.routing.dbsupport import (  # noqa: F401
    db_file,
    engine,
    migrated_template,
    session_factory,
)
