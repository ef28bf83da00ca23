"""Agent authentication: passwords (DATA), slowed retries, tokens, roles, first admin."""
