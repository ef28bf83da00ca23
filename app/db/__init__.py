"""Persistence: declarative base, column types, engine, session factory, migrations."""
