"""Helpers shared by the data tests."""

from __future__ import annotations

from tests.support.postgres import fresh_database as fresh_postgres_database

__all__ = ["fresh_postgres_database"]
