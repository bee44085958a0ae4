"""Postgres persistence: numbered SQL migrations, the audit event store and its verifier."""
