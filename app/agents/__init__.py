"""Agents (the people at the console), their skills and their presence status."""
