"""Recordings of sessions: metadata in the database, the file on disk, QA reviews."""
